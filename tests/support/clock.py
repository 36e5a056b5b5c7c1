"""A clock the test moves (bot/teams/clock.py's protocol): timers fire only in `advance`.

`sleep` registers its timer when it is called, not when it is first awaited, so the order of
timers is the order of the calls. `advance` fires the due timers one by one, in time order,
and lets the woken tasks run before the next, as time passing would.

`clock` is the one fixture of it (tests/conftest.py): a fresh clock per test, which the bot
under test waits by (`start_bot(clock=…)`, then `bot.clock`) and a test's slow skills sleep on.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools

import pytest

SETTLE_ROUNDS = 20  # loop iterations a woken task gets before the next timer fires


async def settle() -> None:
    for _ in range(SETTLE_ROUNDS):
        await asyncio.sleep(0)


class ManualClock:
    def __init__(self, start: float = 1_000.0) -> None:
        self.now = start
        self._timers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._order = itertools.count()
        self._changed: asyncio.Event | None = None

    def time(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> asyncio.Future[None]:
        timer: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        if seconds <= 0:
            timer.set_result(None)
            return timer
        heapq.heappush(self._timers, (self.now + seconds, next(self._order), timer))
        if self._changed is not None:
            self._changed.set()
        return timer

    def pending(self) -> list[float]:
        """Seconds from now to each timer still waiting, soonest first."""
        return sorted(at - self.now for at, _, timer in self._timers if not timer.done())

    async def waiting(self, count: int, within: float = 10.0) -> None:
        """Until `count` timers wait (the code under test has reached its waits)."""
        async with asyncio.timeout(within):
            while len(self.pending()) < count:
                self._changed = asyncio.Event()
                await self._changed.wait()

    async def advance(self, seconds: float) -> None:
        target = self.now + seconds
        while self._timers and self._timers[0][0] <= target:
            at, _, timer = heapq.heappop(self._timers)
            if timer.done():  # cancelled: the wait ended another way
                continue
            self.now = max(self.now, at)
            timer.set_result(None)
            await settle()
        self.now = target
        await settle()


@pytest.fixture
def clock() -> ManualClock:
    """A fresh clock the test moves, for the bot's delivery and the test's slow skills."""
    return ManualClock()
