"""Peak memory of a process and all its descendants, sampled from /proc (Linux).

`/usr/bin/time -v` reports the largest *single* process; an index run with embedding workers
is several processes (the indexer, its parser worker, two e5 workers, the benchmark's OParl
server) that share the model file through mmap. This samples the whole tree every few seconds
and prints, at the end, the peak of the summed RSS (double-counts shared pages) and of the
summed PSS (shared pages split between the processes that map them: what the tree costs).

    .venv/bin/python bench/tree_memory.py PID [--every 2] [--exclude-name oparl_server]

It ends when PID ends; a line every minute on stdout lets a log show the course.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path


def _children(pid: int) -> list[int]:
    out: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            out += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
    return out


def _tree(pid: int) -> list[int]:
    seen, todo = [], [pid]
    while todo:
        p = todo.pop()
        seen.append(p)
        todo += _children(p)
    return seen


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def _rollup(pid: int) -> tuple[int, int]:
    """(RSS, PSS) in kB, 0 for a process that has gone."""
    rss = pss = 0
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Rss:"):
                rss = int(line.split()[1])
            elif line.startswith("Pss:"):
                pss = int(line.split()[1])
    except OSError:
        pass
    return rss, pss


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("pid", type=int)
    parser.add_argument("--every", type=float, default=2.0, help="seconds between samples")
    parser.add_argument(
        "--exclude-name", default=None, help="leave out processes whose command line has this"
    )
    args = parser.parse_args()
    peak_rss = peak_pss = peak_count = 0
    last_line = time.monotonic()
    started = last_line
    while Path(f"/proc/{args.pid}").exists():
        pids = [
            p
            for p in _tree(args.pid)
            if not (args.exclude_name and args.exclude_name in _cmdline(p))
        ]
        rows = [_rollup(p) for p in pids]
        rss, pss = sum(r for r, _ in rows), sum(p for _, p in rows)
        if pss > peak_pss:
            peak_pss, peak_count = pss, len(pids)
        peak_rss = max(peak_rss, rss)
        now = time.monotonic()
        if now - last_line >= 60:
            last_line = now
            print(
                f"{(now - started) / 60:6.1f} min  processes {len(pids)}  RSS {rss / 1024:7.1f} MB"
                f"  PSS {pss / 1024:7.1f} MB",
                flush=True,
            )
        time.sleep(args.every)
    print(
        f"peak of the process tree: PSS {peak_pss / 1024:.1f} MB ({peak_count} processes), "
        f"summed RSS {peak_rss / 1024:.1f} MB",
        flush=True,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
