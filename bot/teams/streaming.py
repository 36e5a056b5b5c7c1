"""Teams' streaming protocol for one reply in a 1:1 chat: progress and the answer as it is written.

Teams shows "informative" updates as a progress line and "streaming" updates as the message
growing, then replaces both with the final message (docs: learn.microsoft.com, "Stream bot
messages"; rules in docs/bot-service.md):

- updates are `typing` activities with a `streaminfo` entity (and the same in channelData, as
  Microsoft's own libraries send it): `streamType` informative|streaming, `streamSequence`
  1, 2, 3 …; the first answer's id is the `streamId` every later activity names;
- the final message is a `message` with `streamType: final` and no sequence; attachments, the AI
  label, citations and the feedback footer go only there;
- each streaming text must contain the previous one; at most about one request per second
  (Microsoft recommends buffering 1.5–2 s); a stream must end within two minutes;
- 403 `ContentStreamNotAllowed` ends it: "cancelled by user" when the user pressed Stop, else
  streaming is not allowed for this bot/user or the two minutes are over.

Nothing is sent before `start_after` seconds: a quick answer arrives as one ordinary message
without the detour. Updates are coalesced (only the latest pending one is sent), so a fast model
never floods the connector. Any failure falls back to an ordinary message (`finish` → False).
"""

from __future__ import annotations

import asyncio
import copy
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Literal

from botbuilder.schema import Activity, ActivityTypes, ResourceResponse
from msrest.exceptions import HttpOperationError

from bot.teams.clock import Clock, LoopClock, set_within
from bot.teams.entities import RawEntity, message_entities
from skills.types import Citation

log = logging.getLogger("kiw.streaming")

Send = Callable[[Activity], Awaitable[ResourceResponse | None]]
StreamType = Literal["informative", "streaming"]
State = Literal["waiting", "open", "stopped", "failed", "done"]

STREAM_INFO = "streaminfo"
MAX_INFORM_CHARS = 1_000  # Teams refuses longer informative updates


def stream_info(stream_id: str | None, stream_type: str, sequence: int | None) -> dict[str, Any]:
    info: dict[str, Any] = {"streamType": stream_type}
    if stream_id:
        info["streamId"] = stream_id
    if sequence is not None:
        info["streamSequence"] = sequence
    return info


def refusal(exc: Exception) -> tuple[int | None, str]:
    """HTTP status and message of a connector error (msrest's HttpOperationError)."""
    if not isinstance(exc, HttpOperationError):
        return None, str(exc)
    response = getattr(exc, "response", None)
    # msrest's requests response has status_code; the aiohttp one (bot/teams/connector.py) status.
    status = getattr(response, "status_code", None) or getattr(response, "status", None)
    error = getattr(getattr(exc, "error", None), "error", None)
    message = getattr(error, "message", None) or str(exc)
    return status, str(message)


