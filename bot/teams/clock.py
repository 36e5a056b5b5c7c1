"""The time a reply's delivery reads and waits by (bot/teams/delivery.py, bot/teams/streaming.py).

Production uses the event loop's own clock (`LoopClock`). Tests hand in a clock they move
themselves (tests/support/clock.py), so the long-work budget, the typing indicator, the
stream's start delay and its pacing fire when the test says, not after wall-clock sleeps.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable
from typing import Any, Protocol


class Clock(Protocol):
    def time(self) -> float:
        """Seconds on a monotonic scale (only differences mean anything)."""
        ...

    def sleep(self, seconds: float) -> Awaitable[None]:
        """A timer: awaiting it returns `seconds` later on this clock."""
        ...


class LoopClock:
    """The running event loop's clock (asyncio's own timers)."""

    def time(self) -> float:
        return asyncio.get_running_loop().time()

    def sleep(self, seconds: float) -> Awaitable[None]:
        return asyncio.sleep(seconds)


async def done_within(clock: Clock, work: Awaitable[Any], seconds: float) -> bool:
    """Wait until `work` ends or `seconds` pass on `clock`, whichever comes first; True when
    `work` ended. `work` is never cancelled here."""
    future = asyncio.ensure_future(work)
    if future.done():
        return True
    timer = asyncio.ensure_future(clock.sleep(seconds))
    try:
        await asyncio.wait({future, timer}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        timer.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await timer
    return future.done()


async def set_within(clock: Clock, event: asyncio.Event, seconds: float) -> bool:
    """Wait until `event` is set or `seconds` pass on `clock`; True when it is set."""
    if event.is_set():
        return True
    waiter = asyncio.ensure_future(event.wait())
    try:
        await done_within(clock, waiter, seconds)
    finally:
        waiter.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await waiter
    return event.is_set()
