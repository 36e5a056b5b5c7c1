"""What one index run reports: counts, the first skips and failures, and the embedding step.

A run keeps the first skips and failures as items and counts the rest by reason: a large
corpus skips tens of thousands of scanned pages, and a list of them all grows with it.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from indexer.source import Skip

MAX_SKIPS_LISTED = 50
MAX_ITEMS_KEPT = 1000
_URL = re.compile(r"\s*(?:from\s+)?https?://\S+")


@dataclass
class Summary:
    fetched: int = 0  # objects read from the source
    changed: int = 0  # documents new or changed since the last run, (re)written
    unchanged: int = 0  # documents the source found unchanged and left alone
    deleted: int = 0
    chunks: int = 0
    files: int = 0  # files downloaded/read and parsed
    files_reused: int = 0  # unchanged files whose passages came from the index
    bytes: int = 0
    skipped: list[Skip] = field(default_factory=list)  # the first MAX_ITEMS_KEPT
    skip_count: int = 0
    elapsed_seconds: float = 0.0
    complete: bool = True
    message: str | None = None
    # Plain one-line reasons for what failed and will be tried again (a list page, a
    # document, a file download, a refused mass delete). Any failure: non-zero exit code.
    failures: list[str] = field(default_factory=list)  # the first MAX_ITEMS_KEPT
    failure_count: int = 0
    embedded: int = 0  # passages embedded in this run (semantic retrieval)
    vectors: int | None = None  # passage vectors in the index afterwards; None: no vector leg
    embed_seconds: float = 0.0
    _reasons: Counter[str] = field(default_factory=Counter, repr=False)

    def add_skip(self, skip: Skip) -> None:
        self.skip_count += 1
        self._reasons[_reason_key(skip.reason)] += 1
        if len(self.skipped) < MAX_ITEMS_KEPT:
            self.skipped.append(skip)

    def add_failure(self, reason: str, *, first: bool = False) -> None:
        self.failure_count += 1
        if first:  # the source's own failures (lists, deletes) lead the report
            self.failures.insert(0, reason)
            del self.failures[MAX_ITEMS_KEPT:]
        elif len(self.failures) < MAX_ITEMS_KEPT:
            self.failures.append(reason)

    def failure_line(self) -> str | None:
        """One line for the admin: the first failure and how many more there are."""
        if not self.failure_count:
            return None
        more = self.failure_count - 1
        return self.failures[0] + (f" (and {more} more failure(s))" if more else "")

    def skip_reasons(self) -> dict[str, int]:
        return dict(self._reasons.most_common())

    def as_dict(self) -> dict[str, Any]:
        return {
            "fetched": self.fetched,
            "changed": self.changed,
            "unchanged": self.unchanged,
            "deleted": self.deleted,
            "chunks": self.chunks,
            "files": self.files,
            "files_reused": self.files_reused,
            "bytes": self.bytes,
            "skipped": self.skip_count,
            "skip_reasons": self.skip_reasons(),
            "skipped_items": [
                {"item": s.item, "reason": s.reason} for s in self.skipped[:MAX_SKIPS_LISTED]
            ],
            "elapsed_seconds": round(self.elapsed_seconds, 3),
            "complete": self.complete,
            "message": self.message,
            "failures": self.failures[:MAX_SKIPS_LISTED],
            "failure_count": self.failure_count,
            "embedded": self.embedded,
            "vectors": self.vectors,
            "embed_seconds": round(self.embed_seconds, 3),
        }


def _reason_key(reason: str) -> str:
    """Group reasons without their variable parts ("HTTP 404 from <url>" → "HTTP 404")."""
    return _URL.sub("", reason).split(" (")[0].strip()
