"""Prioritisation of administrative processes for AI and automation (Antrag item 5).

inventory -> scoring -> schedule -> charts/report. `analyse()` ties the steps together; the CLI
(`kiw prioritise`), the Teams skill (`priorisieren`) and the Werkstatt dashboard all call it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date

from prioritisation.inventory import Process
from prioritisation.schedule import NoCapacity, Quarter, Schedule, schedule
from prioritisation.scoring import Parameters, Scored, quick_wins, rank


@dataclass(frozen=True)
class Source:
    name: str
    sha256: str
    size: int

    @classmethod
    def of(cls, name: str, data: bytes) -> Source:
        return cls(name=name, sha256=hashlib.sha256(data).hexdigest(), size=len(data))


@dataclass
class Analysis:
    source: Source
    params: Parameters
    capacity: float
    start: Quarter
    created: date
    ranked: list[Scored]
    quick_wins: list[Scored]
    plan: Schedule | None
    plan_message: str | None  # German: why there is no plan (zero capacity)

    @property
    def total_staffing_fte(self) -> float:
        return sum(s.staffing_fte for s in self.ranked)

    @property
    def total_potential_fte(self) -> float:
        return sum(s.potential_fte for s in self.ranked)

    def as_dict(self) -> dict[str, object]:
        return {
            "source": {"name": self.source.name, "sha256": self.source.sha256},
            "parameters": {
                "net_hours_per_fte": self.params.net_hours_per_fte,
                "risk_factors": {k.value: v for k, v in self.params.risk_factors.items()},
                "quick_win_min_potential_fte": self.params.quick_win_min_potential_fte,
                "quick_win_max_effort_days": self.params.quick_win_max_effort_days,
                "quick_win_classes": sorted(c.value for c in self.params.quick_win_classes),
                "capacity_person_days_per_quarter": self.capacity,
                "start": str(self.start),
            },
            "processes": len(self.ranked),
            "total_staffing_fte": round(self.total_staffing_fte, 4),
            "total_potential_fte": round(self.total_potential_fte, 4),
            "ranking": [s.as_dict() for s in self.ranked],
            "quick_wins": [s.rank for s in self.quick_wins],
            "schedule": self.plan.as_dict() if self.plan else None,
            "schedule_message": self.plan_message,
        }


def analyse(
    processes: list[Process],
    source: Source,
    *,
    params: Parameters | None = None,
    capacity: float,
    start: Quarter | None = None,
    created: date | None = None,
) -> Analysis:
    params = params or Parameters()
    created = created or date.today()
    start = start or Quarter.after(created)
    ranked = rank(processes, params)
    plan: Schedule | None = None
    message: str | None = None
    try:
        plan = schedule(ranked, capacity, start)
    except NoCapacity as exc:
        message = exc.message
    return Analysis(
        source=source,
        params=params,
        capacity=capacity,
        start=start,
        created=created,
        ranked=ranked,
        quick_wins=quick_wins(ranked),
        plan=plan,
        plan_message=message,
    )
