"""Benchmark: aggregate a synthetic audit log of N lines (default 1,000,000) for the dashboard.

    .venv/bin/python bench/audit_aggregate.py [--lines 1000000] [--days 30] [--users 2000]

Writes the log (bot/audit.py schema, one file per day) into a temporary folder, then runs the
dashboard's aggregation in a fresh child process and prints lines/s, wall time and memory:
peak RSS of the child, and how much it grew during the aggregation (the streaming claim: it
must not grow with the number of lines). Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SKILLS = ("policy_qa", "allris_search", "summarise", "kipass", "help", "prioritise")
WEIGHTS = (40, 30, 15, 5, 8, 2)
START = date(2026, 9, 28)  # a Monday: the dashboard counts whole weeks


def generate(folder: Path, lines: int, days: int, users: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    pseudonyms = [f"{rng.getrandbits(64):016x}" for _ in range(users)]
    per_day = lines // days
    for d in range(days):
        day = START + timedelta(days=d)
        count = per_day + (lines - per_day * days if d == days - 1 else 0)
        with (folder / f"audit-{day.isoformat()}.jsonl").open("w", encoding="utf-8") as fh:
            for i in range(count):
                second = i * 86400 // max(count, 1)
                ts = f"{day.isoformat()}T{second // 3600:02d}:{second // 60 % 60:02d}:{second % 60:02d}Z"
                roll = rng.random()
                skill = rng.choices(SKILLS, WEIGHTS)[0]
                user = rng.choice(pseudonyms)
                line: dict[str, object]
                if roll < 0.80:
                    outcome = rng.choices(
                        ("ok", "no_answer", "error", "bad_input"), (85, 10, 3, 2)
                    )[0]
                    line = {
                        "ts": ts,
                        "event": "turn",
                        "skill": skill,
                        "outcome": outcome,
                        "reason": rng.choice(("timeout", "generator_down"))
                        if outcome == "error"
                        else None,
                        "latency_ms": int(rng.lognormvariate(7, 0.6)),
                        "user": user,
                        "scope": "personal",
                        "cited": rng.random() < 0.9 if outcome == "ok" else None,
                        "ai": False,
                    }
                elif roll < 0.92:
                    line = {
                        "ts": ts,
                        "event": "feedback",
                        "skill": skill,
                        "outcome": "up" if rng.random() < 0.8 else "down",
                        "reason": None,
                        "latency_ms": None,
                        "user": user,
                        "scope": "personal",
                        "cited": None,
                        "ai": None,
                    }
                else:
                    line = {
                        "ts": ts,
                        "event": "gate",
                        "skill": skill,
                        "outcome": "denied",
                        "reason": rng.choice(
                            ("kipass_required", "kipass_check_failed", "unknown_user")
                        ),
                        "latency_ms": None,
                        "user": user,
                        "scope": "personal",
                        "cited": None,
                        "ai": None,
                    }
                fh.write(json.dumps(line) + "\n")


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def measure(folder: Path, days: int) -> None:
    """Runs in the child: import first (baseline), then aggregate and report."""
    sys.path.insert(0, str(REPO))
    from bot.werkstatt.aggregate import aggregate
    from bot.werkstatt.labels import skill_rows
    from bot.werkstatt.periods import Weeks
    from bot.werkstatt.published import figures
    from skills.registry import all_skills

    # The row names come from the skill registry; importing the skills is start-up cost (the
    # bot has them loaded anyway), not memory of the aggregation.
    rows = skill_rows(all_skills())

    baseline = rss_mb()
    start = time.perf_counter()
    cpu_start = time.process_time()
    acc = aggregate(folder, Weeks(START, (days + 6) // 7), rows)
    data = figures(acc)
    seconds = time.perf_counter() - start
    cpu_seconds = time.process_time() - cpu_start  # what the work costs, whatever else runs
    print(
        json.dumps(
            {
                "lines": acc.lines,
                "bad_lines": acc.bad_lines,
                "seconds": round(seconds, 2),
                "cpu_seconds": round(cpu_seconds, 2),
                "lines_per_second": round(acc.lines / seconds),
                "peak_rss_mb": round(rss_mb(), 1),
                "rss_growth_mb": round(rss_mb() - baseline, 1),
                "published_turns": data["totals"]["turns"]["value"],
            }
        )
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--users", type=int, default=2000)
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        measure(args.measure, args.days)
        return 0
    with tempfile.TemporaryDirectory(prefix="kiw-bench-audit-") as tmp:
        folder = Path(tmp)
        t0 = time.perf_counter()
        generate(folder, args.lines, args.days, args.users)
        size = sum(p.stat().st_size for p in folder.iterdir())
        print(
            f"generated {args.lines:,} audit lines over {args.days} days, {args.users:,} users, "
            f"{size / 1024 / 1024:.0f} MB, in {time.perf_counter() - t0:.1f} s"
        )
        child = subprocess.run(
            [sys.executable, __file__, "--measure", str(folder), "--days", str(args.days)],
            check=True,
            capture_output=True,
            text=True,
        )
        result = json.loads(child.stdout.strip().splitlines()[-1])
    print(
        f"aggregated {result['lines']:,} lines in {result['seconds']} s wall "
        f"({result['cpu_seconds']} s CPU) = {result['lines_per_second']:,} lines/s; peak RSS {result['peak_rss_mb']} MB "
        f"(grew {result['rss_growth_mb']} MB during aggregation)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
