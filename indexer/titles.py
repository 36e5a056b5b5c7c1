"""The title a document gives itself, read before its file name is used as one.

Order, per format (the first that is there and meaningful wins):
- Markdown: the front matter's `title` (read by indexer/files.py), then the first `# ` heading.
- PDF: the `Title` in the document information, then the first bookmark (the outline's first
  heading). Producers fill `Title` with junk often enough ("Microsoft Word - vorlage.docx",
  "Dokument1", "Untitled") that such values are skipped.
- DOCX: the core properties' title, then the first heading (style "Title"/"Heading 1" first,
  any heading level otherwise).
- HTML: the first `<h1>`, then `<title>`.
Only then the file name ("dienstanweisung-ki-v2.md" → "dienstanweisung ki v2").

Reading a title never fails a file: anything unreadable here gives None, and extract() decides
whether the file can be indexed at all.
"""

from __future__ import annotations

import io
import logging
import re

from indexer.extract import (
    _PDFIUM_LOCK,
    DOCX,
    HTML,
    MARKDOWN,
    PDF,
    TEXT,
    _check_zip,
    _heading_level,
    decode_text,
    mime_for_name,
    sniff_mime,
)

log = logging.getLogger(__name__)

MAX_TITLE_CHARS = 200
# Titles producers write without meaning them: a converter's "Microsoft Word - x.docx", a
# template's "Dokument1", a file name with its extension.
_JUNK_TITLE = re.compile(
    r"^(?:microsoft\s+(?:word|excel|powerpoint)\b|untitled\b|unbenannt\b|ohne\s+titel\b"
    r"|(?:dokument|document|titel|title|vorlage)\s*\d*$)"
    r"|\.(?:docx?|pdf|odt|rtf|txt|md)$",
    re.IGNORECASE,
)
_FENCE = re.compile(r"^\s{0,3}(```|~~~)")
_ATX_H1 = re.compile(r"^\s{0,3}#(?!#)[ \t]+(.+?)[ \t]*#*[ \t]*$")


def document_title(data: bytes, *, mime_type: str | None = None, name: str = "") -> str | None:
    """The document's own title, cleaned, or None. For Markdown pass the body without its
    front matter."""
    try:
        mime = sniff_mime(data, mime_type or mime_for_name(name))
        if mime == PDF:
            raw = _pdf_title(data)
        elif mime == DOCX:
            raw = _docx_title(data)
        elif mime in (HTML, "application/xhtml+xml"):
            raw = _html_title(decode_text(data))
        elif mime in (MARKDOWN, TEXT) and mime_for_name(name) == MARKDOWN:
            raw = markdown_h1(decode_text(data))
        else:
            return None
    except Exception as exc:  # any parser error: fall back to the file name, never fail here
        log.debug("no title from %s: %s", name or "a document", type(exc).__name__)
        return None
    return clean_title(raw)


def clean_title(raw: str | None) -> str | None:
    if not raw:
        return None
    title = " ".join(raw.replace("\x00", "").split())
    title = re.sub(r"^[*_`]+|[*_`]+$", "", title).strip()  # **bold** heading markup
    if len(title) < 3 or _JUNK_TITLE.search(title):
        return None
    if len(title) > MAX_TITLE_CHARS:
        title = title[: MAX_TITLE_CHARS - 1].rsplit(" ", 1)[0] + "…"
    return title


def markdown_h1(text: str) -> str | None:
    """The first level-1 ATX heading outside code blocks."""
    in_fence = False
    for line in text.splitlines():
        if _FENCE.match(line):
            in_fence = not in_fence
            continue
        if not in_fence and (match := _ATX_H1.match(line)):
            return match.group(1)
    return None


def _pdf_title(data: bytes) -> str | None:
    import pypdfium2 as pdfium

    with _PDFIUM_LOCK:
        doc = pdfium.PdfDocument(data)
        try:
            title = clean_title(doc.get_metadata_value("Title"))
            if title:
                return title
            for bookmark in doc.get_toc(max_depth=1):
                return bookmark.get_title()
            return None
        finally:
            doc.close()


def _docx_title(data: bytes) -> str | None:
    _check_zip(data)  # the same zip-bomb limits as extraction, before python-docx unpacks
    import docx

    document = docx.Document(io.BytesIO(data))
    title = clean_title(document.core_properties.title)
    if title:
        return title
    first_any: str | None = None
    for paragraph in document.paragraphs:
        text = paragraph.text.strip()
        style = paragraph.style.name if paragraph.style is not None else ""
        level = _heading_level(style or "")
        if not text or level is None:
            continue
        if level == 1:
            return text
        first_any = first_any or text
    return first_any


def _html_title(html: str) -> str | None:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "html.parser")
    for tag in (soup.find("h1"), soup.find("title")):
        if tag is not None and (text := tag.get_text(" ", strip=True)):
            return text
    return None
