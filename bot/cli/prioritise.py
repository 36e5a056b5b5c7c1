"""`kiw prioritise INVENTORY.(csv|xlsx)`: ranking, quick wins, timeline, charts and report.

Writes into --out (default ./priorisierung): rangliste.csv/.xlsx, matrix.png/.svg,
zeitplan.png/.svg, bericht.md/.pdf. A bad inventory prints every problem (row, column, what
is wrong) and writes nothing. Exit codes: 0 ok, 1 inventory unusable, 2 bad arguments.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bot.cli.common import emit_json
from skills.wording import count_of


def register(sub: argparse._SubParsersAction) -> None:
    from prioritisation.schedule import DEFAULT_CAPACITY_PERSON_DAYS
    from prioritisation.scoring import DEFAULT_NET_HOURS_PER_FTE

    p = sub.add_parser(
        "prioritise",
        help="rank administrative processes for AI/automation, quick wins, timeline",
    )
    p.add_argument("inventory", type=Path, help="process inventory (.csv or .xlsx)")
    p.add_argument(
        "--capacity",
        type=float,
        default=DEFAULT_CAPACITY_PERSON_DAYS,
        metavar="PERSON_DAYS_PER_QUARTER",
        help=f"implementation capacity per quarter (default {DEFAULT_CAPACITY_PERSON_DAYS:g}; 0 = no timeline)",
    )
    p.add_argument("--out", type=Path, default=Path("priorisierung"), help="output folder")
    p.add_argument(
        "--net-hours",
        type=float,
        default=DEFAULT_NET_HOURS_PER_FTE,
        help=f"net annual working hours per full-time post (default {DEFAULT_NET_HOURS_PER_FTE:g}, KGSt)",
    )
    p.add_argument("--start", default=None, help="first quarter of the timeline, e.g. 2027-Q1")
    p.add_argument("--data-dir", type=Path, default=None, help=argparse.SUPPRESS)
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from prioritisation import Source, analyse
    from prioritisation.inventory import InventoryError, read_inventory_file
    from prioritisation.report import write_outputs
    from prioritisation.schedule import Quarter
    from prioritisation.scoring import Parameters

    if args.capacity < 0:
        print("--capacity must not be negative.", file=sys.stderr)
        return 2
    try:
        params = Parameters(net_hours_per_fte=args.net_hours)
        start = Quarter.parse(args.start) if args.start else None
    except ValueError as exc:
        print(f"{exc}.", file=sys.stderr)
        return 2
    path: Path = args.inventory
    try:
        processes = read_inventory_file(path)
    except InventoryError as exc:
        if args.json:
            emit_json({"ok": False, "file": str(path), "problems": exc.lines()})
        else:
            print(f"{path}: die Inventarliste ist nicht verwendbar. Probleme:", file=sys.stderr)
            for line in exc.lines():
                print(f"  - {line}", file=sys.stderr)
            print("Es wurden keine Dateien geschrieben.", file=sys.stderr)
        return 1
    analysis = analyse(
        processes,
        Source.of(path.name, path.read_bytes()),
        params=params,
        capacity=args.capacity,
        start=start,
    )
    written = write_outputs(analysis, args.out)
    if args.json:
        emit_json(
            {
                "ok": True,
                "out": str(args.out),
                "files": [p.name for p in written],
                **analysis.as_dict(),
            }
        )
        return 0
    ranked = count_of(len(analysis.ranked), "Prozess", "Prozesse")
    print(f"{ranked} bewertet, Ergebnisse in {args.out}/:")
    for s in analysis.ranked[:10]:
        flag = "  Quick Win" if s.quick_win else ""
        print(
            f"  {s.rank:>3}. {s.process.name} – Potenzial {s.potential_fte:.2f} VZÄ, "
            f"Aufwand {s.process.effort_person_days:g} PT, Wert {s.score:.2f}{flag}"
        )
    print(f"Quick Wins: {len(analysis.quick_wins)}")
    if analysis.plan_message:
        print(analysis.plan_message)
    for p in written:
        print(f"  {p}")
    return 0
