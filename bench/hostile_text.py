"""Hostile message text: how long normalising and routing one message takes, by size.

    .venv/bin/python bench/hostile_text.py [--sizes 2000,20000,100000]

For each pathological message (a fragment the patterns look for, repeated without what would
complete it) prints the CPU time of `message_text` (mention and HTML stripping) plus `route`
(skill choice) at each size, and the growth factor per 10 × text. Linear code grows ~10 ×;
before the fix, "fass " × 4,000 (20 KB) held the event loop 6.4 s. Prints figures; asserts
nothing.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from botbuilder.schema import Activity  # noqa: E402

from bot.teams.normalise import message_text  # noqa: E402
from skills.registry import all_skills  # noqa: E402
from skills.router import route  # noqa: E402

FRAGMENTS = ["fass ", "fass\n", "ki-pass ", "<at>", "<a ", "\u2000", "a.", "0/", "antrag"]


def one_turn_seconds(text: str) -> float:
    activity = Activity().deserialize(
        {"type": "message", "text": text, "recipient": {"id": "28:bot", "name": "KI-Assistent"}}
    )
    best = float("inf")
    for _ in range(3):
        start = time.thread_time()
        normalised, _ = message_text(activity)
        route(normalised, all_skills())
        best = min(best, time.thread_time() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="2000,20000,100000")
    sizes = [int(s) for s in parser.parse_args().sizes.split(",")]
    print("fragment      " + "".join(f"{n:>12,} ch" for n in sizes) + "   growth per 10 × text")
    for fragment in FRAGMENTS:
        times = [one_turn_seconds(fragment * (n // len(fragment))) for n in sizes]
        growth = (times[1] / max(times[0], 1e-9)) if len(times) > 1 else float("nan")
        cells = "".join(f"{t * 1000:>12.2f} ms" for t in times)
        print(f"{fragment!r:<13} {cells}   {growth:.1f} ×")


if __name__ == "__main__":
    main()
