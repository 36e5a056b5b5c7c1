"""What `zusammenfassen` reads: a sent file, a paper named by reference or link, or pasted text —
as passages that never cross a page and as the pages the structure is read from.

A reference or link the caller may not read is answered exactly like an unknown one ("nicht
gefunden"); a file without text, with a password or in an unknown format gets its own German
reason. The summary itself is made in skills/summarise.py.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence
from dataclasses import dataclass

from indexer.chunking import PageText, split_page_markers, split_passages
from indexer.links import chunks_for_link
from indexer.model import Chunk
from kiw_common.references import TYPED_REFERENCE as REFERENCE
from skills.context import SkillContext
from skills.results import Problem
from skills.types import Attachment, SkillRequest, SkillResult
from skills.wording import clip

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
    pages: list[PageText]  # the text page by page, as the structure is read from it


class Unusable(Exception):
    def __init__(self, result: SkillResult, message: str) -> None:
        super().__init__(message)
        self.result = result


def _refuse(text: str, outcome: str = "bad_input", code: str = "bad_input") -> Unusable:
    return Unusable(
        SkillResult(Problem(code, text), outcome=outcome, grounded=False),  # type: ignore[arg-type]
        text,
    )


def not_found(what: str) -> Unusable:
    # Same words whether the paper does not exist or the caller may not read it.
    return _refuse(
        f"„{what}“ habe ich nicht gefunden. Bitte prüfen Sie das Aktenzeichen.",
        "not_found",
        "not_found",
    )


def chunks_from_pages(pages: list[PageText], title: str, doc_id: str) -> list[Chunk]:
    """Passages of the text that never run over a page break: a passage's page is the page
    of every word in it, so a quote from it is cited with the right page."""
    passages = [p for page in pages for p in split_passages([page])]
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
        for i, p in enumerate(passages)
    ]


def pages_from_chunks(chunks: Sequence[Chunk]) -> list[PageText]:
    """An indexed paper as pages again, with the section headings its passages stand under."""
    pages: list[PageText] = []
    lines: list[str] = []
    page: int | None = chunks[0].page if chunks else None
    heading: str | None = None
    for chunk in chunks:
        if chunk.page != page:
            pages.append(PageText(page, "\n".join(lines)))
            lines, page = [], chunk.page
        if chunk.heading and chunk.heading != heading and chunk.heading not in chunk.text[:200]:
            lines.append(f"## {chunk.heading}")
        heading = chunk.heading
        lines.append(chunk.text)
    if lines:
        pages.append(PageText(page, "\n".join(lines)))
    return pages


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
    return Source(title, chunks, "file", extracted.pages)


async def _from_reference(reference: str, request: SkillRequest, ctx: SkillContext) -> Source:
    doc_id = await ctx.index.find_reference(reference, request.access)
    chunks = await ctx.index.document_chunks(doc_id, request.access) if doc_id else []
    if not chunks:
        raise not_found(reference)
    return Source(chunks[0].title, chunks, "reference", pages_from_chunks(chunks))


async def _from_link(url: str, request: SkillRequest, ctx: SkillContext) -> Source:
    chunks = await chunks_for_link(ctx.index, url, request.access)
    if not chunks:
        ref = REFERENCE.search(url)
        raise not_found(ref.group(0) if ref else url)
    return Source(chunks[0].title, chunks, "link", pages_from_chunks(chunks))


def _from_text(text: str) -> Source:
    if len(text) > MAX_PASTE_CHARS:
        raise _refuse(
            TOO_LONG.format(chars=f"{len(text):,}", limit=f"{MAX_PASTE_CHARS:,}").replace(",", ".")
        )
    if len(text.split()) < MIN_PASTE_WORDS:
        raise _refuse(TOO_SHORT)
    first_line = next((line.strip("# ").strip() for line in text.splitlines() if line.strip()), "")
    title = clip(first_line, 120) or "Eingefügter Text"
    pages = split_page_markers(text)
    return Source(title, chunks_from_pages(pages, title, "pasted:text"), "text", pages)


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
