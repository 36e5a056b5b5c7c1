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
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from indexer.chunking import PageText, split_page_markers, split_passages
from indexer.model import Chunk
from skills import cardkit
from skills.allris_query import REFERENCE
from skills.context import Skill, SkillContext
from skills.generator.base import Passage, Summary, SummaryPoint
from skills.grounding import best_quote, citation_for, citation_json
from skills.types import Attachment, Citation, SkillRequest, SkillResult

NAME = "summarise"
GROUP_SIZE = 24  # passages per map step (~5,000 words: fits a model context with room to spare)
MAP_CONCURRENCY = 4
DEFAULT_BUDGET_SECONDS = 90.0
MIN_PASTE_WORDS = 25
MAX_PASTE_CHARS = 600_000

ASK_FOR_INPUT = (
    "Was soll ich zusammenfassen? Fügen Sie den Text nach „zusammenfassen“ ein, senden Sie mir "
    "die Datei im 1:1-Chat oder nennen Sie ein Aktenzeichen wie VO/2025/12345."
)
SCAN = (
    "Das Dokument enthält keinen Text (Scan?) — eine Texterkennung (OCR) ist nötig, bevor ich "
    "es zusammenfassen kann."
)
PASSWORD = (
    "Die Datei ist mit einem Passwort geschützt. Bitte senden Sie eine Fassung ohne Kennwort."
)
UNREADABLE = (
    "Die Datei kann ich nicht lesen ({reason}). Bitte senden Sie sie als PDF, DOCX oder Text."
)
TOO_SHORT = "Der Text ist zu kurz für eine Zusammenfassung. Bitte fügen Sie den ganzen Text ein."
TOO_LONG = (
    "Der eingefügte Text ist mit {chars} Zeichen zu lang (höchstens {limit}). Bitte senden Sie "
    "das Dokument als Datei."
)

_URL = re.compile(r"https?://\S+")
_PAPER_ID_URL = re.compile(r"/papers?/|/vo/|oparl", re.IGNORECASE)


@dataclass
class Source:
    title: str
    chunks: list[Chunk]
    kind: str  # "file" | "reference" | "link" | "text"


class Refusal(Exception):
    def __init__(self, result: SkillResult) -> None:
        super().__init__(result.text)
        self.result = result


def _refuse(text: str, outcome: str = "bad_input", code: str = "bad_input") -> Refusal:
    return Refusal(
        SkillResult(text=text, outcome=outcome, grounded=False, data={"error": code})  # type: ignore[arg-type]
    )


def not_found(what: str) -> Refusal:
    # Same words whether the paper does not exist or the caller may not read it.
    return _refuse(
        f"„{what}“ habe ich nicht gefunden. Bitte prüfen Sie das Aktenzeichen.",
        "not_found",
        "not_found",
    )


def chunks_from_pages(pages: list[PageText], title: str, doc_id: str) -> list[Chunk]:
    return [
        Chunk(
            id=f"{doc_id}#{i}",
            doc_id=doc_id,
            collection="upload",
            title=title,
            text=p.text,
            page=p.page,
            heading=p.heading,
            access=(),
        )
        for i, p in enumerate(split_passages(pages))
    ]


def _from_attachment(attachment: Attachment) -> Source:
    from indexer.extract import Unreadable, extract

    try:
        extracted = extract(
            attachment.data, mime_type=attachment.content_type or None, name=attachment.name
        )
    except Unreadable as exc:
        reason = exc.reason.lower()
        if "password" in reason or "encrypt" in reason:
            raise _refuse(PASSWORD, code="password_protected") from exc
        if "ocr" in reason or "image-only" in reason or "kein text" in reason:
            raise _refuse(SCAN, code="no_text") from exc
        raise _refuse(UNREADABLE.format(reason=exc.reason), code="unreadable") from exc
    title = attachment.name or "Dokument"
    chunks = chunks_from_pages(extracted.pages, title, f"upload:{title}")
    if not chunks:
        raise _refuse(SCAN, code="no_text")
    return Source(title, chunks, "file")


async def _from_reference(reference: str, request: SkillRequest, ctx: SkillContext) -> Source:
    doc_id = await ctx.index.find_reference(reference, request.access)
    chunks = await ctx.index.document_chunks(doc_id, request.access) if doc_id else []
    if not chunks:
        raise not_found(reference)
    return Source(chunks[0].title, chunks, "reference")


