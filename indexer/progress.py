"""Progress bars for long indexing runs: items, files, bytes, ETA — on a terminal only.

Quiet when stderr is not a TTY, under CI (`CI` set) and with `--json`.
"""

from __future__ import annotations

import os
import sys
import time
from typing import Any

from tqdm import tqdm


def wants_progress(json_output: bool) -> bool:
    return not json_output and not os.environ.get("CI") and sys.stderr.isatty()


LINE_SECONDS = 30.0  # without a terminal, a long embedding step prints a line this often


class Progress:
    def __init__(self, *, enabled: bool, label: str = "Objekte", lines: bool = False) -> None:
        """`enabled`: bars on a terminal; `lines`: otherwise a plain line now and then for the
        long embedding step (a scheduler's log shows that it moves)."""
        self.enabled = enabled
        self._items: Any = None
        self._files: Any = None
        self._vectors: Any = None
        self._bytes = 0
        self._lines = lines and not enabled
        self._vectors_started = 0.0
        self._last_line = 0.0
        if enabled:
            self._items = tqdm(desc=label, unit=" obj", position=0, leave=True, dynamic_ncols=True)
            self._files = tqdm(
                desc="Dateien", unit=" Datei", position=1, leave=True, dynamic_ncols=True
            )

    def add_total(self, total: int | None) -> None:
        """More items expected (a list's pagination.totalElements), for the ETA."""
        if self._items is not None and total:
            self._items.total = (self._items.total or 0) + total
            self._items.refresh()

    def items(self, n: int) -> None:
        if self._items is not None and n:
            self._items.update(n)

    def file(self, size: int) -> None:
        if self._files is not None:
            self._bytes += size
            self._files.update(1)
            self._files.set_postfix_str(_human(self._bytes), refresh=False)

    def vectors(self, done: int, total: int) -> None:
        """Passages embedded so far of those the embedding step found to do (0 when the step
        begins: a line says the keyword index is written, the rate counts from there)."""
        now = time.monotonic()
        if not self._vectors_started:
            self._vectors_started = self._last_line = now
        if self.enabled:
            if self._vectors is None:
                self._vectors = tqdm(
                    desc="Vektoren", unit=" Abschnitt", total=total, position=2, leave=True
                )
            self._vectors.update(done - self._vectors.n)
            return
        if self._lines and done == 0:
            # The step begins: everything is searchable by its words from now on.
            print(
                f"keyword index written; vectors: {total:,} passages to embed",
                file=sys.stderr,
                flush=True,
            )
            return
        if not self._lines or (now - self._last_line < LINE_SECONDS and done < total):
            return
        if done == total and self._last_line == self._vectors_started:
            return  # finished before the first line was due: the summary says it
        self._last_line = now
        print(vector_line(done, total, now - self._vectors_started), file=sys.stderr, flush=True)

    def close(self) -> None:
        for bar in (self._vectors, self._files, self._items):
            if bar is not None:
                bar.close()


def vector_line(done: int, total: int, seconds: float) -> str:
    rate = done / seconds if seconds > 0 else 0.0
    left = (total - done) / rate if rate > 0 else 0.0
    share = 100 * done / total if total else 100.0
    return (
        f"vectors: {done:,} of {total:,} passages ({share:.0f} %), {rate:.1f}/s, "
        f"about {left / 60:.0f} min left"
    )


def _human(n: int) -> str:
    size = float(n)
    for unit in ("B", "kB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} B"  # pragma: no cover
