"""Directory benchmark: principal lookups per second (cold vs warm cache) against the loopback
Graph, and the KI-Pass gate's added latency with a warm cache (target: p95 < 2 ms).

    .venv/bin/python bench/directory.py [--users 200] [--groups 30] [--gate-calls 5000]

Runs the real GraphDirectory (msgraph-sdk + msal) against tests/graph/graph_server.py on
127.0.0.1 (HTTPS, self-signed). Cold = every lookup goes to Graph (a user call plus the paged
transitiveMemberOf calls); warm = answered by CachedDirectory. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from graph.cache import CachedDirectory  # noqa: E402
from graph.msgraph import GraphDirectory  # noqa: E402
from skills.context import SkillConfig, SkillContext  # noqa: E402
from skills.gate import gate  # noqa: E402
from skills.registry import all_skills  # noqa: E402
from tests.graph.graph_server import (  # noqa: E402
    CLIENT_ID,
    CLIENT_SECRET,
    EXPIRY_ATTRIBUTE,
    TENANT,
    GraphServer,
    GraphUser,
)

KIPASS_GROUP = "9a8b7c6d-0000-4000-8000-00000000c1a5"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def run(users: int, groups: int, gate_calls: int, concurrency: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        server = await GraphServer(Path(tmp), page_size=100).start()
        ids = []
        for n in range(users):
            uid = f"aaaaaaaa-1111-4111-8111-{n:012d}"
            member_of = [(KIPASS_GROUP, "KI-Pass")] + [
                (f"0000aaaa-0000-4000-8000-{g:012d}", f"Gruppe {g}") for g in range(groups - 1)
            ]
            server.add_user(
                GraphUser(
                    uid,
                    f"User {n}",
                    f"user{n}@luebeck.de",
                    member_of,
                    {EXPIRY_ATTRIBUTE: "2099-12-31"},
                )
            )
            ids.append(uid)
        graph = GraphDirectory(
            tenant_id=TENANT,
            client_id=CLIENT_ID,
            client_secret=CLIENT_SECRET,
            kipass_group_id=KIPASS_GROUP,
            kipass_expiry_attribute=EXPIRY_ATTRIBUTE,
            access_groups_by_id={"0000aaaa-0000-4000-8000-000000000001": "fraktion-cdu"},
            graph_base_url=server.graph_base_url,
            authority_host=server.base,
            verify=str(server.ca_file),
        )
        cache = CachedDirectory(graph, ttl_seconds=300)
        await graph.lookup(ids[0])  # token, TLS, imports: not part of the figures

        # Cold: every lookup reaches Graph (distinct users, nothing cached yet).
        start = time.perf_counter()
        for uid in ids:
            await cache.lookup(uid)
        cold_seq = users / (time.perf_counter() - start)

        cache.invalidate()
        semaphore = asyncio.Semaphore(concurrency)

        async def one(uid: str) -> None:
            async with semaphore:
                await cache.lookup(uid)

        start = time.perf_counter()
        await asyncio.gather(*(one(uid) for uid in ids))
        cold_conc = users / (time.perf_counter() - start)

        # Warm: the same users again, all answered from the cache.
        rounds = max(1, 20_000 // users)
        start = time.perf_counter()
        for _ in range(rounds):
            for uid in ids:
                await cache.lookup(uid)
        warm = rounds * users / (time.perf_counter() - start)

        # The gate's added latency per turn, warm cache, for an AI skill.
        ai_skill = next(s for s in all_skills() if s.requires_kipass)
        ctx = SkillContext(
            index=None,  # type: ignore[arg-type]
            generator=None,  # type: ignore[arg-type]
            directory=cache,
            config=SkillConfig(),
        )
        samples: list[float] = []
        for n in range(gate_calls):
            t0 = time.perf_counter()
            decision = await gate(ai_skill, ids[n % users], ctx)
            samples.append((time.perf_counter() - t0) * 1000)
            assert decision.allowed
        graph_calls = len(server.graph_calls())
        token_requests = server.token_requests
        await cache.close()
        await server.close()

    print(f"Directory benchmark: {users} users x {groups} groups (pages of 100), loopback Graph")
    print(f"  cold cache, sequential      {cold_seq:10.0f} lookups/s")
    print(f"  cold cache, {concurrency:2d} concurrent   {cold_conc:10.0f} lookups/s")
    print(f"  warm cache                  {warm:10.0f} lookups/s")
    print(
        f"  gate added latency (warm)   p50 {statistics.median(samples):.3f} ms, "
        f"p95 {percentile(samples, 0.95):.3f} ms, max {max(samples):.3f} ms "
        f"over {gate_calls} calls (target p95 < 2 ms)"
    )
    print(f"  Graph requests {graph_calls}, token requests to the authority {token_requests}")
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"  load average {load} on {os.cpu_count()} cores (client and server share them)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--groups", type=int, default=30)
    parser.add_argument("--gate-calls", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    asyncio.run(run(args.users, args.groups, args.gate_calls, args.concurrency))


if __name__ == "__main__":
    main()
