"""The typed result kinds a skill returns: data, never presentation.

A front end draws each kind itself (the dashboard its charts and report, a chat its card, the
CLI and the hints their plain text, all in bot/render/), so a skill needs no knowledge of the
surface. `SkillResult.payload` holds exactly one of these: the prioritisation of a process
inventory (`Ranking`, `InventoryProblems`), the summary of a document (`DocumentSummary`), a
page of council papers (`PaperList`), an answer with citations (`Answer`, or the nearest
places to read when there is none: `Pointer`s), what the assistant
can do (`Help`), the person's KI-Pass (`KipassStatus`), the gate's `Refusal`, a line of the
assistant's own (`Notice`) and a request that cannot be served (`Problem`). German sentences a
skill composes from its own knowledge (a headline, a reason, the next step) are fields; how a
surface lays them out is the renderer's.

A little over 400 lines on purpose: every kind a renderer must draw, with its JSON, in one
file, so whoever adds a surface sees the whole list (`Payload` at the bottom).
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

    def as_json(self) -> dict[str, Any]:
        return dict(self.analysis.as_dict())


@dataclass(frozen=True)
class InventoryProblems:
    """`priorisieren` on an inventory that cannot be used: what is wrong, in German, one line
    per problem, every problem (`prioritisation.inventory.problem_lines` shows the first few
    and how many more: the dashboard up to 50, the chat's card 15)."""

    file_name: str
    problems: tuple[str, ...]

    def as_json(self) -> dict[str, Any]:
        return {"error": "invalid_inventory", "problems": list(self.problems)}


@dataclass(frozen=True)
class CitedPoint:
    """One statement of a summary and the sources ([n] of `SkillResult.citations`) it rests on."""

    text: str
    label: str = ""
    citations: tuple[int, ...] = ()
    pages: tuple[int, ...] = ()
    quotes: tuple[tuple[int | None, str], ...] = ()  # (page, the words there) it stands on

    @classmethod
    def of(cls, point: Mapping[str, Any]) -> CitedPoint:
        return cls(
            str(point.get("text") or ""),
            str(point.get("label") or ""),
            tuple(point.get("citations") or ()),
            tuple(point.get("pages") or ()),
            tuple((q.get("page"), str(q.get("text") or "")) for q in point.get("quotes") or ()),
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "text": self.text,
            "citations": list(self.citations),
            "pages": list(self.pages),
            "quotes": [{"page": page, "text": text} for page, text in self.quotes],
        }


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
    # Where it came from, for the JSON: the source's own title, the Betreff the outline read,
    # the kind of paper ("beschlussvorlage", …), the source ("file", "reference", …), pages.
    source_title: str = ""
    betreff: str | None = None
    kind: str | None = None
    source: str = ""
    page_count: int | None = None

    def as_json(self, text: str) -> dict[str, Any]:
        """What `kiw summarise --json` prints (without the citations: `SkillResult.as_json`)."""

        def one(point: CitedPoint | None) -> dict[str, Any] | None:
            return point.as_json() if point else None

        finance = [p.as_json() for p in self.finance]
        return {
            "title": self.source_title,
            "betreff": self.betreff,
            "kind": self.kind,
            "source": self.source,
            "decision_proposal": one(self.decision_proposal),
            "administration": one(self.administration),
            "key_points": [p.as_json() for p in self.key_points],
            "finance": finance,
            "consultation": [p.as_json() for p in self.consultation],
            "deadlines": [p.as_json() for p in self.deadlines],
            "attachments": [p.as_json() for p in self.attachments],
            "results": list(self.results),
            "more_attachments": self.more_attachments,
            "summary": text,
            "financial_impact": (
                {
                    "text": "; ".join(f["text"] for f in finance),
                    "citations": sorted({n for f in finance for n in f["citations"]}),
                    "pages": sorted({p for f in finance for p in f["pages"]}),
                }
                if finance
                else None
            ),
            "partial": self.partial,
            "pages": self.page_count,
        }

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
        """What `kiw` prints with --json (`SkillResult.as_json`)."""
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
class Pointer:
    """A place in the sources that comes nearest to a question they do not answer for sure:
    where the person may read for themselves — never an answer, never a citation. Index data
    from the same access-trimmed retrieval as an answer (skills/pointers.py)."""

    title: str  # the document's (or council paper's) title
    url: str | None
    doc_id: str
    snippet: str  # the passage's best-matching sentence (or its start), shortened
    heading: str | None = None  # section heading / § label
    page: int | None = None
    reference: str | None = None  # a council paper's reference ("2024-0453")

    def as_json(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "heading": self.heading,
            "page": self.page,
            "reference": self.reference,
            "snippet": self.snippet,
            "url": self.url,
            "doc_id": self.doc_id,
        }


@dataclass(frozen=True)
class Answer:
    """A question answered from numbered passages (`frage`, a council question): the words with
    [n] markers for `SkillResult.citations`; or, not grounded, the plain statement that the
    sources say nothing for sure and whom to ask, with the nearest places to read when
    retrieval found some (`pointers`; still "keine Aussage": outcome "no_answer"). The chat
    sends it as text (Teams cites in text)."""

    text: str
    grounded: bool = True
    language: str = "de"
    # The question had personal data the external model did not see: a note says so below.
    masked_personal_data: bool = False
    pointers: tuple[Pointer, ...] = ()  # not grounded only: where to look, best first

    def as_json(self) -> dict[str, Any]:
        """Without the citations (`SkillResult.as_json` adds them)."""
        out: dict[str, Any] = {"answer": self.text, "grounded": self.grounded}
        if not self.grounded:
            out["pointers"] = [p.as_json() for p in self.pointers]
        return out


@dataclass(frozen=True)
class Notice:
    """A few words of the assistant's own, shown as they are (chat text, never a card): the
    neutral line a shared conversation gets for a personal result."""

    text: str

    def as_json(self) -> dict[str, Any]:
        return {"notice": self.text}


@dataclass(frozen=True)
class Problem:
    """The request cannot be served as asked (no file, wrong chat, an unreadable document, an
    empty question, the deadline passed): the machine code `kiw --json` prints and the German
    words users read, which say what to do instead."""

    code: str  # "no_inventory", "not_personal_scope", "unreadable", "bad_input", "timeout", …
    message: str

    def as_json(self) -> dict[str, Any]:
        return {"error": self.code, "message": self.message}


@dataclass(frozen=True)
class HelpEntry:
    """One skill as `hilfe` lists it (for the JSON; the chat draws the registry itself)."""

    name: str
    command: str
    aliases: tuple[str, ...]
    title: str
    description: str
    requires_kipass: bool
    kipass: str  # "KI-Pass nötig", "ohne KI-Pass", …

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "command": self.command,
            "aliases": list(self.aliases),
            "title": self.title,
            "description": self.description,
            "requires_kipass": self.requires_kipass,
            "kipass": self.kipass,
        }