async def _from_link(url: str, request: SkillRequest, ctx: SkillContext) -> Source:
    candidates = [url, url.replace("/ris/oparl/", "/oparl/")]
    for doc_id in dict.fromkeys(candidates):
        chunks = await ctx.index.document_chunks(doc_id, request.access)
        if chunks:
            return Source(chunks[0].title, chunks, "link")
    ref = REFERENCE.search(url)
    if ref:
        return await _from_reference(ref.group(0), request, ctx)
    # ALLRIS web links (vo020.asp?VOLFDNR=1664): the index knows ALLRIS's own row ids.
    found = await ctx.index.find_reference(url, request.access)
    chunks = await ctx.index.document_chunks(found, request.access) if found else []
    if chunks:
        return Source(chunks[0].title, chunks, "link")
    try:
        values = [v for _, v in parse_qsl(urlsplit(url).query) if v and len(v) <= 64]
    except ValueError:
        values = []
    for value in values:
        found = await ctx.index.find_reference(value, request.access)
        chunks = await ctx.index.document_chunks(found, request.access) if found else []
        if chunks:
            return Source(chunks[0].title, chunks, "link")
    raise not_found(url)


def _from_text(text: str) -> Source:
    if len(text) > MAX_PASTE_CHARS:
        raise _refuse(
            TOO_LONG.format(chars=f"{len(text):,}", limit=f"{MAX_PASTE_CHARS:,}").replace(",", ".")
        )
    if len(text.split()) < MIN_PASTE_WORDS:
        raise _refuse(TOO_SHORT)
    first_line = next((line.strip("# ").strip() for line in text.splitlines() if line.strip()), "")
    title = first_line[:120] or "Eingefügter Text"
    return Source(title, chunks_from_pages(split_page_markers(text), title, "pasted:text"), "text")


async def load_source(request: SkillRequest, ctx: SkillContext) -> Source:
    if request.attachments:
        return await asyncio.to_thread(_from_attachment, request.attachments[0])
    text = request.text.strip()
    if not text:
        raise _refuse(ASK_FOR_INPUT)
    url = _URL.fullmatch(text)
    if url:
        return await _from_link(url.group(0), request, ctx)
    ref = REFERENCE.fullmatch(text) or (
        REFERENCE.search(text) if len(text) < 60 and not _URL.search(text) else None
    )
    if ref:
        return await _from_reference(ref.group(0), request, ctx)
    return _from_text(text)


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


@dataclass
class _Numbering:
    passages: dict[int, Passage]
    order: dict[int, int]  # passage n -> citation number

    def cite(self, point: SummaryPoint) -> dict[str, Any]:
        numbers = []
        for n in point.cited:
            if n not in self.passages:
                continue
            if n not in self.order:
                self.order[n] = len(self.order) + 1
            numbers.append(self.order[n])
        pages = sorted(
            {
                page
                for n in point.cited
                if n in self.passages and (page := self.passages[n].chunk.page)
            }
        )
        return {"text": point.text, "citations": numbers, "pages": pages}

    def citations(self, claims: dict[int, str]) -> list[Citation]:
        out = []
        for n, number in sorted(self.order.items(), key=lambda item: item[1]):
            chunk = self.passages[n].chunk
            out.append(citation_for(chunk, number, best_quote(chunk.text, claims.get(n, ""))))
        return out


def _line(point: dict[str, Any]) -> str:
    where = f" (S. {', '.join(str(p) for p in point['pages'])})" if point["pages"] else ""
    marks = "".join(f"[{n}]" for n in point["citations"])
    return f"{point['text']} {marks}{where}".strip()


def _render(title: str, data: dict[str, Any], ai: bool, note: str) -> str:
    lines = [f"Zusammenfassung: {title}"]
    lines.append(
        "(KI-generiert, bitte prüfen)" if ai else "(Auszug aus den Quellen, nicht KI-formuliert)"
    )
    if note:
        lines.append(note)
    if data["key_points"]:
        lines += ["", "Kernaussagen:"] + [f"- {_line(p)}" for p in data["key_points"]]
    for label, key in (
        ("Beschlussvorschlag", "decision_proposal"),
        ("Finanzielle Auswirkungen", "financial_impact"),
    ):
        if data[key]:
            lines += ["", f"{label}:", _line(data[key])]
    if data["deadlines"]:
        lines += ["", "Fristen/Termine:"] + [f"- {_line(p)}" for p in data["deadlines"]]
    if data["consultation"]:
        lines += ["", "Beratungsfolge:"] + [f"- {_line(p)}" for p in data["consultation"]]
    return "\n".join(lines)


