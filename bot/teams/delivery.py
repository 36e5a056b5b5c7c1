"""One delivery per message turn: how the reply reaches the person, decided in one place.

In the spirit of the Microsoft 365 Agents SDK's StreamingResponse (informative update, text
chunks, final message). The handler opens a `Delivery` for the turn, gives the skill its
`progress` and `stop`, and calls `send(work, render)` once. The delivery picks the strategy:

- **plain**: the work ends within KIW_LONG_WORK_BUDGET_SECONDS; the reply is one message, or the
  final message of the stream if the skill already streamed progress (1:1 chats, bot/teams/
  streaming.py);
- **streamed long work** (1:1 chats with KIW_STREAMING): Teams' progress line "Ich arbeite
  daran …" now, the result as the stream's final message later;
- **placeholder then update** (shared conversations, or when Teams refuses the stream): a typing
  indicator and an "Ich arbeite daran …" card now; a background task repeats the typing
  indicator while the skill works, then replaces the card in place (update_activity via
  continue_conversation), or sends a new message if Teams refuses the update.

Teams retries a request it has no answer to after ~15 s and a 200-page PDF takes longer, hence
the budget. Every wait reads an injected clock (bot/teams/clock.py: the loop's in production,
one the test moves in tests). The delivery also keeps the feedback id: whichever way the answer went out, the ids
Teams may later report a 👍/👎 under (the sent message, the stream, the updated placeholder) are
remembered with the answer's skill (bot/teams/feedback.py) — nothing is tagged onto the Activity.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from botbuilder.core import BotAdapter, TurnContext
from botbuilder.schema import Activity, ActivityTypes, ConversationReference, ResourceResponse

from bot.pipeline import Outcome
from bot.settings import Settings
from bot.state_store import StateStore
from bot.teams.clock import Clock, LoopClock, done_within
from bot.teams.feedback import FeedbackMemory
from bot.teams.replies import WORKING_TEXT, Reply, error_activity, working_activity
from bot.teams.streaming import TeamsStream
from skills.progress import NO_PROGRESS, Progress
from skills.trace import Trace
from skills.types import Scope

log = logging.getLogger("kiw.delivery")

Render = Callable[[Outcome], Reply]
# Teams shows a typing indicator for about three seconds; repeat it while the skill works.
TYPING_INTERVAL_SECONDS = 3.0
# How long to wait for Teams to open a stream before falling back to the placeholder card.
STREAM_OPEN_TIMEOUT_SECONDS = 5.0


class Deliveries:
    """The handler's part: opens one `Delivery` per message turn and keeps the background tasks
    of long work (for `drain` in tests and graceful shutdown)."""

    def __init__(
        self,
        adapter: BotAdapter,
        state: StateStore,
        settings: Settings,
        feedback: FeedbackMemory,
        on_done: Callable[[Trace], None],
        clock: Clock | None = None,
    ) -> None:
        self.adapter = adapter
        self.clock: Clock = clock or LoopClock()
        self.state = state
        self.settings = settings
        self.feedback = feedback
        self.on_done = on_done
        self.typing_interval_seconds = TYPING_INTERVAL_SECONDS
        self._tasks: set[asyncio.Task[None]] = set()

    def open(self, turn_context: TurnContext, scope: Scope, trace: Trace) -> Delivery:
        return Delivery(self, turn_context, trace, self._stream(turn_context, scope))

    def _stream(self, turn_context: TurnContext, scope: Scope) -> TeamsStream | None:
        """Teams streams only in 1:1 chats; elsewhere (and with KIW_STREAMING=false) None."""
        activity = turn_context.activity
        if not self.settings.streaming or scope != "personal" or activity.channel_id != "msteams":
            return None
        reference = TurnContext.get_conversation_reference(activity)

        async def send(update: Activity) -> ResourceResponse | None:
            sent: list[ResourceResponse | None] = []

            async def callback(context: TurnContext) -> None:
                sent.append(await context.send_activity(update))

            await self.continue_conversation(reference, callback)
            return sent[0] if sent else None

        return TeamsStream(
            send,
            interval=self.settings.stream_interval_seconds,
            start_after=self.settings.stream_after_seconds,
            clock=self.clock,
        )

    async def continue_conversation(
        self, reference: ConversationReference, callback: Callable[[TurnContext], Awaitable[None]]
    ) -> None:
        await self.adapter.continue_conversation(
            reference, callback, bot_app_id=self.settings.microsoft_app_id
        )

    def in_background(self, finish: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(finish)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def drain(self) -> None:
        """Wait for every running task (tests, graceful shutdown); wrap in asyncio.timeout."""
        while self._tasks:
            await asyncio.wait(set(self._tasks))

    async def aclose(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)


class Delivery:
    """The reply of one message turn: the strategy, the stream if any, the feedback ids."""

    def __init__(
        self,
        deliveries: Deliveries,
        turn_context: TurnContext,
        trace: Trace,
        stream: TeamsStream | None,
    ) -> None:
        self._shared = deliveries
        self.turn_context = turn_context
        self.trace = trace
        self.stream = stream

    @property
    def progress(self) -> Progress:
        """What the skill reports progress to: the stream, or nothing that shows it."""
        return self.stream or NO_PROGRESS

    @property
    def stop(self) -> asyncio.Event | None:
        """Set when the user pressed Stop on the stream."""
        return self.stream.stopped if self.stream else None

    async def send(self, work: Awaitable[Outcome], render: Render) -> None:
        """Run `work` and deliver `render(output)`: at once if it ends within the budget, else
        through a progress line or placeholder now and the result later (in the background)."""
        running = asyncio.ensure_future(work)
        budget = self._shared.settings.long_work_budget_seconds
        if await done_within(self._shared.clock, running, budget):
            reply = render(running.result())  # re-raises into the turn boundary
            streamed = await self._send_now(reply)
            self.trace.add("reply", long_work=False, streamed=streamed)
            self._shared.on_done(self.trace)
            return
        if self.stream is not None and self.stream.usable and await self._progress_line():
            self.trace.add("reply", long_work=True, streamed=True)
            reference = TurnContext.get_conversation_reference(self.turn_context.activity)
            self._shared.in_background(self._finish_streamed(running, reference, render))
            return
        if self.stream is not None:
            await self.stream.close()
        await self._placeholder(running, render)

    async def send_error(self, correlation_id: str) -> None:
        """The error card: as the stream's final message if one is open, else a new message."""
        reply = error_activity(correlation_id)
        if self.stream is None or not await self.stream.finish(reply):
            await self.turn_context.send_activity(reply)

    # ---- plain ----
    async def _send_now(self, reply: Reply) -> bool:
        """Send the reply within the turn; True when it went out as the stream's final."""
        if self.stream is not None and await self.stream.finish(reply.activity):
            if self.stream.state == "done":
                await self._remember(reply, self.stream.stream_id, self.stream.final_id)
            return True
        response = await self.turn_context.send_activity(reply.activity)
        await self._remember(reply, response.id if response else None)
        return False

    # ---- streamed long work ----
    async def _progress_line(self) -> bool:
        """Open the stream now with "Ich arbeite daran …"; False if Teams does not open it."""
        assert self.stream is not None
        self.stream.start_now()
        await self.stream.inform(WORKING_TEXT)
        answered = asyncio.ensure_future(self.stream.wait_open())
        if await done_within(self._shared.clock, answered, STREAM_OPEN_TIMEOUT_SECONDS):
            return answered.result()
        answered.cancel()
        return False

    async def _finish_streamed(
        self, work: asyncio.Future[Outcome], reference: ConversationReference, render: Render
    ) -> None:
        assert self.stream is not None
        stream = self.stream
        try:
            reply = await self._result(work, render)
            if await stream.finish(reply.activity):
                self.trace.add("update", streamed=stream.state == "done")
                if stream.state == "done":
                    await self._remember(reply, stream.stream_id, stream.final_id)
                return
            sent: list[ResourceResponse | None] = []

            async def deliver(context: TurnContext) -> None:
                sent.append(await context.send_activity(reply.activity))

            await self._shared.continue_conversation(reference, deliver)
            self.trace.add("update", in_place=False)
            await self._remember(reply, *(r.id for r in sent if r))
        except asyncio.CancelledError:
            work.cancel()
            await stream.close()
            raise
        except Exception:
            log.exception(
                "could not deliver the long-running result: %s", self.trace.correlation_id
            )
        finally:
            self._shared.on_done(self.trace)

    # ---- placeholder then update ----
    async def _placeholder(self, work: asyncio.Future[Outcome], render: Render) -> None:
        try:
            await self.turn_context.send_activity(Activity(type=ActivityTypes.typing))
            sent = await self.turn_context.send_activity(working_activity())
        except BaseException:
            work.cancel()  # nobody could see the result: stop the skill, report the error
            raise
        reference = TurnContext.get_conversation_reference(self.turn_context.activity).serialize()
        key = f"reference:{self.trace.correlation_id}"
        try:
            # In the (possibly shared) store so another instance or a restart can still reach
            # the conversation; this process keeps its own copy as well.
            await self._shared.state.save_reference(key, reference)
        except Exception:
            log.warning("could not store conversation reference %s", key, exc_info=True)
        self.trace.add("reply", long_work=True, placeholder=bool(sent and sent.id))
        placeholder_id = sent.id if sent else None
        self._shared.in_background(self._update(work, key, reference, placeholder_id, render))

    async def _update(
        self,
        work: asyncio.Future[Outcome],
        reference_key: str,
        local_reference: dict[str, Any],
        placeholder_id: str | None,
        render: Render,
    ) -> None:
        try:
            reference = await self._reference(reference_key, local_reference)
            await self._typing_until_done(work, reference)
            reply = await self._result(work, render)
            sent_id: list[str | None] = []

            async def deliver(context: TurnContext) -> None:
                activity = reply.activity
                if placeholder_id:
                    activity.id = placeholder_id
                    # The placeholder is a card: a text answer must say "no attachments" or
                    # the update would keep the "Ich arbeite daran …" card under the answer.
                    activity.attachments = activity.attachments or []
                    try:
                        await context.update_activity(activity)
                        self.trace.add("update", in_place=True)
                        sent_id.append(placeholder_id)
                        return
                    except Exception:
                        log.warning(
                            "update in place failed (correlation=%s); sending a new message",
                            self.trace.correlation_id,
                            exc_info=True,
                        )
                        activity.id = None
                response = await context.send_activity(activity)
                self.trace.add("update", in_place=False)
                sent_id.append(response.id if response else None)

            await self._shared.continue_conversation(reference, deliver)
            await self._remember(reply, *sent_id)
        except asyncio.CancelledError:
            work.cancel()
            raise
        except Exception:
            log.exception(
                "could not deliver the long-running result: %s", self.trace.correlation_id
            )
        finally:
            self._shared.on_done(self.trace)

    async def _reference(
        self, reference_key: str, local_reference: dict[str, Any]
    ) -> ConversationReference:
        try:
            stored = await self._shared.state.load_reference(reference_key)
        except Exception:
            log.warning("could not load %s; using the local copy", reference_key)
            stored = None
        return ConversationReference().deserialize(stored or local_reference)

    async def _typing_until_done(
        self, work: asyncio.Future[Outcome], reference: ConversationReference
    ) -> None:
        """Teams shows "… schreibt" for a few seconds per typing activity: repeat it."""
        while not work.done():
            interval = self._shared.typing_interval_seconds
            if await done_within(self._shared.clock, work, interval):
                return

            async def typing(context: TurnContext) -> None:
                await context.send_activity(Activity(type=ActivityTypes.typing))

            try:
                await self._shared.continue_conversation(reference, typing)
            except Exception:  # cosmetic: never let it stop the result
                log.info("typing indicator failed", exc_info=True)

    # ---- shared by the background paths ----
    async def _result(self, work: asyncio.Future[Outcome], render: Render) -> Reply:
        """The rendered result; a failed skill gets the same boundary as a short turn: German
        text, stack in the log."""
        try:
            return render(await work)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("long-running turn failed: correlation=%s", self.trace.correlation_id)
            return Reply(error_activity(self.trace.correlation_id))

    async def _remember(self, reply: Reply, *message_ids: str | None) -> None:
        if reply.feedback_skill is None:
            return
        conversation = self.turn_context.activity.conversation
        await self._shared.feedback.remember(
            conversation.id if conversation else None, message_ids, reply.feedback_skill
        )
