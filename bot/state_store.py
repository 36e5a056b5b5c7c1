"""The seam of the conversation state between turns: what a store keeps and for how long.

`StateStore` is what a shared store (Redis, `bot/state_redis.py`) and the embedded one
(`bot/state.py`) implement; the handler and the delivery use only this module. Its own module
so the two stores import it and not each other (no import cycle).
"""

from __future__ import annotations

from typing import Any, Protocol

# Teams retries a request that took longer than ~15 s, up to a few times; an hour is far beyond.
DEDUPE_TTL_SECONDS = 3600.0
# A reference is needed only until the long-running skill finishes (bounded by its deadline).
REFERENCE_TTL_SECONDS = 24 * 3600.0


class StateStore(Protocol):
    async def claim(self, key: str, ttl_seconds: float | None) -> bool:
        """Set `key` if absent (atomically); True the first time, False while it is held."""

    async def save_reference(self, key: str, reference: dict[str, Any]) -> None:
        """Keep a serialised conversation reference (for proactive updates)."""

    async def load_reference(self, key: str) -> dict[str, Any] | None: ...

    async def close(self) -> None: ...


def dedupe_key(conversation_id: str, activity_id: str) -> str:
    return f"activity:{conversation_id}:{activity_id}"


def welcomed_key(conversation_id: str) -> str:
    return f"welcomed:{conversation_id}"
