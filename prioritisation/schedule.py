"""Timeline: the ranked candidates in waves (quarters), within a capacity of person-days per quarter.

Rule, in plain words: candidates are taken one after another in ranking order. Each quarter
offers the same capacity. A candidate starts where the previous one ended; whatever does not fit
in the rest of the current quarter carries on in the next one, so a candidate larger than a
quarter's capacity spans several quarters. Candidates that would start after the planning
horizon are listed as "not scheduled". Processes without saving potential are not scheduled.
The wave of a candidate is the quarter in which it starts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from prioritisation.scoring import Scored

DEFAULT_CAPACITY_PERSON_DAYS = 50.0  # about one full-time person per quarter
DEFAULT_HORIZON_QUARTERS = 8  # two years: beyond that an inventory is out of date anyway
_EPS = 1e-9


@dataclass(frozen=True, order=True)
class Quarter:
    year: int
    q: int  # 1..4

    @classmethod
    def parse(cls, text: str) -> Quarter:
        """'2027-Q1', '2027Q1' or 'Q1/2027'."""
        cleaned = text.strip().upper().replace(" ", "")
        if "/" in cleaned:
            q_part, year_part = cleaned.split("/", 1)
        else:
            year_part, _, q_part = cleaned.replace("-", "").partition("Q")
            q_part = "Q" + q_part
        if not (q_part.startswith("Q") and q_part[1:].isdigit() and year_part.isdigit()):
            raise ValueError(f"not a quarter: {text!r} (expected e.g. 2027-Q1)")
        quarter = cls(int(year_part), int(q_part[1:]))
        if not 1 <= quarter.q <= 4:
            raise ValueError(f"not a quarter: {text!r} (quarter must be 1 to 4)")
        return quarter

    @classmethod
    def after(cls, day: date) -> Quarter:
        """The quarter after the one `day` is in: planning starts with the next full quarter."""
        return cls(day.year, (day.month - 1) // 3 + 1).plus(1)

    def plus(self, n: int) -> Quarter:
        index = self.year * 4 + (self.q - 1) + n
        return Quarter(index // 4, index % 4 + 1)

    def __str__(self) -> str:
        return f"Q{self.q}/{self.year}"


@dataclass(frozen=True)
class Slot:
    candidate: Scored
    start: float  # in quarters from the start of the plan (0.0 = start of the first quarter)
    end: float
    allocation: tuple[tuple[int, float], ...]  # (quarter index, person-days) per quarter touched

    @property
    def wave(self) -> int:
        """0-based index of the quarter the candidate starts in."""
        return self.allocation[0][0]

    @property
    def last_quarter(self) -> int:
        return self.allocation[-1][0]


@dataclass
class Schedule:
    capacity: float
    start: Quarter
    horizon: int
    slots: list[Slot] = field(default_factory=list)
    unscheduled: list[Scored] = field(default_factory=list)  # beyond the horizon
    no_potential: list[Scored] = field(default_factory=list)

    def quarter(self, index: int) -> Quarter:
        return self.start.plus(index)

    def as_dict(self) -> dict[str, object]:
        return {
            "capacity_person_days_per_quarter": self.capacity,
            "start": str(self.start),
            "horizon_quarters": self.horizon,
            "slots": [
                {
                    "rank": s.candidate.rank,
                    "name": s.candidate.process.name,
                    "unit": s.candidate.process.unit,
                    "wave": str(self.quarter(s.wave)),
                    "ends": str(self.quarter(s.last_quarter)),
                    "effort_person_days": s.candidate.process.effort_person_days,
                    "allocation": [
                        {"quarter": str(self.quarter(q)), "person_days": round(d, 3)}
                        for q, d in s.allocation
                    ],
                }
                for s in self.slots
            ],
            "unscheduled": [s.rank for s in self.unscheduled],
            "no_potential": [s.rank for s in self.no_potential],
        }


class NoCapacity(ValueError):
    """Capacity zero: there is nothing to schedule with; the German message says so."""

    message = (
        "Kein Zeitplan: Die Kapazität ist 0 Personentage pro Quartal. Geben Sie an, wie viele "
        "Personentage pro Quartal für die Umsetzung zur Verfügung stehen (z. B. 50)."
    )

    def __init__(self) -> None:
        super().__init__(self.message)


def schedule(
    ranked: Sequence[Scored],
    capacity: float,
    start: Quarter,
    horizon: int = DEFAULT_HORIZON_QUARTERS,
) -> Schedule:
    if capacity < 0:
        raise ValueError("capacity must not be negative")
    if capacity == 0:
        raise NoCapacity()
    if horizon < 1:
        raise ValueError("horizon must be at least one quarter")
    plan = Schedule(capacity=capacity, start=start, horizon=horizon)
    cursor = 0.0  # person-days used since the start of the plan
    for candidate in ranked:
        if candidate.potential_fte <= 0:
            plan.no_potential.append(candidate)
            continue
        begin_quarter = int((cursor + _EPS) // capacity)
        if begin_quarter >= horizon:
            plan.unscheduled.append(candidate)
            continue
        effort = candidate.process.effort_person_days
        allocation: list[tuple[int, float]] = []
        remaining = effort
        position = cursor
        while remaining > _EPS:
            quarter = int((position + _EPS) // capacity)
            free = (quarter + 1) * capacity - position
            used = min(free, remaining)
            allocation.append((quarter, used))
            position += used
            remaining -= used
        plan.slots.append(
            Slot(
                candidate=candidate,
                start=cursor / capacity,
                end=(cursor + effort) / capacity,
                allocation=tuple(allocation),
            )
        )
        cursor += effort
    return plan
