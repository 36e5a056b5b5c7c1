"""Message-extension latency: what a Teams/Outlook user waits for after typing in the search box,
opening "Zusammenfassen" on a message, or pasting an ALLRIS link.

    .venv/bin/python bench/extensions.py [--rounds 50]

Indexes the project's sample corpus (samples/) into a temporary embedded index, then drives
bot/extensions.handle_invoke with the extractive generator and a local directory — no network,
no model. Teams gives an invoke a few seconds; the figures show the head-room. Prints figures;
asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import date
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bot.audit import AuditLog  # noqa: E402
from bot.extensions import handle_invoke  # noqa: E402
from bot.pipeline import Pipeline  # noqa: E402
from bot.services import Services  # noqa: E402
from bot.settings import Settings  # noqa: E402
from graph.local import LocalDirectory  # noqa: E402
from graph.principal import Principal  # noqa: E402
from indexer.embedded import EmbeddedIndex  # noqa: E402
from skills.generator.extractive import ExtractiveGenerator  # noqa: E402
from skills.registry import all_skills  # noqa: E402

QUERIES = ["Radverkehr", "Klimaschutz", "Sozialticket", "Schule Kücknitz", "Travemünde", "Hafen"]
MESSAGE = (
    "<p>Liebe Kolleginnen und Kollegen,</p><p>der Bauausschuss hat am Dienstag das "
    "Radverkehrskonzept für die Innenstadt beraten. Der Ausschuss empfiehlt der Bürgerschaft, "
    "das Konzept zu beschließen.</p><p>Die Kosten betragen 2,4 Millionen Euro, verteilt auf die "
    "Haushaltsjahre 2027 und 2028.</p><p>Stellungnahmen der Fraktionen bitte bis zum 15.12.2026 "
    "an das Büro der Bürgerschaft.</p>"
) * 4


async def _index_samples(data_dir: Path) -> None:
    from bot.cli import main

    code = await asyncio.to_thread(
        main,
        ["--env-file", str(data_dir / "none.env"), "index", "samples", "--data-dir", str(data_dir)],
    )
    if code != 0:
        raise SystemExit(f"indexing the samples failed (exit {code})")


async def _timed(rounds: int, call: Callable[[int], Awaitable[object]]) -> list[float]:
    out = []
    for n in range(rounds):
        start = time.perf_counter()
        await call(n)
        out.append((time.perf_counter() - start) * 1000)
    return out


def _report(name: str, ms: list[float]) -> None:
    ms = sorted(ms)
    p95 = ms[min(len(ms) - 1, int(len(ms) * 0.95))]
    print(
        f"{name:<28} n={len(ms):>4}  p50={statistics.median(ms):7.1f} ms  p95={p95:7.1f} ms  max={ms[-1]:7.1f} ms"
    )


async def run(rounds: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp)
        started = time.perf_counter()
        await _index_samples(data_dir)
        print(f"indexed samples/ in {time.perf_counter() - started:.1f} s")
        settings = Settings(_env_file=None, data_dir=data_dir, allris_host="ratsinfo.luebeck.de")  # type: ignore[call-arg]
        user = Principal(id="bench-user", name="Bench", kipass_valid_until=date(2099, 1, 1))
        services = Services(
            settings=settings,
            index=EmbeddedIndex(data_dir / "index"),
            directory=LocalDirectory((user,)),
            generator=ExtractiveGenerator(),
            audit=AuditLog(data_dir / "audit", b"bench"),
        )
        pipeline = Pipeline.for_services(services, all_skills)  # as bot/app.py builds it once
        try:

            async def search(n: int) -> tuple[int, dict[str, Any]]:
                value = {
                    "commandId": "allrisSearch",
                    "parameters": [{"name": "query", "value": QUERIES[n % len(QUERIES)]}],
                    "queryOptions": {"skip": 0, "count": 25},
                }
                return await handle_invoke(
                    "composeExtension/query", value, "bench-user", None, services, pipeline=pipeline
                )

            async def summarise(_: int) -> object:
                value = {
                    "commandId": "summarise",
                    "messagePayload": {"body": {"contentType": "html", "content": MESSAGE}},
                }
                return await handle_invoke(
                    "composeExtension/fetchTask",
                    value,
                    "bench-user",
                    None,
                    services,
                    pipeline=pipeline,
                )

            async def unfurl(_: int) -> object:
                value = {"url": "https://ratsinfo.luebeck.de/bi/vo020.asp?VOLFDNR=1001"}
                return await handle_invoke(
                    "composeExtension/queryLink",
                    value,
                    "bench-user",
                    None,
                    services,
                    pipeline=pipeline,
                )

            # Warm the index reader, and show that the searches find something.
            for n, query in enumerate(QUERIES):
                _, body = await search(n)
                found = len(body.get("composeExtension", {}).get("attachments") or [])
                print(f"  {query!r}: {found} result card(s)")
            _report("query (ALLRIS-Suche)", await _timed(rounds, search))
            _report("fetchTask (Zusammenfassen)", await _timed(rounds, summarise))
            _report("queryLink (unfurl)", await _timed(rounds, unfurl))
        finally:
            await services.aclose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=50)
    args = parser.parse_args()
    asyncio.run(run(args.rounds))


if __name__ == "__main__":
    main()
