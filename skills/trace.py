"""Every turn leaves a structured trace: route, directory lookup, retrieval, generation, timings.

Tests assert on it and logs show it (at DEBUG: steps may name queries, never message text above
DEBUG). Steps carry small JSON-able details, not documents.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger("kiw.trace")


@dataclass
class TraceStep:
    name: str  # "route", "directory", "gate", "retrieval", "generation", ...
    details: dict[str, Any]
    ms: float


@dataclass
class Trace:
    correlation_id: str = ""
    steps: list[TraceStep] = field(default_factory=list)

    def add(self, name: str, ms: float = 0.0, **details: Any) -> None:
        self.steps.append(TraceStep(name, details, ms))
        log.debug("trace %s %s %.1fms %s", self.correlation_id, name, ms, details)

    @contextmanager
    def timed(self, name: str, **details: Any) -> Iterator[dict[str, Any]]:
        """`with trace.timed("retrieval", query=q) as d: d["hits"] = 3` records one step."""
        start = time.perf_counter()
        try:
            yield details
        finally:
            self.add(name, (time.perf_counter() - start) * 1000, **details)

    def step(self, name: str) -> TraceStep | None:
        return next((s for s in self.steps if s.name == name), None)

    def names(self) -> list[str]:
        return [s.name for s in self.steps]
