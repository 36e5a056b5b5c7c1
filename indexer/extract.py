"""Text out of documents: PDF (pypdfium2, page by page), DOCX (python-docx, headings kept),
HTML (kiw_common/html_text.py, the rule chat text is read by too), Markdown and plain text.

Every format comes out the same way: a list of pages of Markdown-like text (headings as `#`
lines, list items as `-`/`1.` lines, table rows as `a | b` lines), which indexer.chunking
splits. Hostile or useless input raises `Unreadable` with a reason; callers skip the file,
log the reason and carry on.
"""

from __future__ import annotations

import io
import threading
import zipfile
from dataclasses import dataclass

from indexer.chunking import PageText, split_page_markers
from kiw_common.html_text import html_to_text

MAX_INPUT_BYTES = 60_000_000
MAX_PAGES = 300  # a 500-page PDF is indexed up to here; the rest is reported as cut
MAX_DOCX_UNCOMPRESSED = 100_000_000
MAX_ZIP_RATIO = 100  # Word XML compresses ~5-20x; a zip bomb far more
MIN_TEXT_CHARS = 15  # visible characters; below this a PDF is a scan, nothing to index without OCR

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
HTML = "text/html"
MARKDOWN = "text/markdown"
TEXT = "text/plain"

_BY_SUFFIX = {
    ".pdf": PDF,
    ".docx": DOCX,
    ".html": HTML,
    ".htm": HTML,
    ".md": MARKDOWN,
    ".markdown": MARKDOWN,
    ".txt": TEXT,
}

# pdfium is not thread-safe; extraction runs in worker threads, so one at a time.
_PDFIUM_LOCK = threading.Lock()


class Unreadable(Exception):
    """The file cannot or must not be indexed; `reason` says why in a few words."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Extracted:
    pages: list[PageText]
    mime_type: str
    page_count: int | None = None  # pages in the source (PDF), even if fewer were read
    truncated: bool = False  # more pages than MAX_PAGES


def mime_for_name(name: str) -> str | None:
    lowered = name.lower()
    for suffix, mime in _BY_SUFFIX.items():
        if lowered.endswith(suffix):
            return mime
    return None


def sniff_mime(data: bytes, declared: str | None) -> str:
    """The real type of a download: servers label PDFs as text/html or octet-stream."""
    head = data[:1024].lstrip()
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"PK\x03\x04"):
        return DOCX
    lowered = head[:256].lower()
    if lowered.startswith((b"<!doctype html", b"<html")) or b"<html" in lowered:
        return HTML
    return (declared or "application/octet-stream").split(";")[0].strip().lower()


def extract(data: bytes, *, mime_type: str | None = None, name: str = "") -> Extracted:
    """Extract text; the bytes decide the format (magic numbers) before the declared type."""
    if not data or not data.strip():
        raise Unreadable("empty file (0 bytes)")
    if len(data) > MAX_INPUT_BYTES:
        raise Unreadable(f"file too large ({len(data)} bytes, limit {MAX_INPUT_BYTES})")
    declared = mime_type or mime_for_name(name)
    mime = sniff_mime(data, declared)
    if mime == PDF:
        return _pdf(data)
    if mime == DOCX or (mime.startswith("application/") and data[:4] == b"PK\x03\x04"):
        return _docx(data)
    if mime in (HTML, "application/xhtml+xml"):
        text = html_to_text(decode_text(data))
        return Extracted(pages=[PageText(None, text)], mime_type=HTML)
    if mime.startswith("text/") or mime in ("application/octet-stream", MARKDOWN):
        raw = decode_text(data)
        if "\x00" in raw:
            raise Unreadable(f"binary content, not text ({mime})")
        return Extracted(pages=split_page_markers(raw), mime_type=mime)
    raise Unreadable(f"unsupported file type {mime}")


def decode_text(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


# ---------------------------------------------------------------- PDF


def _pdf(data: bytes) -> Extracted:
    import pypdfium2 as pdfium

    with _PDFIUM_LOCK:
        try:
            doc = pdfium.PdfDocument(data)
        except pdfium.PdfiumError as exc:
            if "password" in str(exc).lower():
                raise Unreadable("encrypted PDF (password required)") from exc
            raise Unreadable(f"broken PDF ({exc})") from exc
        try:
            count = len(doc)
            pages: list[PageText] = []
            for number in range(min(count, MAX_PAGES)):
                page = doc[number]
                try:
                    textpage = page.get_textpage()
                    try:
                        text = textpage.get_text_range()
                    finally:
                        textpage.close()
                finally:
                    page.close()
                pages.append(PageText(number + 1, text.replace("\r\n", "\n").replace("\r", "\n")))
        except pdfium.PdfiumError as exc:
            raise Unreadable(f"broken PDF ({exc})") from exc
        finally:
            doc.close()
    if sum(len("".join(p.text.split())) for p in pages) < MIN_TEXT_CHARS:
        raise Unreadable("image-only PDF: kein Text, OCR nötig")
    return Extracted(pages=pages, mime_type=PDF, page_count=count, truncated=count > MAX_PAGES)


# ---------------------------------------------------------------- DOCX


def _check_zip(data: bytes) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
    except zipfile.BadZipFile as exc:
        raise Unreadable(f"broken DOCX ({exc})") from exc
    total = sum(i.file_size for i in infos)
    packed = sum(i.compress_size for i in infos) or 1
    if total > MAX_DOCX_UNCOMPRESSED:
        raise Unreadable(f"DOCX unpacks to {total} bytes (zip bomb?)")
    if total / packed > MAX_ZIP_RATIO:
        raise Unreadable(f"DOCX compression ratio {total // packed}:1 (zip bomb?)")
    if "word/document.xml" not in {i.filename for i in infos}:
        raise Unreadable("not a Word document (no word/document.xml)")


def _heading_level(style_name: str) -> int | None:
    lowered = style_name.lower()
    if lowered == "title" or lowered == "titel":
        return 1
    for prefix in ("heading ", "überschrift "):
        if lowered.startswith(prefix):
            digits = lowered[len(prefix) :].strip()
            if digits.isdigit():
                return min(int(digits), 6)
    return None


def _docx(data: bytes) -> Extracted:
    _check_zip(data)
    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as exc:  # python-docx raises many types for broken packages
        raise Unreadable(f"broken DOCX ({type(exc).__name__})") from exc
    lines: list[str] = []
    for item in document.iter_inner_content():
        if isinstance(item, Paragraph):
            text = item.text.strip()
            if not text:
                lines.append("")
                continue
            level = _heading_level(item.style.name if item.style is not None else "")
            if level:
                lines.extend(["", "#" * level + " " + text, ""])
            elif item.style is not None and "list" in (item.style.name or "").lower():
                lines.append("- " + text)
            else:
                lines.extend([text, ""])
        elif isinstance(item, Table):
            lines.append("")
            for row in item.rows:
                cells = [" ".join(cell.text.split()) for cell in row.cells]
                lines.append(" | ".join(cells))
            lines.append("")
    text = "\n".join(lines).strip()
    if not text:
        raise Unreadable("DOCX without text")
    return Extracted(pages=[PageText(None, text)], mime_type=DOCX)
