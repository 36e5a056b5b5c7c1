"""Fuzz POST /api/messages for longer than the test suite does, and print the figures.

    .venv/bin/python bench/fuzz_messages.py                       # 5,000 cases, seed 1
    .venv/bin/python bench/fuzz_messages.py --cases 20000 --seed 7

The same seeded fuzzer as tests/bot/test_fuzz_messages.py (tests/support/fuzz.py): the real app
with auth ON against the loopback Bot Connector, Entra and a file host that never answers.
Prints cases tried, answers by status, failures by kind (5xx, hang over the budget, an
unauthenticated request not refused or replied to), the slowest answer and the first examples
of each failure. Asserts nothing; docs/faults.md keeps the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.support.fuzz import HANG_SLACK, LONG_WORK_BUDGET, run_fuzz


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--concurrency", type=int, default=4)
    args = parser.parse_args()
    logging.basicConfig(level=logging.CRITICAL)  # thousands of expected refusals otherwise
    print(f"load average {os.getloadavg()[0]:.1f}; seed {args.seed}; {args.cases} cases")
    with tempfile.TemporaryDirectory() as tmp:
        report = await run_fuzz(
            Path(tmp),
            cases=args.cases,
            seed=args.seed,
            concurrency=args.concurrency,
            on_progress=lambda done: (
                print(f"  {done} sent", file=sys.stderr, flush=True) if done % 1000 == 0 else None
            ),
        )
    print(f"cases tried       {report.tried}")
    print(f"run time          {report.seconds:.1f} s ({report.tried / report.seconds:.0f} cases/s)")
    print(
        f"slowest answer    {report.slowest:.2f} s (hang = over {LONG_WORK_BUDGET + HANG_SLACK} s)"
    )
    print("answers by status " + ", ".join(f"{k}: {v}" for k, v in sorted(report.statuses.items())))
    print(
        f"  of which 501    {report.unknown_invokes} (authenticated invokes the bot does not offer)"
    )
    print("tokens used       " + ", ".join(f"{k}: {v}" for k, v in report.kinds.most_common()))
    counts = report.failure_counts()
    print(f"failures          {sum(counts.values())}")
    for kind in (
        "5xx",
        "hang over the budget",
        "no answer",
        "unauthenticated request not refused",
        "unauthenticated body parsed",
        "reply to an unauthenticated request",
    ):
        print(f"  {kind:<38} {counts.get(kind, 0)}")
    for kind, examples in report.failures.items():
        print(f"first examples of {kind}:")
        for example in examples[:5]:
            print(f"  {example}")


if __name__ == "__main__":
    asyncio.run(main())
