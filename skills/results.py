"""Typed result kinds a skill returns beside its text: data, never presentation.

A front end draws each kind itself (the dashboard its charts and report, a chat its card), so a
skill needs no knowledge of the surface. `SkillResult.payload` holds at most one of these.
Kinds so far: the prioritisation of a process inventory (`Ranking`, `InventoryProblems`), the
summary of a document (`DocumentSummary`), a page of council papers (`PaperList`) and an
answer with citations (`Answer`). bot/render/ draws them for each surface.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
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
    per problem, every problem (`prioritisation.inventory.problem_lines` shows the first few
    and how many more: the dashboard up to 50, the chat's card 15)."""

    file_name: str
    problems: tuple[str, ...]


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
    the administration's statement, key points, money item by item, consultation, deadlines,
    the Anlagen — and what the council system reports as decided."""

    title: str
    decision_proposal: CitedPoint | None = None
    administration: CitedPoint | None = None
    key_points: tuple[CitedPoint, ...] = ()
    finance: tuple[CitedPoint, ...] = ()
    consultation: tuple[CitedPoint, ...] = ()
    deadlines: tuple[CitedPoint, ...] = ()
    attachments: tuple[CitedPoint, ...] = ()  # the Anlagen shown, each labelled "Anlage"
    more_attachments: int = 0  # Anlagen the length budget left out
    results: tuple[str, ...] = ()  # decisions the council system reports ("… beschlossen")
    partial: bool = False  # the time ran out before the whole document was read
    note: str = ""  # then: how much was read, in German ("… auf den ersten 3 von 8 Abschnitten")

    def points(self) -> list[CitedPoint]:
        """Every statement once, in reading order (the Anlagen are a list, not statements)."""
        parts = [self.decision_proposal, self.administration]
        return [p for p in parts if p] + [
            *self.key_points,
            *self.finance,
            *self.consultation,
            *self.deadlines,
        ]


@dataclass(frozen=True)
class Paper:
    """One council paper as a list shows it: its facts and the passage that matched."""

    doc_id: str
    title: str
    reference: str | None
    date: date | None
    organizations: tuple[str, ...]  # committees and submitting factions, as indexed
    paper_type: str | None
    url: str | None
    snippet: str
    status: str | None = None  # the consultation so far ("Bauausschuss 14.10.2026: beschlossen")
    factions: tuple[str, ...] = ()  # of `organizations`: the factions that submitted it

    @property
    def committees(self) -> tuple[str, ...]:
        """The bodies that deal with the paper: its organizations without the submitters."""
        return tuple(o for o in self.organizations if o not in self.factions)

    def as_json(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "reference": self.reference,
            "paper_type": self.paper_type,
            "date": self.date.isoformat() if self.date else None,
            "organizations": list(self.organizations),
            "status": self.status,
            "url": self.url,
            "doc_id": self.doc_id,
            "snippet": self.snippet,
        }


@dataclass(frozen=True)
class PaperList:
    """`suche`: one page of the council papers found, and what paging needs."""

    query: str  # the search as asked; "Mehr Treffer" repeats it
    papers: tuple[Paper, ...]  # the papers of this page
    total: int  # papers found in all
    page: int = 0
    page_size: int = 5
    # How the words were understood ("Art": "Antrag", "Fraktion": …), in the order shown.
    filters: tuple[tuple[str, str], ...] = ()
    intro: str = ""  # why a list answers a question ("Eine direkte Antwort steht nicht …")
    # A paper named by a pasted link: the command a „Zusammenfassen“ button sends; "" for none.
    summarise_command: str = ""
    home_url: str | None = None  # the ALLRIS start page, for a paper without its own link

    @property
    def has_more(self) -> bool:
        return (self.page + 1) * self.page_size < self.total

    @property
    def first_number(self) -> int:
        """The number of this page's first paper in the whole list (1-based)."""
        return self.page * self.page_size + 1

    def as_json(self) -> dict[str, Any]:
        """What `kiw` prints with --json (and what `SkillResult.data` carried before)."""
        out: dict[str, Any] = {
            "query": self.query,
            "filters": dict(self.filters),
            "total": self.total,
            "page": self.page,
            "hits": [paper.as_json() for paper in self.papers],
        }
        if self.summarise_command:
            out["summarise"] = self.summarise_command
        return out


@dataclass(frozen=True)
class Answer:
    """A question answered from numbered passages (`frage`, a council question): the words with
    [n] markers for `SkillResult.citations`; or, not grounded, the plain statement that the
    sources say nothing and whom to ask. The chat sends it as text (Teams cites in text)."""

    text: str
    grounded: bool = True
    language: str = "de"
    # The question had personal data the external model did not see: a note says so below.
    masked_personal_data: bool = False


@dataclass(frozen=True)
class Notice:
    """A few words of the assistant's own, shown as they are (chat text, never a card): the
    neutral line a shared conversation gets for a personal result."""

    text: str


@dataclass(frozen=True)
class Help:
    """`hilfe`: what the assistant can do. The front end lists the registry it runs (the chat's
    card, bot/cards); `focused` names the one command asked about ("hilfe suche"), whose
    explanation is the result's text."""

    bot_name: str = ""  # the name people @mention the bot by here ("" outside Teams)
    focused: str = ""  # the skill asked about; "" for every skill


@dataclass(frozen=True)
class KipassStatus:
    """`kipass`: the person's own KI-Pass — valid until when, the steps done and open, what to
    do next. Personal: front ends show it to that person only."""

    headline: str  # "Ihr KI-Pass ist gültig bis 31.12.2027."
    valid: bool  # the headline reads as good news (else as needing attention)
    facts: tuple[tuple[str, str], ...] = ()  # (label, value): status, valid until, access
    steps: tuple[tuple[str, str], ...] = ()  # (step, "✓ erledigt" | "offen"), the city's order
    reminder: str = ""  # the pass ends soon
    next_step: str = ""
    contact: str = ""  # who answers questions ("die KI-Werkstatt (…)")
    link: tuple[str, str] | None = None  # (button title, URL): the training or the KI-Pass page


@dataclass(frozen=True)
class Refusal:
    """The gate said no (skills/gate.py): why, in German, the person's steps to the KI-Pass,
    what to do next and whom to ask. Personal: front ends show it to that person only."""

    title: str  # "KI-Pass erforderlich"
    message: str  # why
    steps: tuple[tuple[str, str], ...] = ()  # (step, "✓ erledigt" | "offen")
    next_step: str = ""
    contact: str = ""
    link: tuple[str, str] | None = None  # (button title, URL) to the training or KI-Pass page
    offer_status: bool = False  # a known person: a button shows their KI-Pass status


Payload = (
    Ranking
    | InventoryProblems
    | DocumentSummary
    | PaperList
    | Answer
    | Notice
    | Help
    | KipassStatus
    | Refusal
)
