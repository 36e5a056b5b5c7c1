"""What a front end may tell a skill beside the words: typed, with defaults, checked once.

`SkillOptions` replaces the dict that carried page, query, mode and budget (and the dashboard's
fields). Built by the front ends: the Teams handler from a card button's data (`from_card`), the
message extensions, the CLI, the dashboard. A value out of range is bad input with a German
message (`BadInput`), never a crash deep inside a skill.

Card data is user-forgeable (any client can post an Action.Submit with any data), so
`from_card` reads only what the skills' own buttons send (page and query of "Mehr Treffer"),
parses it defensively and ignores the rest: a forged card cannot stretch a summary's time budget,
set the dashboard's capacity or switch a search into the answer mode.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from prioritisation.schedule import Quarter
from skills.errors import BadInput

Mode = Literal["", "answer"]
MODES: tuple[Mode, ...] = ("", "answer")
MAX_PAGE = 1_000  # far beyond any list; a skill caps its own paging further
MAX_QUERY_CHARS = 2_000  # what a "Mehr Treffer" button repeats: a search, never a document


@dataclass(frozen=True)
class SkillOptions:
    # "Mehr Treffer": which page of a paper list, 0 = the first.
    page: int = 0
    # The search a "Mehr Treffer" button repeats (the message itself then says only "mehr").
    query: str = ""
    # "answer": always the cited-answer shape, never a hit list (`kiw ask --collection council`).
    mode: Mode = ""
    # How long a summary may read before it answers with what it has (the message extension's
    # invoke budget); None: the skill's default.
    budget_seconds: float | None = None
    # The dashboard's prioritisation fields: person-days per quarter, net working hours per
    # full-time post, the first quarter to plan. None: the message's number or the defaults.
    capacity: float | None = None
    net_hours_per_fte: float | None = None
    start: Quarter | None = None

    def __post_init__(self) -> None:
        if isinstance(self.page, bool) or not isinstance(self.page, int):
            raise BadInput("Die Seitenzahl muss eine ganze Zahl sein.")
        if not 0 <= self.page <= MAX_PAGE:
            raise BadInput(f"Die Seitenzahl muss zwischen 1 und {MAX_PAGE + 1} liegen.")
        if not isinstance(self.query, str) or len(self.query) > MAX_QUERY_CHARS:
            raise BadInput(
                f"Die Suchanfrage ist zu lang (höchstens {MAX_QUERY_CHARS:,} Zeichen).".replace(
                    ",", "."
                )
            )
        if self.mode not in MODES:
            raise BadInput("Diese Art der Antwort kenne ich nicht.")
        if not _number_in(self.budget_seconds, above=0):
            raise BadInput("Die Bearbeitungszeit muss größer als 0 Sekunden sein.")
        if not _number_in(self.capacity, at_least=0):
            raise BadInput("Die Kapazität darf nicht negativ sein.")
        if not _number_in(self.net_hours_per_fte, above=0):
            raise BadInput("Die Netto-Jahresarbeitszeit muss größer als 0 sein.")
        if self.start is not None and not isinstance(self.start, Quarter):
            raise BadInput("Das Startquartal muss wie „2027-Q1“ geschrieben sein.")

    @classmethod
    def from_card(cls, data: Mapping[str, Any]) -> SkillOptions:
        """The options a skill's card button sent (Action.Submit data without "command"):
        page and query only, parsed defensively; anything else is ignored."""
        query = data.get("query")
        return cls(
            page=_page(data.get("page")), query=_clip(query) if isinstance(query, str) else ""
        )


def _number_in(value: object, *, above: float | None = None, at_least: float | None = None) -> bool:
    """None (not given), or a finite number in range; NaN, infinity and True are no numbers."""
    if value is None:
        return True
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return False
    return (above is None or value > above) and (at_least is None or value >= at_least)


def _page(value: object) -> int:
    """A page a card asked for: a forged "x" or "-3" is the first page, a huge one the last."""
    try:
        page = int(str(value).strip())
    except ValueError:
        return 0
    return min(max(page, 0), MAX_PAGE)


def _clip(text: str) -> str:
    return text.strip()[:MAX_QUERY_CHARS]