@dataclass(frozen=True)
class Help:
    """`hilfe`: what the assistant can do. The front end lists the registry it runs (the chat's
    card, bot/cards); `focused` names the one command asked about ("hilfe suche"), which the
    text explains (bot/render/text.py)."""

    bot_name: str = ""  # the name people @mention the bot by here ("" outside Teams)
    focused: str = ""  # the skill asked about; "" for every skill
    entries: tuple[HelpEntry, ...] = ()  # the skills listed (the one asked about when focused)
    # Say how to @mention the bot in channels and group chats (not on the shell).
    mention_hint: bool = False

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"skills": [e.as_json() for e in self.entries]}
        if self.focused:
            out["focused"] = True
        else:
            out["bot_name"] = self.bot_name
        return out


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
    # The same as codes, for the JSON: "valid" | "expired" | "none", the end date (None: none
    # or no expiry), days left, each known step done or not, the open steps, the next step
    # ("schulung", "auffrischung", …; "" for none) and the access group ids.
    state: str = ""
    valid_until: date | None = None
    days_left: int | None = None
    step_codes: tuple[tuple[str, bool], ...] = ()
    open_steps: tuple[str, ...] = ()
    next_step_code: str = ""
    access_groups: tuple[str, ...] = ()

    def as_json(self) -> dict[str, Any]:
        return {
            "kipass": self.state,
            "valid_until": self.valid_until.isoformat() if self.valid_until else None,
            "days_left": self.days_left,
            "reminder": bool(self.reminder),
            "steps": dict(self.step_codes),
            "open_steps": list(self.open_steps),
            "next_step": self.next_step_code or None,
            "access_groups": list(self.access_groups),
        }


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
    # For the JSON: the gate's reason and its error code, the open steps (a KI-Pass is
    # required), the next step's code ("" for none).
    reason: str = ""
    error: str = ""
    open_steps: tuple[str, ...] = ()
    next_step_code: str = ""

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"error": self.error, "reason": self.reason, "message": self.message}
        if self.open_steps:
            out["open_steps"] = list(self.open_steps)
        if self.next_step_code:
            out["next_step"] = self.next_step_code
        return out


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
    | Problem
)
