"""Typed result kinds a skill returns beside its text: data, never presentation.

A front end draws each kind itself (the dashboard its charts and report, a chat its card), so a
skill needs no knowledge of the surface. `SkillResult.payload` holds at most one of these.
Kinds so far: the prioritisation of a process inventory (`Ranking`, `InventoryProblems`); the
other skills still report through `SkillResult.data` and their own cards (issue 16).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

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


Payload = Ranking | InventoryProblems
