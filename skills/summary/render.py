"""The summary's statements numbered by page, within a length budget. Its words — sections in a
fixed order, each point with the pages it stands on — are skills/summary/text.py's, which the
budget measures and bot/render/ draws (the chat's card and the plain text).

Budget: never more than 40 % of the source (MAX_SHARE leaves room for the marks) and about a
screen in Teams for a short paper. What goes first when it does not fit: Anlagen beyond a
few, key points, deadlines from the text, prose about money (the form fields stay), the
Stellungnahme, the other Anlagen;
the proposal and the consultation dates stay, the proposal shortened if it must be.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from indexer.model import Chunk
from kiw_common.citations import citation_json
from skills.grounding import citation_for
from skills.results import CitedPoint
from skills.summary.document import Quote, Statement
from skills.types import Citation

MAX_SHARE = 0.38  # of the source's characters; the hard limit is 40 %
SCREEN_CHARS = 2_200  # about a screen in Teams: a short paper's summary stays below
LONG_PAPER_CHARS = 3_600  # a long paper (main Vorlage plus Anlagen) may take more
LONG_PAPER_PAGES = 20
MIN_BUDGET = 450
MAX_QUOTE = 300
SHOWN_ATTACHMENTS = 8


def squeeze(text: str) -> str:
    """Letters and digits only: a quote matches its page whatever the PDF did to line breaks
    and hyphens."""
    return re.sub(r"[^0-9a-zäöüß]", "", text.casefold())


@dataclass
class Sections:
    """What the summary says, section by section (statements carry their quotes)."""

    proposal: Statement | None = None
    administration: Statement | None = None
    key_points: list[Statement] = field(default_factory=list)
    finance: list[Statement] = field(default_factory=list)
    consultation: list[Statement] = field(default_factory=list)
    deadlines: list[Statement] = field(default_factory=list)
    attachments: list[Statement] = field(default_factory=list)
    results: list[str] = field(default_factory=list)  # decisions the council system reports


def located(s: Statement, pages: dict[int | None, str]) -> bool:
    """Every quote of the statement stands on the page it names."""
    return bool(s.quotes) and all(
        squeeze(q.text) and squeeze(q.text) in pages.get(q.page, "") for q in s.quotes
    )


def only_located(sections: Sections, pages: dict[int | None, str]) -> Sections:
    """Drop what cannot be found on its page: such a quote is not shown."""

    def keep(items: Sequence[Statement]) -> list[Statement]:
        return [s for s in items if located(s, pages)]

    return Sections(
        proposal=sections.proposal
        if sections.proposal and located(sections.proposal, pages)
        else None,
        administration=(
            sections.administration
            if sections.administration and located(sections.administration, pages)
            else None
        ),
        key_points=keep(sections.key_points),
        finance=keep(sections.finance),
        consultation=keep(sections.consultation),
        deadlines=keep(sections.deadlines),
        attachments=keep(sections.attachments),
        results=sections.results,
    )


class Numbering:
    """Citation numbers by page, in order of first use; the quote is the first one used."""

    def __init__(self, chunks: Sequence[Chunk]) -> None:
        self.chunks = chunks
        self.order: dict[int | None, int] = {}
        self.quotes: dict[int | None, str] = {}

    def cite(self, s: Statement, label: str = "") -> CitedPoint:
        numbers: list[int] = []
        for q in s.quotes:
            if q.page not in self.order:
                self.order[q.page] = len(self.order) + 1
                self.quotes[q.page] = q.text
            if self.order[q.page] not in numbers:
                numbers.append(self.order[q.page])
        return CitedPoint(
            s.text,
            s.label or label,
            tuple(numbers),
            tuple(s.pages),
            tuple((q.page, q.text) for q in s.quotes),
        )

    def citations(self) -> list[Citation]:
        out = []
        for page, n in sorted(self.order.items(), key=lambda item: item[1]):
            quote = self.quotes[page]
            chunk = self._chunk(page, quote)
            if len(quote) > MAX_QUOTE:
                quote = quote[: MAX_QUOTE - 1].rsplit(" ", 1)[0] + " …"
            out.append(citation_for(chunk, n, quote))
        return out

    def _chunk(self, page: int | None, quote: str) -> Chunk:
        on_page = [c for c in self.chunks if c.page == page] or list(self.chunks)
        wanted = squeeze(quote)[:80]
        return next((c for c in on_page if wanted in squeeze(c.text)), on_page[0])


def budget(source_chars: int, pages: int, title: str = "") -> int:
    """Characters the summary may take. The floor for a tiny paper is for its content: a long
    title ("Fraktionsvorlage GR-INTERN/2026/07: …") does not squeeze the money out."""
    cap = LONG_PAPER_CHARS if pages >= LONG_PAPER_PAGES else SCREEN_CHARS
    return max(MIN_BUDGET + len(title), min(cap, int(MAX_SHARE * source_chars)))


def fit(sections: Sections, size: int, measure: Any) -> Sections:
    """Drop or shorten the least needed statements until `measure(sections)` <= size."""
    while measure(sections) > size:
        if len(sections.attachments) > 3:
            sections.attachments.pop()
        elif sections.key_points:
            sections.key_points.pop()
        elif sections.deadlines:
            sections.deadlines.pop()  # the consultation dates stay
        elif len(sections.finance) > 1 and (prose := [s for s in sections.finance if not s.label]):
            sections.finance.remove(prose[-1])  # the form's fields and one sentence stay
        elif sections.administration is not None:
            sections.administration = None
        elif sections.attachments:
            sections.attachments.pop()
        elif sections.proposal is not None and len(sections.proposal.text) > 400:
            p = sections.proposal
            short = p.text[:399].rsplit(" ", 1)[0] + " …"
            sections.proposal = Statement(short, _quotes_within(p.quotes, short), p.label)
        else:
            break
    return sections


def _quotes_within(quotes: Sequence[Quote], shown: str) -> tuple[Quote, ...]:
    """The quotes a shortened text still stands on (its first pages)."""
    kept: list[Quote] = []
    remaining = len(shown)
    for q in quotes:
        if remaining <= 0:
            break
        kept.append(q)
        remaining -= len(q.text)
    return tuple(kept) or tuple(quotes[:1])


def to_json(citations: list[Citation]) -> list[dict[str, object]]:
    return [citation_json(c) for c in citations]