def _card(title: str, data: dict[str, Any], citations: list[Citation], note: str) -> dict[str, Any]:
    body = [cardkit.heading(f"Zusammenfassung: {title}")]
    if note:
        body.append(cardkit.text_block(note, subtle=True))
    sections = [
        ("Kernaussagen", data["key_points"]),
        ("Beschlussvorschlag", [data["decision_proposal"]] if data["decision_proposal"] else []),
        (
            "Finanzielle Auswirkungen",
            [data["financial_impact"]] if data["financial_impact"] else [],
        ),
        ("Fristen/Termine", data["deadlines"]),
        ("Beratungsfolge", data["consultation"]),
    ]
    for label, points in sections:
        if points:
            body.append(cardkit.text_block(f"**{label}**"))
            body.append(cardkit.text_block("\n".join(f"- {_line(p)}" for p in points)))
    body.extend(cardkit.citation_list(citations))
    return cardkit.card(body, cardkit.feedback_actions(NAME))


def build_result(
    source: Source, summary: Summary, passages: Sequence[Passage], read: int
) -> SkillResult:
    numbering = _Numbering({p.n: p for p in passages}, {})
    data: dict[str, Any] = {
        "title": source.title,
        "source": source.kind,
        "key_points": [numbering.cite(p) for p in summary.key_points],
        "decision_proposal": numbering.cite(summary.decision_proposal) if summary.decision_proposal else None,
        "financial_impact": numbering.cite(summary.financial_impact) if summary.financial_impact else None,
        "deadlines": [numbering.cite(p) for p in summary.deadlines],
        "consultation": [numbering.cite(p) for p in summary.consultation],
    }  # fmt: skip
    claims: dict[int, str] = {}
    for point in [*summary.key_points, *summary.deadlines, *summary.consultation] + [
        p for p in (summary.decision_proposal, summary.financial_impact) if p
    ]:
        for n in point.cited:
            claims[n] = f"{claims.get(n, '')} {point.text}"
    citations = numbering.citations(claims)
    partial = read < len(passages)
    pages = [p.chunk.page for p in passages if p.chunk.page]
    note = ""
    if partial:
        last_page = passages[read - 1].chunk.page if read else None
        note = (
            f"Die Zusammenfassung beruht auf den ersten {read} von {len(passages)} Abschnitten"
            + (f" (bis Seite {last_page})" if last_page else "")
            + ", weil die Zeit nicht für das ganze Dokument reichte."
        )
    data.update(
        partial=partial,
        pages=max(pages) if pages else None,
        citations=[citation_json(c) for c in citations],
    )
    data["summary"] = _render(source.title, data, summary.ai_generated, note)
    empty = not (data["key_points"] or data["decision_proposal"] or data["financial_impact"])
    return SkillResult(
        text=data["summary"],
        card=_card(source.title, data, citations, note),
        citations=citations,
        ai_generated=summary.ai_generated,
        grounded=not empty,
        outcome="no_answer" if empty else "ok",
        data=data,
    )


async def run(request: SkillRequest, ctx: SkillContext) -> SkillResult:
    try:
        with request.trace.timed("load") as step:
            source = await load_source(request, ctx)
            step["kind"] = source.kind
            step["chunks"] = len(source.chunks)
    except Refusal as refusal:
        return refusal.result
    passages = [Passage(n=i, chunk=c) for i, c in enumerate(source.chunks, start=1)]
    await request.progress.inform(f"Ich fasse „{source.title}“ zusammen …"[:1000])
    budget = float(request.options.get("budget_seconds", DEFAULT_BUDGET_SECONDS))
    with request.trace.timed("generation", generator=ctx.generator.name) as step:
        summary, read = await summarise_passages(
            passages, ctx, title=source.title, budget_seconds=budget, request=request
        )
        step["read"] = read
    return build_result(source, summary, passages, read)


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
)
