"""The in-memory state store: atomic claims with expiry, references, a size cap."""

from __future__ import annotations

import asyncio

from bot.state import MemoryStateStore, build_state_store
from bot.state_store import dedupe_key, welcomed_key
from tests.bot.kit import make_settings


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_claim_once_until_it_expires() -> None:
    clock = Clock()
    store = MemoryStateStore(clock=clock)
    key = dedupe_key("conv", "act-1")
    assert await store.claim(key, 60)
    assert not await store.claim(key, 60)
    clock.now += 59
    assert not await store.claim(key, 60)
    clock.now += 2
    assert await store.claim(key, 60)


async def test_claim_without_ttl_is_kept() -> None:
    clock = Clock()
    store = MemoryStateStore(clock=clock)
    assert await store.claim(welcomed_key("conv"), None)
    clock.now += 10**9
    assert not await store.claim(welcomed_key("conv"), None)


async def test_concurrent_claims_have_one_winner() -> None:
    store = MemoryStateStore()
    results = await asyncio.gather(*(store.claim("k", 10) for _ in range(50)))
    assert results.count(True) == 1


async def test_size_cap_drops_oldest() -> None:
    store = MemoryStateStore(max_entries=3)
    for i in range(5):
        assert await store.claim(f"k{i}", None)
    assert len(store) == 3
    assert await store.claim("k0", None)  # forgotten, so claimable again
    assert not await store.claim("k4", None)


async def test_references_round_trip_and_expire() -> None:
    clock = Clock()
    store = MemoryStateStore(clock=clock)
    ref = {"conversation": {"id": "19:x;messageid=1"}, "serviceUrl": "http://127.0.0.1:1/"}
    await store.save_reference("reference:a", ref)
    loaded = await store.load_reference("reference:a")
    assert loaded == ref and loaded is not ref
    assert await store.load_reference("reference:missing") is None
    clock.now += 25 * 3600
    assert await store.load_reference("reference:a") is None


def test_build_state_store(data_dir) -> None:
    assert isinstance(build_state_store(make_settings(data_dir)), MemoryStateStore)
    redis = make_settings(data_dir, state_backend="redis", redis_url="redis://127.0.0.1:1")
    assert type(build_state_store(redis)).__name__ == "RedisStateStore"  # no connection yet
