"""Conversation state the bot keeps between turns: dedupe marks, welcome marks, references.

`StateStore` (bot/state_store.py) is the seam a shared store (Redis, Cosmos) implements so
several instances can run; `MemoryStateStore` is the embedded default for one process.
Everything here is small and short-lived: no message content is ever stored.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from bot.settings import Settings, StateBackend
from bot.state_store import REFERENCE_TTL_SECONDS, StateStore


class MemoryStateStore:
    """In-process store with per-key expiry and a size cap (oldest entries go first)."""

    def __init__(
        self, *, max_entries: int = 100_000, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._claims: OrderedDict[str, float] = OrderedDict()  # key -> expires at (inf = never)
        self._references: OrderedDict[str, tuple[float, dict[str, Any]]] = OrderedDict()
        self._max = max_entries
        self._clock = clock

    def _expired(self, expires_at: float) -> bool:
        return expires_at <= self._clock()

    def _trim(self, table: OrderedDict[str, Any]) -> None:
        while len(table) > self._max:
            table.popitem(last=False)

    async def claim(self, key: str, ttl_seconds: float | None) -> bool:
        # No await between check and set: atomic within the event loop.
        expires_at = self._claims.get(key)
        if expires_at is not None and not self._expired(expires_at):
            return False
        self._claims[key] = float("inf") if ttl_seconds is None else self._clock() + ttl_seconds
        self._claims.move_to_end(key)
        self._trim(self._claims)
        return True

    async def save_reference(self, key: str, reference: dict[str, Any]) -> None:
        self._references[key] = (self._clock() + REFERENCE_TTL_SECONDS, dict(reference))
        self._references.move_to_end(key)
        self._trim(self._references)

    async def load_reference(self, key: str) -> dict[str, Any] | None:
        entry = self._references.get(key)
        if entry is None or self._expired(entry[0]):
            return None
        return dict(entry[1])

    async def close(self) -> None:
        self._claims.clear()
        self._references.clear()

    def __len__(self) -> int:
        return len(self._claims) + len(self._references)


def build_state_store(settings: Settings) -> StateStore:
    if settings.state_backend == StateBackend.redis:
        # The shared store for several instances (ARCHITECTURE.md, scale path).
        from bot.state_redis import RedisStateStore

        return RedisStateStore.from_url(settings.redis_url)
    return MemoryStateStore()
