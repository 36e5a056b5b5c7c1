"""Typed result kinds a skill returns beside its text: data, never presentation.

A front end draws each kind itself (the dashboard its charts and report, a chat its card), so a
skill needs no knowledge of the surface. `SkillResult.payload` holds at most one of these.
Kinds so far: the prioritisation of a process inventory (`Ranking`, `InventoryProblems`) and the
summary of a document (`DocumentSummary`); the other skills still report through
`SkillResult.data` and their own cards (issue 16).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the library is imported by the skill that builds the result, not here
    from prioritisation import Analysis


@dataclass(frozen=True)
class Ranking:
    """`priorisieren`: the analysis of a process inventory — ranking, quick wins, timeline."""

    analysis: Analysis


@dataclass(frozen=True)
class InventoryProblems:
    """`priorisieren` on an inventory that cannot be used: what is wrong, in German, one line
    per problem (at most MAX_REPORTED_PROBLEMS, then how many more)."""

    file_name: str
    lines: tuple[str, ...]


@dataclass(frozen=True)
class CitedPoint:
    """One statement of a summary and the sources ([n] of `SkillResult.citations`) it rests on."""

    text: str
    label: str = ""
    citations: tuple[int, ...] = ()
    pages: tuple[int, ...] = ()

    @classmethod
    def of(cls, point: Mapping[str, Any]) -> CitedPoint:
        return cls(
            str(point.get("text") or ""),
            str(point.get("label") or ""),
            tuple(point.get("citations") or ()),
            tuple(point.get("pages") or ()),
        )


@dataclass(frozen=True)
class DocumentSummary:
    """`zusammenfassen`: the parts of a summary in the order a reader needs them — proposal,
    the administration's statement, key points, money item by item, consultation, deadlines."""

    title: str
    decision_proposal: CitedPoint | None = None
    administration: CitedPoint | None = None
    key_points: tuple[CitedPoint, ...] = ()
    finance: tuple[CitedPoint, ...] = ()
    consultation: tuple[CitedPoint, ...] = ()
    deadlines: tuple[CitedPoint, ...] = ()
    partial: bool = False  # the time ran out before the whole document was read

    def points(self) -> list[CitedPoint]:
        """Every statement once, in reading order."""
        parts = [self.decision_proposal, self.administration]
        return [p for p in parts if p] + [
            *self.key_points,
            *self.finance,
            *self.consultation,
            *self.deadlines,
        ]


Payload = Ranking | InventoryProblems | DocumentSummary
