"""A short TTL cache in front of a directory: keeps Graph load low, revocation still lands soon.

- Successes only are cached, for `ttl_seconds` (KIW_DIRECTORY_CACHE_TTL, default 300 s): a
  revoked KI-Pass takes effect at the latest one TTL later. Failures (unknown user, Graph down)
  are never cached, so the next turn asks again — and, if Graph is still down, fails closed again.
- Concurrent lookups of the same user share one call to the inner directory (a burst of
  @mentions in a channel costs one Graph round trip, not one per message).
- Bounded: at most `max_entries` users; the oldest entries make room first.
- Fails closed, cache included (docs/identity.md, "Cache and directory failures"): any
  DirectoryUnavailable from the inner directory — for any user, or from the readiness ping —
  drops every cached decision, so no cached "allowed" outlives a directory that stopped
  answering. A directory that re-reads a source file (SourceVersioned) is asked on every
  lookup, hits included, whether that file is still good and unchanged: a broken file fails the
  lookup, a changed one retires the decisions made from the old one.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass

from graph.principal import Directory, DirectoryUnavailable, Principal, SourceVersioned


@dataclass(frozen=True)
class CacheStats:
    hits: int
    misses: int
    coalesced: int
    entries: int


class CachedDirectory:
    def __init__(
        self,
        inner: Directory,
        ttl_seconds: float = 300.0,
        *,
        clock: Callable[[], float] = time.monotonic,
        max_entries: int = 10_000,
    ) -> None:
        if ttl_seconds < 0:
            raise ValueError("ttl_seconds must not be negative")
        self.inner = inner
        self.ttl_seconds = ttl_seconds
        self._clock = clock
        self._max_entries = max_entries
        # key -> (expires_at, source generation it was read from, principal)
        self._entries: dict[str, tuple[float, int, Principal]] = {}
        self._source_generation = (
            inner.source_generation if isinstance(inner, SourceVersioned) else None
        )
        self._inflight: dict[str, asyncio.Task[Principal]] = {}
        self._hits = self._misses = self._coalesced = 0

    @staticmethod
    def _key(user_id: str) -> str:
        return user_id.strip().lower()

    def _generation(self) -> int:
        """The inner source's generation (0 for Graph); a broken source empties the cache."""
        if self._source_generation is None:
            return 0
        try:
            return self._source_generation()
        except DirectoryUnavailable:
            self._entries.clear()
            raise

    async def lookup(self, user_id: str) -> Principal:
        key = self._key(user_id)
        generation = self._generation()
        entry = self._entries.get(key)
        if entry is not None:
            expires_at, entry_generation, principal = entry
            if expires_at > self._clock() and entry_generation == generation:
                self._hits += 1
                return principal
            del self._entries[key]
        task = self._inflight.get(key)
        if task is None:
            self._misses += 1
            task = asyncio.ensure_future(self.inner.lookup(user_id))
            self._inflight[key] = task
            # The generation read *before* the lookup: if the file changes meanwhile, the entry
            # is older than the file and the next hit re-reads it (never the other way round).
            task.add_done_callback(
                lambda t, k=key, g=generation: self._settle(k, g, t)  # type: ignore[misc]
            )
        else:
            self._coalesced += 1
        # shield: one caller giving up (its turn timed out) must not cancel the others' lookup.
        return await asyncio.shield(task)

    def _settle(self, key: str, generation: int, task: asyncio.Task[Principal]) -> None:
        if self._inflight.get(key) is task:
            del self._inflight[key]
        if task.cancelled():
            return
        error = task.exception()
        if isinstance(error, DirectoryUnavailable):
            # The directory stopped answering: nobody keeps a decision it can no longer confirm.
            self._entries.clear()
        if error is not None:
            return  # never cache a failure: fail closed now, ask again next time
        if self.ttl_seconds <= 0:
            return
        principal = task.result()
        expires = self._clock() + self.ttl_seconds
        while len(self._entries) >= self._max_entries:
            self._entries.pop(next(iter(self._entries)))
        self._entries[key] = (expires, generation, principal)

    def invalidate(self, user_id: str | None = None) -> None:
        """Forget one user (or everyone): the next lookup asks the directory again."""
        if user_id is None:
            self._entries.clear()
        else:
            self._entries.pop(self._key(user_id), None)

    def stats(self) -> CacheStats:
        return CacheStats(self._hits, self._misses, self._coalesced, len(self._entries))

    async def ping(self) -> None:
        try:
            await self.inner.ping()
        except DirectoryUnavailable:
            self._entries.clear()
            raise

    async def close(self) -> None:
        for task in list(self._inflight.values()):
            task.cancel()
        await self.inner.close()
