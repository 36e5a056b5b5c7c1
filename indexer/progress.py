"""Progress bars for long indexing runs: items, files, bytes, ETA — on a terminal only.

Quiet when stderr is not a TTY, under CI (`CI` set) and with `--json`.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from tqdm import tqdm


def wants_progress(json_output: bool) -> bool:
    return not json_output and not os.environ.get("CI") and sys.stderr.isatty()


class Progress:
    def __init__(self, *, enabled: bool, label: str = "Objekte") -> None:
        self.enabled = enabled
        self._items: Any = None
        self._files: Any = None
        self._bytes = 0
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

    def close(self) -> None:
        for bar in (self._files, self._items):
            if bar is not None:
                bar.close()


def _human(n: int) -> str:
    size = float(n)
    for unit in ("B", "kB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} B"  # pragma: no cover