class TeamsStream:
    def __init__(
        self,
        send: Send,
        *,
        interval: float = 1.5,
        start_after: float = 1.0,
        clock: Clock | None = None,
    ) -> None:
        self._send = send
        self.interval = interval
        self._clock: Clock = clock or LoopClock()
        self._start_at = self._clock.time() + start_after
        self._pending: tuple[StreamType, str, tuple[Citation, ...]] | None = None
        self._wake = asyncio.Event()  # an update is pending
        self._nudge = asyncio.Event()  # the start time moved
        self._lock = asyncio.Lock()  # one request at a time, in order
        self._last_sent = float("-inf")
        self.state: State = "waiting"
        self.stream_id: str | None = None
        self.sequence = 0
        self.streamed_text = ""  # the last streaming text Teams accepted
        self.final_id: str | None = None  # Teams' id for the final message, once sent
        self.stopped = asyncio.Event()  # set when the user pressed Stop
        self._settled = asyncio.Event()  # the first update was answered (open, or not at all)
        self._task: asyncio.Task[None] | None = asyncio.create_task(self._run())

    # ---- what skills call (skills.progress.Progress) ----
    async def inform(self, text: str) -> None:
        if self.usable and not self.streamed_text and text.strip():
            self._queue("informative", text.strip()[:MAX_INFORM_CHARS])

    async def preview(self, text: str, citations: Sequence[Citation] = ()) -> None:
        if not self.usable or not text.strip():
            return
        pending = self._pending[1] if self._pending and self._pending[0] == "streaming" else ""
        if not text.startswith(pending or self.streamed_text):
            return  # Teams refuses a text that does not contain the previous one
        self._queue("streaming", text, tuple(citations))

    def _queue(
        self, stream_type: StreamType, text: str, citations: tuple[Citation, ...] = ()
    ) -> None:
        self._pending = (stream_type, text, citations)
        self._wake.set()

    # ---- state ----
    @property
    def usable(self) -> bool:
        """Still able to carry updates and the final message."""
        return self.state in ("waiting", "open")

    async def wait_open(self) -> bool:
        """Wait for Teams' answer to the first update (wrap in asyncio.timeout): True when the
        stream is open."""
        await self._settled.wait()
        return self.state == "open"

    def start_now(self) -> None:
        self._start_at = min(self._start_at, self._clock.time())
        self._nudge.set()

    def _send_at(self) -> float:
        return max(self._start_at, self._last_sent + self.interval)

    # ---- the sender ----
    async def _run(self) -> None:
        while self.usable:
            await self._wake.wait()
            while (delay := self._send_at() - self._clock.time()) > 0:
                self._nudge.clear()
                await set_within(self._clock, self._nudge, delay)  # start_now() cuts it short
            self._wake.clear()
            item, self._pending = self._pending, None
            if item is not None:
                await self._update(*item)

    async def _update(
        self, stream_type: StreamType, text: str, citations: tuple[Citation, ...] = ()
    ) -> None:
        async with self._lock:
            if not self.usable:
                return
            sequence = self.sequence + 1
            info = stream_info(self.stream_id, stream_type, sequence)
            # Citations may travel with every chunk (Teams shows the [n] pills while the text
            # grows); the AI label only with the final message.
            entities = [RawEntity({"type": STREAM_INFO, **info}), *message_entities(
                ai_generated=False, citations=citations
            )]  # fmt: skip
            activity = Activity(
                type=ActivityTypes.typing, text=text, entities=entities, channel_data=info
            )
            try:
                response = await self._send(activity)
            except Exception as exc:
                self._refused(exc)
                return
            finally:
                self._last_sent = self._clock.time()
                self._settled.set()
            self.sequence = sequence
            if self.stream_id is None:
                if not response or not response.id:
                    log.info("the channel returned no stream id: replying without streaming")
                    self.state = "failed"
                    return
                self.stream_id = response.id
                self.state = "open"
            if stream_type == "streaming":
                self.streamed_text = text

    def _refused(self, exc: Exception) -> None:
        status, message = refusal(exc)
        if status == 403 and "cancel" in message.lower():
            log.info("the user stopped the stream %s", self.stream_id)
            self.state = "stopped"
            self.stopped.set()
            return
        log.warning(
            "streaming ended (HTTP %s: %s); the answer follows as an ordinary message",
            status,
            message,
        )
        self.state = "failed"

    async def _stop_sender(self) -> None:
        task, self._task = self._task, None
        if task is None:
            return
        async with self._lock:  # let an update in flight finish, then stop the loop
            task.cancel()
        await asyncio.gather(task, return_exceptions=True)

    # ---- the end ----
    async def finish(self, reply: Activity) -> bool:
        """Send `reply` as the stream's final message. True when nothing else is to be sent:
        delivered, or the user stopped the stream. False: send `reply` as an ordinary message."""
        await self._stop_sender()
        if self.state == "stopped":
            return True
        if self.state != "open" or self.stream_id is None:
            self.state = "done"
            return False
        final = copy.copy(reply)
        info = stream_info(self.stream_id, "final", None)
        final.entities = [*(reply.entities or []), RawEntity({"type": STREAM_INFO, **info})]
        channel_data = reply.channel_data if isinstance(reply.channel_data, dict) else {}
        final.channel_data = {**channel_data, **info}
        gap = self._last_sent + self.interval - self._clock.time()
        if gap > 0:
            await self._clock.sleep(gap)
        try:
            response = await self._send(final)
        except Exception as exc:
            self._refused(exc)
            return self.state == "stopped"
        self.final_id = response.id if response and response.id else None
        self.state = "done"
        return True

    async def close(self) -> None:
        """Stop sending without a final message (the caller replies another way)."""
        await self._stop_sender()
        if self.usable:
            self.state = "done"
        self._settled.set()
