"""From the outline and the generator's output to the sections a summary shows.

The outline (proposal, money, dates, Anlagen) is read from the paper itself; the generator
adds key points, and a model may word the proposal. The same checks hold for both: a point
stands on a passage it cites, an amount it names is in that passage, and what duplicates
another section is said once.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from indexer.model import Chunk
from skills.generator.base import Passage, Summary, SummaryPoint
from skills.grounding import best_quote
from skills.summary.document import Line, Quote, Statement, join_lines
from skills.summary.finance import amount_values
from skills.summary.outline import Outline
from skills.summary.render import Sections, squeeze

SHORT_PAPER_KEY_POINTS = 3
LONG_PAPER_KEY_POINTS = 5


def body_passages(outline: Outline, template: Chunk, first_n: int = 1) -> list[Passage]:
    """The paragraphs key points may come from, one passage per page (page-exact), one
    paragraph per line so no line-break hyphen is left for later steps to mis-join."""
    by_page: dict[int | None, list[str]] = {}
    for paragraph in outline.body:
        run: list[Line] = []
        for line in paragraph:
            if run and line.page != run[-1].page:
                by_page.setdefault(run[-1].page, []).append(join_lines([r.text for r in run]))
                run = []
            run.append(line)
        if run:
            by_page.setdefault(run[-1].page, []).append(join_lines([r.text for r in run]))
    passages = []
    for i, (page, texts) in enumerate(by_page.items()):
        chunk = replace(
            template, id=f"{template.doc_id}#body{i}", text="\n\n".join(texts), page=page,
            heading=None,
        )  # fmt: skip
        passages.append(Passage(n=first_n + i, chunk=chunk))
    return passages


def structure_passages(outline: Outline, template: Chunk) -> list[Passage]:
    """The outline as passages for a model: it words the summary from the same structure."""
    items: list[tuple[str, Statement]] = []
    if outline.proposal:
        items.append((outline.proposal.label or "Beschlussvorschlag", outline.proposal))
    if outline.administration:
        items.append(("Stellungnahme der Verwaltung", outline.administration))
    items += [("Finanzielle Auswirkungen", s) for s in outline.finance]
    items += [("Beratungsfolge", s) for s in outline.consultation]
    out: list[Passage] = []
    for heading, s in items:
        for q in s.quotes:
            chunk = replace(
                template, id=f"{template.doc_id}#s{len(out)}", text=q.text, page=q.page,
                heading=heading,
            )  # fmt: skip
            out.append(Passage(n=len(out) + 1, chunk=chunk))
    return out


def _located_point(point: SummaryPoint, by_n: dict[int, Passage]) -> Statement | None:
    """An extract: the point's words as they stand in one of the passages it cites."""
    wanted = squeeze(point.text)
    for n in point.cited:
        passage = by_n.get(n)
        if passage is not None and wanted and wanted in squeeze(passage.chunk.text):
            return Statement(point.text, (Quote(passage.chunk.page, point.text),))
    return None


def _checked_prose(point: SummaryPoint, by_n: dict[int, Passage]) -> Statement | None:
    """A model's sentence: kept when every amount it names is in a passage it cites; it is
    shown with the verbatim sentence of each cited passage that supports it."""
    cited = [by_n[n] for n in point.cited if n in by_n]
    if not cited:
        return None
    supported = set().union(*(amount_values(p.chunk.text) for p in cited))
    if not amount_values(point.text) <= supported:
        return None  # an amount that is not in the cited source: never shown
    quotes = tuple(
        Quote(p.chunk.page, best_quote(p.chunk.text, point.text, limit=10_000)) for p in cited
    )
    return Statement(point.text, quotes)


def _repeats(s: Statement, others: Sequence[Statement]) -> bool:
    mine = squeeze(s.text)
    return any(
        mine and (mine in squeeze(o.text) or squeeze(o.text) in mine) for o in others if o.text
    )


def sections_for(
    outline: Outline,
    summary: Summary,
    passages: Sequence[Passage],
    *,
    long_paper: bool,
    results: Sequence[str] = (),
) -> Sections:
    by_n = {p.n: p for p in passages}
    proposal = outline.proposal
    if summary.ai_generated and proposal and summary.decision_proposal:
        worded = _checked_prose(summary.decision_proposal, by_n)
        proposal_pages = set(proposal.pages)
        if worded and proposal_pages & set(worded.pages):
            proposal = Statement(worded.text, proposal.quotes, proposal.label)
    said = [s for s in (proposal, outline.administration) if s] + outline.finance
    said += outline.deadlines
    key_points: list[Statement] = []
    limit = LONG_PAPER_KEY_POINTS if long_paper else SHORT_PAPER_KEY_POINTS
    for point in summary.key_points:
        checked = (
            _checked_prose(point, by_n) if summary.ai_generated else _located_point(point, by_n)
        )
        if checked is None or _repeats(checked, said + key_points):
            continue
        if re.search(r"[☐☒]|\[[ x]\]", checked.text):
            continue  # a form line is no key point
        key_points.append(checked)
        if len(key_points) == limit:
            break
    return Sections(
        proposal=proposal,
        administration=outline.administration,
        key_points=key_points,
        finance=list(outline.finance),
        consultation=list(outline.consultation),
        deadlines=list(outline.deadlines),
        attachments=list(outline.attachments),
        results=list(results),
    )
