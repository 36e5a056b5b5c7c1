"""Staffing bound, saving potential, priority score and quick wins: plain arithmetic, documented.

Formulas (the report prints them with the parameters used, so every figure can be recomputed):
  staffing bound (VZÄ)   = cases per year × minutes per case / net working minutes per VZÄ
  saving potential (VZÄ) = staffing bound × automatable share
  priority score         = saving potential / effort (person-days) × 100 × risk factor
                           ("VZÄ saved per 100 person-days of effort, weighted by risk")
  quick win              = potential ≥ threshold AND effort ≤ threshold AND risk class allowed
Ranking: score descending; ties broken by higher potential, then lower effort, then name and
Organisationseinheit alphabetically, so the order never depends on the input order.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from prioritisation.inventory import DataProtectionClass, Process

# Net annual working time of one full-time post (Vollzeitäquivalent, VZÄ), used to turn
# minutes into posts. 1,600 hours is the rounded planning figure of the KGSt's
# "Normalarbeitszeit" that the KGSt report "Kosten eines Arbeitsplatzes" (2023/2024 edition)
# builds its hourly rates on for general administration (39-hour week, after holidays,
# leave, sickness and training). It is a default: cities with their own figure set it.
DEFAULT_NET_HOURS_PER_FTE = 1600.0

# Data-protection risk weights: personal data needs a DSFA/legal check and more care in
# operation; Art. 9 data (health, religion, ...) the most. A process with special categories
# must be about 2.5 times as attractive to rank equal with one without personal data.
DEFAULT_RISK_FACTORS: dict[DataProtectionClass, float] = {
    DataProtectionClass.none: 1.0,
    DataProtectionClass.personal: 0.7,
    DataProtectionClass.special: 0.4,
}

# Quick win: at least half a post freed, at most one person-month of work, no Art. 9 data.
DEFAULT_QUICK_WIN_MIN_POTENTIAL_FTE = 0.5
DEFAULT_QUICK_WIN_MAX_EFFORT_DAYS = 20.0
DEFAULT_QUICK_WIN_CLASSES: frozenset[DataProtectionClass] = frozenset(
    {DataProtectionClass.none, DataProtectionClass.personal}
)

# Scores are rounded before sorting so that mathematically equal scores are equal ties and
# not ordered by floating-point noise.
_SCORE_DIGITS = 9


@dataclass(frozen=True)
class Parameters:
    net_hours_per_fte: float = DEFAULT_NET_HOURS_PER_FTE
    risk_factors: dict[DataProtectionClass, float] = field(
        default_factory=lambda: dict(DEFAULT_RISK_FACTORS)
    )
    quick_win_min_potential_fte: float = DEFAULT_QUICK_WIN_MIN_POTENTIAL_FTE
    quick_win_max_effort_days: float = DEFAULT_QUICK_WIN_MAX_EFFORT_DAYS
    quick_win_classes: frozenset[DataProtectionClass] = DEFAULT_QUICK_WIN_CLASSES

    def __post_init__(self) -> None:
        if not self.net_hours_per_fte > 0:
            raise ValueError("net working hours per FTE must be greater than 0")

    @property
    def net_minutes_per_fte(self) -> float:
        return self.net_hours_per_fte * 60


@dataclass(frozen=True)
class Scored:
    rank: int  # 1 = first candidate
    process: Process
    staffing_fte: float
    potential_fte: float
    risk_factor: float
    score: float
    quick_win: bool

    def as_dict(self) -> dict[str, object]:
        p = self.process
        return {
            "rank": self.rank,
            "name": p.name,
            "unit": p.unit,
            "cases_per_year": p.cases_per_year,
            "minutes_per_case": p.minutes_per_case,
            "automatable_percent": p.automatable_percent,
            "effort_person_days": p.effort_person_days,
            "data_protection": p.data_protection.value,
            "legal_basis": p.legal_basis,
            "staffing_fte": round(self.staffing_fte, 4),
            "potential_fte": round(self.potential_fte, 4),
            "risk_factor": self.risk_factor,
            "score": round(self.score, 4),
            "quick_win": self.quick_win,
            "source_row": p.row,
        }


def staffing_fte(process: Process, params: Parameters) -> float:
    return process.cases_per_year * process.minutes_per_case / params.net_minutes_per_fte


def potential_fte(process: Process, params: Parameters) -> float:
    return staffing_fte(process, params) * process.automatable_percent / 100


def priority_score(process: Process, params: Parameters) -> float:
    risk = params.risk_factors[process.data_protection]
    return potential_fte(process, params) / process.effort_person_days * 100 * risk


def is_quick_win(process: Process, params: Parameters) -> bool:
    return (
        potential_fte(process, params) >= params.quick_win_min_potential_fte
        and process.effort_person_days <= params.quick_win_max_effort_days
        and process.data_protection in params.quick_win_classes
    )


def rank(processes: Sequence[Process], params: Parameters | None = None) -> list[Scored]:
    params = params or Parameters()

    def key(p: Process) -> tuple[float, float, float, str, str]:
        return (
            -round(priority_score(p, params), _SCORE_DIGITS),
            -round(potential_fte(p, params), _SCORE_DIGITS),
            p.effort_person_days,
            p.name.casefold(),
            p.unit.casefold(),
        )

    ordered = sorted(processes, key=key)
    return [
        Scored(
            rank=i,
            process=p,
            staffing_fte=staffing_fte(p, params),
            potential_fte=potential_fte(p, params),
            risk_factor=params.risk_factors[p.data_protection],
            score=priority_score(p, params),
            quick_win=is_quick_win(p, params),
        )
        for i, p in enumerate(ordered, start=1)
    ]


def quick_wins(ranked: Sequence[Scored]) -> list[Scored]:
    return [s for s in ranked if s.quick_win]
