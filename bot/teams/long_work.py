"""Long work: answer at once with "Ich arbeite daran …", update that message when done.

Teams retries a request it has no answer to after ~15 s, and a 200-page PDF takes longer. So a
turn whose skill outlives the budget (KIW_LONG_WORK_BUDGET_SECONDS) sends a typing indicator and
a placeholder card, keeps the conversation reference and returns; a background task repeats the
typing indicator while the skill works, then updates the placeholder in place (update_activity
via continue_conversation). If Teams refuses the update, the result goes out as a new message.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

from botbuilder.core import BotAdapter, TurnContext
from botbuilder.schema import Activity, ActivityTypes, ConversationReference

from bot.state import StateStore
from bot.teams.replies import WORKING_TEXT, error_activity, working_activity
from bot.teams.streaming import TeamsStream
from bot.turn import TurnOutput
from skills.trace import Trace

log = logging.getLogger("kiw.long_work")

ReplyBuilder = Callable[[TurnOutput], Activity]
# Teams shows a typing indicator for about three seconds; repeat it while the skill works.
TYPING_INTERVAL_SECONDS = 3.0
# How long to wait for Teams to open a stream before falling back to the placeholder card.
STREAM_OPEN_TIMEOUT_SECONDS = 5.0


class LongWork:
    def __init__(
        self,
        adapter: BotAdapter,
        state: StateStore,
        bot_app_id: str,
        on_done: Callable[[Trace], None],
    ) -> None:
        self.adapter = adapter
        self.state = state
        self.bot_app_id = bot_app_id
        self.on_done = on_done
        self.typing_interval_seconds = TYPING_INTERVAL_SECONDS
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(
        self,
        turn_context: TurnContext,
        work: asyncio.Future[TurnOutput],
        trace: Trace,
        build_reply: ReplyBuilder,
    ) -> None:
        try:
            await turn_context.send_activity(Activity(type=ActivityTypes.typing))
            sent = await turn_context.send_activity(working_activity())
        except BaseException:
            work.cancel()  # nobody could see the result: stop the skill, report the error
            raise
        reference = TurnContext.get_conversation_reference(turn_context.activity).serialize()
        key = f"reference:{trace.correlation_id}"
        try:
            # In the (possibly shared) store so another instance or a restart can still reach
            # the conversation; this process keeps its own copy as well.
            await self.state.save_reference(key, reference)
        except Exception:
            log.warning("could not store conversation reference %s", key, exc_info=True)
        trace.add("reply", long_work=True, placeholder=bool(sent and sent.id))
        task = asyncio.create_task(
            self._finish(work, key, reference, sent.id if sent else None, trace, build_reply)
        )
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def start_streamed(
        self,
        turn_context: TurnContext,
        work: asyncio.Future[TurnOutput],
        stream: TeamsStream,
        trace: Trace,
        build_reply: ReplyBuilder,
    ) -> None:
        """The 1:1 variant: Teams' progress line instead of a placeholder card; the result is
        the stream's final message (or an ordinary one if the stream cannot carry it)."""
        stream.start_now()
        await stream.inform(WORKING_TEXT)
        opened = False
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(STREAM_OPEN_TIMEOUT_SECONDS):
                opened = await stream.wait_open()
        if not opened:
            # Streaming refused (not allowed here, or no stream id): the placeholder card.
            await stream.close()
            await self.start(turn_context, work, trace, build_reply)
            return
        reference = TurnContext.get_conversation_reference(turn_context.activity)
        trace.add("reply", long_work=True, streamed=True)
        task = asyncio.create_task(
            self._finish_streamed(work, stream, reference, trace, build_reply)
        )
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _finish_streamed(
        self,
        work: asyncio.Future[TurnOutput],
        stream: TeamsStream,
        reference: ConversationReference,
        trace: Trace,
        build_reply: ReplyBuilder,
    ) -> None:
        try:
            try:
                reply = build_reply(await work)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("long-running turn failed: correlation=%s", trace.correlation_id)
                reply = error_activity(trace.correlation_id)
            if await stream.finish(reply):
                trace.add("update", streamed=stream.state == "done")
                return

            async def deliver(context: TurnContext) -> None:
                await context.send_activity(reply)

            await self.adapter.continue_conversation(reference, deliver, bot_app_id=self.bot_app_id)
            trace.add("update", in_place=False)
        except asyncio.CancelledError:
            work.cancel()
            await stream.close()
            raise
        except Exception:
            log.exception("could not deliver the long-running result: %s", trace.correlation_id)
        finally:
            self.on_done(trace)

    async def _finish(
        self,
        work: asyncio.Future[TurnOutput],
        reference_key: str,
        local_reference: dict[str, Any],
        message_id: str | None,
        trace: Trace,
        build_reply: ReplyBuilder,
    ) -> None:
        try:
            reference = await self._reference(reference_key, local_reference)
            await self._typing_until_done(work, reference)
            try:
                reply = build_reply(await work)
            except asyncio.CancelledError:
                raise
            except Exception:  # the same boundary as a short turn: German text, stack in the log
                log.exception("long-running turn failed: correlation=%s", trace.correlation_id)
                reply = error_activity(trace.correlation_id)

            async def deliver(context: TurnContext) -> None:
                if message_id:
                    reply.id = message_id
                    # The placeholder is a card: a text answer must say "no attachments" or
                    # the update would keep the "Ich arbeite daran …" card under the answer.
                    reply.attachments = reply.attachments or []
                    try:
                        await context.update_activity(reply)
                        trace.add("update", in_place=True)
                        return
                    except Exception:
                        log.warning(
                            "update in place failed (correlation=%s); sending a new message",
                            trace.correlation_id,
                            exc_info=True,
                        )
                        reply.id = None
                await context.send_activity(reply)
                trace.add("update", in_place=False)

            await self.adapter.continue_conversation(reference, deliver, bot_app_id=self.bot_app_id)
        except asyncio.CancelledError:
            work.cancel()
            raise
        except Exception:
            log.exception("could not deliver the long-running result: %s", trace.correlation_id)
        finally:
            self.on_done(trace)

    async def _reference(
        self, reference_key: str, local_reference: dict[str, Any]
    ) -> ConversationReference:
        try:
            stored = await self.state.load_reference(reference_key)
        except Exception:
            log.warning("could not load %s; using the local copy", reference_key)
            stored = None
        return ConversationReference().deserialize(stored or local_reference)

    async def _typing_until_done(
        self, work: asyncio.Future[TurnOutput], reference: ConversationReference
    ) -> None:
        """Teams shows "… schreibt" for a few seconds per typing activity: repeat it."""
        while not work.done():
            done, _ = await asyncio.wait({work}, timeout=self.typing_interval_seconds)
            if done:
                return

            async def typing(context: TurnContext) -> None:
                await context.send_activity(Activity(type=ActivityTypes.typing))

            try:
                await self.adapter.continue_conversation(
                    reference, typing, bot_app_id=self.bot_app_id
                )
            except Exception:  # cosmetic: never let it stop the result
                log.info("typing indicator failed", exc_info=True)

    async def drain(self) -> None:
        """Wait for every running task (tests, graceful shutdown); wrap in asyncio.timeout."""
        while self._tasks:
            await asyncio.wait(set(self._tasks))

    async def aclose(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
