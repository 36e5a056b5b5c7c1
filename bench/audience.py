"""The audience rule's cost per channel turn: roster lookup cold and cached, and whole turns.

    .venv/bin/python bench/audience.py [--turns 300] [--rosters 2,50,500]

The product app (bot.app.create_app, local mode) behind aiohttp's test server, the sample corpus
indexed into a temp dir, a generated local directory of 500 members (plus the sample users), and
the loopback Bot Connector (tests/support/connector.py) serving the channel's team roster in
pages of 100, as Teams does.

1. Roster lookup, from each turn's trace step "audience": cold = the audience cache and the
   directory cache emptied before every turn (roster pages over HTTP + one directory lookup per
   member), cached = the same channel again within KIW_DIRECTORY_CACHE_TTL.
2. Whole turns, client-side latency of `suche Radverkehr` by a Grünen member: in the 1:1 chat
   (no audience), in a channel of the faction (cached audience, nothing to withhold) and in a
   mixed channel (cached audience; every lookup is repeated with the asker's groups to decide
   the withheld notice).

The local directory answers from memory; with Microsoft Graph a cold member lookup costs what
bench/directory.py prints (cold lookups per second), times the roster size, once per TTL.
Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from aiohttp.test_utils import TestClient, TestServer  # noqa: E402

from bot.app import HANDLER, create_app  # noqa: E402
from bot.services import build_services  # noqa: E402
from graph.cache import CachedDirectory  # noqa: E402
from skills.trace import Trace  # noqa: E402
from tests.bot.audience_kit import DIRK, EVA, TENANT, channel_post, roster  # noqa: E402
from tests.bot.kit import make_settings, message  # noqa: E402
from tests.support.connector import ConnectorRecorder  # noqa: E402

SAMPLE_DIRECTORY = REPO / "samples" / "directory.yaml"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def figures(values: list[float]) -> str:
    return (
        f"p50 {percentile(values, 0.5):7.3f} ms  p95 {percentile(values, 0.95):7.3f} ms  "
        f"mean {statistics.fmean(values):7.3f} ms  (n={len(values)})"
    )


def member_id(n: int) -> str:
    return f"bbbbbbbb-2222-4222-8222-{n:012d}"


def write_directory(path: Path, members: int) -> None:
    """The sample directory plus `members` generated members of the Grünen faction."""
    lines = SAMPLE_DIRECTORY.read_text("utf-8").rstrip("\n").splitlines()
    for n in range(members):
        lines += [
            f"  - id: {member_id(n)}",
            f"    name: Mitglied {n}",
            "    groups: [fraktion-gruene]",
            "    kipass_valid_until: 2099-12-31",
        ]
    path.write_text("\n".join(lines) + "\n", "utf-8")


async def timed_turn(client: TestClient, activity: dict[str, Any]) -> float:
    started = time.perf_counter()
    response = await client.post("/api/messages", json=activity)
    await response.read()
    elapsed = (time.perf_counter() - started) * 1000
    if response.status not in (200, 201):
        raise RuntimeError(f"turn failed: HTTP {response.status}")
    return elapsed


def index_samples(data: Path) -> None:
    subprocess.run(
        [str(REPO / ".venv" / "bin" / "kiw"), "index", "samples", "--data-dir", str(data)],
        cwd=REPO,
        check=True,
        capture_output=True,
    )


async def run(tmp: Path, turns: int, roster_sizes: list[int]) -> None:
    data = tmp / "data"
    directory_file = tmp / "directory.yaml"
    write_directory(directory_file, max(roster_sizes))
    connector = await ConnectorRecorder(roster_page_size=100).start()
    settings = make_settings(
        data, directory_file=directory_file, allowed_tenants=TENANT, streaming=False
    )
    traces: list[Trace] = []
    app = create_app(settings, services=build_services(settings), trace_sink=traces.append)
    client = TestClient(TestServer(app))
    await client.start_server()
    try:
        handler = app[HANDLER]
        directory = handler.services.directory
        assert isinstance(directory, CachedDirectory)
        print(f"load average: {os.getloadavg()[0]:.1f}, turns per figure: {turns}\n")
        print("1. roster lookup per channel turn (trace step 'audience')")
        for size in roster_sizes:
            team = f"19:bench-team-{size}@thread.tacv2"
            connector.rosters[team] = roster(DIRK, *(member_id(n) for n in range(size - 1)))
            post = channel_post("hilfe", connector, DIRK, team)

            def forget(post: dict[str, Any] = post) -> None:
                handler.audiences.forget(_activity(post))
                directory.invalidate()

            pages: list[float] = []
            cold = await _lookup_ms(client, post, traces, turns, before=forget, roster_ms=pages)
            cached = await _lookup_ms(client, post, traces, turns, before=None, roster_ms=[])
            print(f"   roster {size:4d}  cold   {figures(cold)}")
            print(
                f"               of which reading the roster pages: p50 {percentile(pages, 0.5):.3f} ms"
            )
            print(f"   roster {size:4d}  cached {figures(cached)}")

        print("\n2. whole turns, `suche Radverkehr` by a Grünen member (client-side)")
        gruene_team, mixed_team = "19:bench-gruene@thread.tacv2", "19:bench-mixed@thread.tacv2"
        connector.rosters[gruene_team] = roster(DIRK, member_id(0))
        connector.rosters[mixed_team] = roster(DIRK, EVA)
        cases: dict[str, Callable[[], dict[str, Any]]] = {
            "1:1 chat (no audience)    ": lambda: message(
                "suche Radverkehr", connector.service_url, user=DIRK, tenant=TENANT
            ),
            "faction channel (cached)  ": lambda: channel_post(
                "suche Radverkehr", connector, DIRK, gruene_team
            ),
            "mixed channel (cached)    ": lambda: channel_post(
                "suche Radverkehr", connector, DIRK, mixed_team
            ),
        }
        for make in cases.values():  # warm caches and code paths once
            await timed_turn(client, make())
        results: dict[str, list[float]] = {name: [] for name in cases}
        for _ in range(turns):  # interleaved, so load swings hit every case alike
            for name, make in cases.items():
                results[name].append(await timed_turn(client, make()))
        for name, values in results.items():
            print(f"   {name} {figures(values)}")
    finally:
        await client.close()
        await connector.close()


async def _lookup_ms(
    client: TestClient,
    post: dict[str, Any],
    traces: list[Trace],
    turns: int,
    *,
    before: Callable[[], None] | None,
    roster_ms: list[float],
) -> list[float]:
    values: list[float] = []
    for n in range(turns):
        if before is not None:
            before()
        activity = dict(post, id=f"bench-{time.monotonic_ns()}-{n}")
        await timed_turn(client, activity)
        step = traces[-1].step("audience")
        if step is None:
            raise RuntimeError("no audience step in the trace")
        values.append(step.ms)
        roster_ms.append(step.details["roster_ms"])
    return values


def _activity(post: dict[str, Any]) -> Any:
    from botbuilder.schema import Activity

    return Activity().deserialize(post)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=300)
    parser.add_argument("--rosters", default="2,50,500", help="roster sizes, comma-separated")
    args = parser.parse_args()
    sizes = [int(s) for s in args.rosters.split(",") if s.strip()]
    with tempfile.TemporaryDirectory() as tmp:
        index_samples(Path(tmp) / "data")
        asyncio.run(run(Path(tmp), args.turns, sizes))


if __name__ == "__main__":
    main()
