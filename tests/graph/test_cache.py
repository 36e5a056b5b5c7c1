"""CachedDirectory: TTL, successes only, coalesced concurrent lookups, revocation within TTL."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import date

import pytest

from graph.cache import CachedDirectory
from graph.principal import DirectoryUnavailable, Principal, UnknownUser

TODAY = date(2026, 11, 27)


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class CountingDirectory:
    """A directory whose answers the test changes; counts calls; can block or fail."""

    def __init__(self) -> None:
        self.people = {
            "u1": Principal(id="u1", name="Eins", kipass_valid_until=date(2027, 1, 1)),
        }
        self.calls = 0
        self.fail: Exception | None = None
        self.gate: asyncio.Event | None = None

    async def lookup(self, user_id: str) -> Principal:
        self.calls += 1
        if self.gate is not None:
            await self.gate.wait()
        if self.fail is not None:
            raise self.fail
        if user_id.lower() not in self.people:
            raise UnknownUser("unknown")
        return self.people[user_id.lower()]

    async def ping(self) -> None:
        return None

    async def close(self) -> None:
        return None


async def test_hit_within_ttl_and_revocation_after_ttl() -> None:
    inner, clock = CountingDirectory(), FakeClock()
    cache = CachedDirectory(inner, ttl_seconds=300, clock=clock)
    assert (await cache.lookup("u1")).kipass_valid(TODAY)
    # Revoke the KI-Pass in the directory.
    inner.people["u1"] = replace(inner.people["u1"], kipass_valid_until=None)
    clock.now += 299
    assert (await cache.lookup("U1 ")).kipass_valid(TODAY)  # still cached, same key
    assert inner.calls == 1
    clock.now += 2  # past the TTL
    assert not (await cache.lookup("u1")).kipass_valid(TODAY)
    assert inner.calls == 2
    assert cache.stats().hits == 1


async def test_failures_are_not_cached() -> None:
    inner, clock = CountingDirectory(), FakeClock()
    cache = CachedDirectory(inner, ttl_seconds=300, clock=clock)
    inner.fail = DirectoryUnavailable("down")
    with pytest.raises(DirectoryUnavailable):
        await cache.lookup("u1")
    inner.fail = None
    assert (await cache.lookup("u1")).id == "u1"
    with pytest.raises(UnknownUser):
        await cache.lookup("ghost")
    with pytest.raises(UnknownUser):
        await cache.lookup("ghost")
    assert inner.calls == 4


async def test_concurrent_lookups_of_one_user_coalesce() -> None:
    inner = CountingDirectory()
    inner.gate = asyncio.Event()
    cache = CachedDirectory(inner, ttl_seconds=300)
    waiters = [asyncio.create_task(cache.lookup("u1")) for _ in range(20)]
    await asyncio.sleep(0)
    inner.gate.set()
    results = await asyncio.gather(*waiters)
    assert {r.id for r in results} == {"u1"}
    assert inner.calls == 1
    assert cache.stats().coalesced == 19


async def test_coalesced_failure_reaches_every_waiter_and_is_not_cached() -> None:
    inner = CountingDirectory()
    inner.gate = asyncio.Event()
    inner.fail = DirectoryUnavailable("down")
    cache = CachedDirectory(inner, ttl_seconds=300)
    waiters = [asyncio.create_task(cache.lookup("u1")) for _ in range(3)]
    await asyncio.sleep(0)
    inner.gate.set()
    outcomes = await asyncio.gather(*waiters, return_exceptions=True)
    assert all(isinstance(o, DirectoryUnavailable) for o in outcomes)
    assert inner.calls == 1
    assert cache.stats().entries == 0


async def test_one_caller_giving_up_does_not_cancel_the_others() -> None:
    inner = CountingDirectory()
    inner.gate = asyncio.Event()
    cache = CachedDirectory(inner, ttl_seconds=300)
    impatient = asyncio.create_task(cache.lookup("u1"))
    patient = asyncio.create_task(cache.lookup("u1"))
    await asyncio.sleep(0)
    impatient.cancel()
    inner.gate.set()
    assert (await patient).id == "u1"
    assert impatient.cancelled()


async def test_ttl_zero_never_caches() -> None:
    inner = CountingDirectory()
    cache = CachedDirectory(inner, ttl_seconds=0)
    await cache.lookup("u1")
    await cache.lookup("u1")
    assert inner.calls == 2


async def test_bounded_size_and_invalidate() -> None:
    inner, clock = CountingDirectory(), FakeClock()
    for n in range(5):
        inner.people[f"p{n}"] = Principal(id=f"p{n}", name=f"P{n}")
    cache = CachedDirectory(inner, ttl_seconds=300, clock=clock, max_entries=3)
    for n in range(5):
        await cache.lookup(f"p{n}")
    assert cache.stats().entries == 3
    cache.invalidate("p4")
    await cache.lookup("p4")
    assert inner.calls == 6
    cache.invalidate()
    assert cache.stats().entries == 0


class VersionedDirectory(CountingDirectory):
    """A directory read from a file: the test breaks, fixes or edits that file."""

    def __init__(self) -> None:
        super().__init__()
        self.generation = 1
        self.broken = False

    def source_generation(self) -> int:
        if self.broken:
            raise DirectoryUnavailable("directory file is invalid")
        return self.generation


async def test_broken_source_fails_a_warm_cache_closed() -> None:
    inner = VersionedDirectory()
    cache = CachedDirectory(inner, ttl_seconds=300, clock=FakeClock())
    assert (await cache.lookup("u1")).kipass_valid(TODAY)
    inner.broken = True  # someone saves a broken directory file
    with pytest.raises(DirectoryUnavailable):
        await cache.lookup("u1")  # within the TTL, yet no cached "allowed"
    assert cache.stats().entries == 0
    inner.broken = False  # the file is fixed: read again, not served from before
    assert (await cache.lookup("u1")).id == "u1"
    assert inner.calls == 2


async def test_a_changed_source_retires_decisions_read_from_the_old_one() -> None:
    inner = VersionedDirectory()
    cache = CachedDirectory(inner, ttl_seconds=300, clock=FakeClock())
    await cache.lookup("u1")
    inner.people["u1"] = replace(inner.people["u1"], kipass_valid_until=None)
    inner.generation = 2  # the edit that revokes the KI-Pass is saved
    assert not (await cache.lookup("u1")).kipass_valid(TODAY)
    await cache.lookup("u1")
    assert inner.calls == 2  # cached again, now from the new file


async def test_directory_unavailable_for_anyone_empties_the_cache() -> None:
    inner = CountingDirectory()
    inner.people["u2"] = Principal(id="u2", name="Zwei")
    cache = CachedDirectory(inner, ttl_seconds=300, clock=FakeClock())
    await cache.lookup("u1")
    with pytest.raises(UnknownUser):
        await cache.lookup("ghost")  # an unknown user says nothing about the directory's health
    assert cache.stats().entries == 1
    inner.fail = DirectoryUnavailable("Graph answered 500")
    with pytest.raises(DirectoryUnavailable):
        await cache.lookup("u2")
    with pytest.raises(DirectoryUnavailable):
        await cache.lookup("u1")  # cached a moment ago, but Graph is down: fail closed
    assert cache.stats().entries == 0


async def test_failed_readiness_ping_empties_the_cache() -> None:
    inner = CountingDirectory()
    cache = CachedDirectory(inner, ttl_seconds=300, clock=FakeClock())
    await cache.lookup("u1")

    async def down() -> None:
        raise DirectoryUnavailable("token endpoint unreachable")

    inner.ping = down  # type: ignore[method-assign]
    with pytest.raises(DirectoryUnavailable):
        await cache.ping()
    assert cache.stats().entries == 0
