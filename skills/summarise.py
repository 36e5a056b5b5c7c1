"""`zusammenfassen`: a structured summary of a Beschlussvorlage, Antrag or Niederschrift.

Input, in this order: a file sent in a 1:1 chat (PDF, DOCX, text), a paper reference
("VO/2025/12345", "2026/0541"), an ALLRIS/OParl link, or pasted text. Output: Kernaussagen,
Beschlussvorschlag, finanzielle Auswirkungen, Fristen/Termine, Beratungsfolge — each point
with the page it stands on.

Long documents are summarised map-reduce: groups of passages are summarised (concurrently,
within a time budget), the structured fields are merged in document order and the key points
are reduced by summarising the groups' key points once more. A reference the caller may not
read is answered exactly like an unknown one ("nicht gefunden").
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Sequence
from dataclasses import replace

from skills.context import Skill, SkillContext, Utterance
from skills.generator.base import Passage, Summary, SummaryPoint
from skills.results import DocumentSummary
from skills.summary import compose, render
from skills.summary.outline import Outline, read_outline
from skills.summary.source import Source, Unusable, load_source
from skills.summary.text import summary_text
from skills.types import Citation, SkillRequest, SkillResult

NAME = "summarise"
GROUP_SIZE = 24  # passages per map step (~5,000 words: fits a model context with room to spare)
MAP_CONCURRENCY = 4
DEFAULT_BUDGET_SECONDS = 90.0

# ---------------------------------------------------------------- map-reduce


async def summarise_passages(
    passages: Sequence[Passage],
    ctx: SkillContext,
    *,
    title: str,
    budget_seconds: float,
    request: SkillRequest,
) -> tuple[Summary, int]:
    """Summary of all passages and how many of them were read (fewer if the budget ran out)."""
    if len(passages) <= GROUP_SIZE:
        return await ctx.generator.summarise(passages, title=title), len(passages)
    groups = [passages[i : i + GROUP_SIZE] for i in range(0, len(passages), GROUP_SIZE)]
    deadline = time.monotonic() + budget_seconds
    limit = asyncio.Semaphore(MAP_CONCURRENCY)

    finished = 0

    async def map_one(group: Sequence[Passage]) -> Summary | None:
        nonlocal finished
        async with limit:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            try:
                return await asyncio.wait_for(
                    ctx.generator.summarise(group, title=title), timeout=remaining
                )
            except TimeoutError:
                return None
            finally:
                finished += 1
                await request.progress.inform(
                    f"Ich lese das Dokument: Teil {finished} von {len(groups)} …"
                )

    with request.trace.timed("map", groups=len(groups)) as step:
        mapped = await asyncio.gather(*(map_one(g) for g in groups))
        step["done"] = sum(1 for m in mapped if m is not None)
    read = sum(len(g) for g, m in zip(groups, mapped, strict=True) if m is not None)
    done = [m for m in mapped if m is not None]
    merged = Summary(ai_generated=any(m.ai_generated for m in done))
    merged.decision_proposal = next(
        (m.decision_proposal for m in done if m.decision_proposal), None
    )
    merged.financial_impact = next((m.financial_impact for m in done if m.financial_impact), None)
    merged.deadlines = _dedupe([p for m in done for p in m.deadlines])[:6]
    merged.consultation = next((m.consultation for m in done if m.consultation), [])
    merged.key_points = await _reduce_key_points(
        [p for m in done for p in m.key_points], passages, ctx, title
    )
    return merged, read


def _dedupe(points: list[SummaryPoint]) -> list[SummaryPoint]:
    seen: set[str] = set()
    out = []
    for p in points:
        if p.text not in seen:
            seen.add(p.text)
            out.append(p)
    return out


async def _reduce_key_points(
    points: list[SummaryPoint], passages: Sequence[Passage], ctx: SkillContext, title: str
) -> list[SummaryPoint]:
    """Summarise the groups' key points once more; map their citations back to the passages."""
    by_n = {p.n: p for p in passages}
    pseudo: list[Passage] = []
    origin: dict[int, list[int]] = {}
    for point in points:
        source = next((by_n[n] for n in point.cited if n in by_n), None)
        if source is None:
            continue
        k = len(pseudo) + 1
        pseudo.append(Passage(n=k, chunk=replace(source.chunk, text=point.text)))
        origin[k] = point.cited
    if not pseudo:
        return []
    reduced = await ctx.generator.summarise(pseudo, title=title)
    out = []
    for point in reduced.key_points:
        cited = [n for k in point.cited for n in origin.get(k, [])]
        if cited:
            out.append(SummaryPoint(text=point.text, cited=list(dict.fromkeys(cited))))
    return out


# ---------------------------------------------------------------- result


