"""The shared state store for several bot instances: Redis (KIW_STATE_BACKEND=redis).

Implements `StateStore` (bot/state_store.py): dedupe claims and welcome marks are `SET key NX PX ttl`
(atomic across instances: of two instances that receive the same Teams retry, exactly one gets
the claim), conversation references are JSON strings with an expiry. Keys carry a prefix so
several environments can share one Redis. No message content is ever stored.

When Redis is unreachable a claim is GRANTED (logged as a warning): answering a retried activity
twice is the lesser harm than answering no one while Redis is down. References then cannot be
saved, so a long-running reply falls back to what the handler does without one.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError

from bot.state_store import REFERENCE_TTL_SECONDS

log = logging.getLogger("kiw.state.redis")

DEFAULT_PREFIX = "kiw:"
# Short timeouts: the store sits on the path of every turn; Teams retries after ~15 s.
SOCKET_TIMEOUT_SECONDS = 2.0


class RedisStateStore:
    def __init__(self, client: Redis, *, prefix: str = DEFAULT_PREFIX) -> None:
        self._redis = client
        self._prefix = prefix

    @classmethod
    def from_url(cls, url: str, *, prefix: str = DEFAULT_PREFIX) -> RedisStateStore:
        """`redis://host:6379/0` or `rediss://…` (TLS, e.g. Azure Cache for Redis on 6380)."""
        client = Redis.from_url(
            url,
            socket_timeout=SOCKET_TIMEOUT_SECONDS,
            socket_connect_timeout=SOCKET_TIMEOUT_SECONDS,
            health_check_interval=30,
        )
        return cls(client, prefix=prefix)

    def _key(self, key: str) -> str:
        return self._prefix + key

    async def claim(self, key: str, ttl_seconds: float | None) -> bool:
        expiry = None if ttl_seconds is None else max(1, int(ttl_seconds * 1000))
        try:
            return bool(await self._redis.set(self._key(key), b"1", nx=True, px=expiry))
        except RedisError as exc:
            log.warning("state store unreachable, claim %s granted (fail open): %s", key, exc)
            return True

    async def save_reference(self, key: str, reference: dict[str, Any]) -> None:
        data = json.dumps(reference, separators=(",", ":"), default=str)
        try:
            await self._redis.set(
                self._key(key), data.encode("utf-8"), px=int(REFERENCE_TTL_SECONDS * 1000)
            )
        except RedisError as exc:
            log.warning("state store unreachable, reference %s not saved: %s", key, exc)

    async def load_reference(self, key: str) -> dict[str, Any] | None:
        try:
            raw = await self._redis.get(self._key(key))
        except RedisError as exc:
            log.warning("state store unreachable, reference %s not loaded: %s", key, exc)
            return None
        if raw is None:
            return None
        try:
            value = json.loads(raw)
        except ValueError:
            log.warning("reference %s in the state store is not JSON; ignored", key)
            return None
        return value if isinstance(value, dict) else None

    async def ping(self) -> None:
        """Raise if Redis does not answer (readiness probe)."""
        await self._redis.ping()

    async def close(self) -> None:
        await self._redis.aclose()