def build_result(
    source: Source, outline: Outline, summary: Summary, passages: Sequence[Passage], read: int
) -> SkillResult:
    page_texts: dict[int | None, str] = {}
    for page in source.pages:  # pasted documents may number their pages from 1 each
        page_texts[page.number] = page_texts.get(page.number, "") + render.squeeze(page.text)
    page_count = max((p.number or 0 for p in source.pages), default=0)
    results = list(dict.fromkeys(c.status for c in source.chunks if c.status))
    sections = compose.sections_for(
        outline, summary, passages, long_paper=page_count >= render.LONG_PAPER_PAGES,
        results=results,
    )  # fmt: skip
    sections = render.only_located(sections, page_texts)
    title = outline.betreff or source.title
    partial = read < len(passages)
    note = ""
    if partial:
        last_page = passages[read - 1].chunk.page if read else None
        note = (
            "Die Zusammenfassung beruht auf "
            + (f"den ersten {read}" if read != 1 else "dem ersten")
            + f" von {len(passages)} Abschnitten"
            + (f" (bis Seite {last_page})" if last_page else "")
            + ", weil die Zeit nicht für das ganze Dokument reichte."
        )
    ai = summary.ai_generated

    def summary_of(current: render.Sections) -> tuple[DocumentSummary, list[Citation]]:
        numbering = render.Numbering(source.chunks)
        proposal, administration = current.proposal, current.administration
        typed = DocumentSummary(
            title=title,
            decision_proposal=numbering.cite(proposal) if proposal else None,
            administration=(
                numbering.cite(administration, "Stellungnahme der Verwaltung")
                if administration
                else None
            ),
            key_points=tuple(numbering.cite(s) for s in current.key_points),
            finance=tuple(numbering.cite(s) for s in current.finance),
            consultation=tuple(numbering.cite(s) for s in current.consultation),
            deadlines=tuple(numbering.cite(s) for s in current.deadlines),
            attachments=tuple(numbering.cite(s, "Anlage") for s in current.attachments),
            more_attachments=len(outline.attachments) - len(current.attachments),
            results=tuple(current.results),
            partial=partial,
            note=note,
            source_title=source.title,
            betreff=outline.betreff,
            kind=outline.kind,
            source=source.kind,
            page_count=page_count or None,
        )
        return typed, numbering.citations()

    source_chars = sum(len(p.text) for p in source.pages)
    size = render.budget(source_chars, page_count, title)
    sections = render.fit(
        sections, size, lambda current: len(summary_text(summary_of(current)[0], ai))
    )
    typed, citations = summary_of(sections)
    empty = not (typed.key_points or typed.decision_proposal or typed.finance)
    return SkillResult(
        typed,
        citations=citations,
        ai_generated=ai,
        grounded=not empty,
        outcome="no_answer" if empty else "ok",
    )


async def run(request: SkillRequest, ctx: SkillContext) -> SkillResult:
    try:
        with request.trace.timed("load") as step:
            source = await load_source(request, ctx)
            step["kind"] = source.kind
            step["chunks"] = len(source.chunks)
    except Unusable as unusable:
        return unusable.result
    with request.trace.timed("outline") as step:
        outline = await asyncio.to_thread(read_outline, source.pages)
        step["kind"] = outline.kind
        step["proposal"] = outline.proposal is not None
    template = source.chunks[0]
    # A model words the summary from the outline and the body; the extractive generator
    # picks key points from the body (the outline is already verbatim).
    lead = (
        [] if ctx.generator.name == "extractive" else compose.structure_passages(outline, template)
    )
    body = compose.body_passages(outline, template, first_n=len(lead) + 1)
    passages = lead + body or [Passage(n=i, chunk=c) for i, c in enumerate(source.chunks, 1)]
    await request.progress.inform(f"Ich fasse „{source.title}“ zusammen …"[:1000])
    budget = request.options.budget_seconds or DEFAULT_BUDGET_SECONDS
    with request.trace.timed("generation", generator=ctx.generator.name) as step:
        summary, read = await summarise_passages(
            passages, ctx, title=source.title, budget_seconds=budget, request=request
        )
        step["read"] = read
    return build_result(source, outline, summary, passages, read)


# "Fass(e) … zusammen" as two searches, the second starting after the first "fass…": the same
# meaning as `fass\w*\b.*\bzusammen\b`, without its quadratic backtracking.
_SUMMARY_WORD = re.compile(r"\b(zusammenfass\w*|summari[sz]e|zusammenfassung)\b", re.IGNORECASE)
_FASS = re.compile(r"\bfass\w*\b", re.IGNORECASE)
_ZUSAMMEN = re.compile(r"\bzusammen\b", re.IGNORECASE)


def asks_for_summary(said: Utterance) -> bool:
    if _SUMMARY_WORD.search(said.head):
        return True
    verb = _FASS.search(said.head)
    return verb is not None and _ZUSAMMEN.search(said.head, verb.end()) is not None


SKILL = Skill(
    name=NAME,
    commands=("zusammenfassen", "summarise"),
    title="Vorlagen zusammenfassen",
    description=(
        "Fasst Beschlussvorlagen, Anträge und Niederschriften zusammen: Kernaussagen, "
        "Beschlussvorschlag, Kosten, Fristen und Beratungsfolge – mit Seitenangaben."
    ),
    requires_kipass=True,
    run=run,
    aliases=("zusammenfassung", "summarize", "summary"),
    intent=asks_for_summary,
    intent_rank=10,
)
