"""Cleaning extracted text and cutting it into passages that stand on their own.

A passage keeps the heading it stands under ("§ 4 Datenschutz") and its page: it never crosses
a page break, so every word it quotes is on the page it cites. Within a page it aims at up to
300 words (long enough to answer from, short enough to cite), and does not cut a table or a
numbered list in half unless the block alone is too long.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

TARGET_MAX_WORDS = 300
HARD_MAX_WORDS = 450  # a table or list up to this size stays in one passage
LEAD_IN_WORDS = 60  # a short lead-in ("Der Gemeinderat beschließt:") stays with its list


@dataclass(frozen=True)
class PageText:
    number: int | None  # 1-based page, None for formats without pages
    text: str


@dataclass(frozen=True)
class Passage:
    text: str
    page: int | None
    heading: str | None


# ---------------------------------------------------------------- cleaning

_PAGE_MARKER = re.compile(r"^[ \t]*--[ \t]*(\d+)[ \t]+of[ \t]+(\d+)[ \t]*--[ \t]*$", re.MULTILINE)
_PAGE_NUMBER_LINE = re.compile(r"^[ \t]*[-–—][ \t]*\d+[ \t]*[-–—][ \t]*$", re.MULTILINE)
# Anchored on the hyphen (rare) rather than on letters (everywhere): 10x faster on long texts.
_HYPHEN_BREAK = re.compile(
    r"(?<=[A-Za-zÄÖÜäöüß]{2})-\n[ \t]*(?!(?:und|oder|bzw|sowie)\b)(?=[a-zäöüß])"
)


def join_broken_words(text: str) -> str:
    """Join words hyphenated at a line end ("Verkehrs-\nplanung"), but not "Haupt-\nund" or a
    hyphenated compound whose second part is capitalised ("Online-\nBeteiligung" keeps its
    hyphen and loses the line break)."""
    text = _HYPHEN_BREAK.sub("", text)
    return _HYPHEN_BEFORE_NOUN.sub("-", text)


_HYPHEN_BEFORE_NOUN = re.compile(r"(?<=[A-Za-zÄÖÜäöüß]{2})-\n[ \t]*(?=[A-ZÄÖÜ][a-zäöüß])")
_PDFIUM_HYPHEN = re.compile(r"\ufffe[ \t]*\n?[ \t]*")
_BLANK_RUN = re.compile(r"\n{3,}")
_BOILERPLATE = "Gedruckt auf 100 Prozent Recyclingpapier"
# (str.replace per glyph: str.translate with a dict is ~10x slower on long German texts)
_CHECKBOXES = (("☒", "[x]"), ("☑", "[x]"), ("☐", "[ ]"), ("\u25a0", ""), ("\uf0b7", "-"))


def split_page_markers(text: str) -> list[PageText]:
    """Karlsruhe's extractor writes `-- 1 of 4 --` after each page: turn that into pages."""
    markers = list(_PAGE_MARKER.finditer(text))
    if not markers:
        return [PageText(None, text)]
    pages: list[PageText] = []
    start = 0
    for m in markers:
        pages.append(PageText(int(m.group(1)), text[start : m.start()]))
        start = m.end()
    tail = text[start:]
    if tail.strip():
        pages.append(PageText(int(markers[-1].group(1)) + 1, tail))
    return pages


def clean_text(text: str) -> str:
    """Undo extraction artefacts: hyphenated line breaks, trailing spaces, checkbox glyphs,
    stray page markers and "– 2 –" page-number lines, the recycling-paper footer."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x0c", "\n")
    # pdfium marks a hyphen it found at a line end as U+FFFE; soft hyphens are invisible.
    if "\ufffe" in text:
        text = _PDFIUM_HYPHEN.sub("", text)
    text = text.replace("\u00ad", "")
    for glyph, replacement in _CHECKBOXES:
        if glyph in text:
            text = text.replace(glyph, replacement)
    lines: list[str] = []
    for line in text.split("\n"):
        line = line.rstrip(" \t\u00a0")
        head = line.lstrip()[:1]
        if head in ("-", "–", "—") and len(line) < 40:
            if _PAGE_MARKER.match(line) or _PAGE_NUMBER_LINE.match(line):
                continue
        elif line == _BOILERPLATE:
            continue
        lines.append(line)
    text = "\n".join(lines)
    if "-\n" in text:
        text = _HYPHEN_BREAK.sub("", text)
    if "\n\n\n" in text:
        text = _BLANK_RUN.sub("\n\n", text)
    return text.strip()


# ---------------------------------------------------------------- blocks

_MD_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*$")
_LEGAL_HEADING = re.compile(
    r"^(?:§\s*\d+[a-z]?|Art(?:ikel|\.)\s*\d+|(?:Abschnitt|Teil|Kapitel|Anlage)\s+(?:\d+|[IVX]+)\b)"
)
_VORLAGE_HEADING = re.compile(
    r"^(?:Sachverhalt(?:\s*/\s*Begründung)?|Begründung|Beschlussantrag|Beschlussvorschlag|"
    r"Beschluss|Stellungnahme(?: der Verwaltung)?|Ergebnis|Zusammenfassung|Finanzielle Auswirkungen|"
    r"Kurzfassung|Anlagen?)\s*:?$"
)
_LIST_ITEM = re.compile(r"^\s*(?:\d{1,3}[.)]|[a-z][.)]|[-•*–▪·]|\(\d{1,3}\)|\([a-z]\))\s+\S")
_TABLE_ROW = re.compile(r"\|.*\||\t.*\t")


@dataclass
class _Block:
    kind: str  # "heading" | "para" | "list" | "table"
    lines: list[str]
    page: int | None
    cont: bool = False  # continues the previous piece of the same paragraph

    @property
    def text(self) -> str:
        joiner = "\n" if self.kind in ("list", "table") else " "
        return joiner.join(self.lines)

    @property
    def words(self) -> int:
        return sum(len(line.split()) for line in self.lines)


_HEADING_STARTS = frozenset("#§ABEFKSTZ")  # first letters of every heading pattern below


def _heading_text(line: str) -> str | None:
    stripped = line.strip()
    if stripped[:1] not in _HEADING_STARTS:
        return None
    m = _MD_HEADING.match(stripped)
    if m:
        return m.group(2).strip()
    if len(stripped) <= 90 and (_LEGAL_HEADING.match(stripped) or _VORLAGE_HEADING.match(stripped)):
        return stripped
    return None


def _line_kind(line: str) -> str:
    if ("|" in line or "\t" in line) and _TABLE_ROW.search(line):
        return "table"
    if _LIST_ITEM.match(line):
        return "list"
    return "para"


def _blocks(pages: list[PageText]) -> list[_Block]:
    blocks: list[_Block] = []
    for page in pages:
        current: _Block | None = None
        for raw in clean_text(page.text).split("\n"):
            line = raw.strip()
            if not line:
                current = None
                continue
            heading = _heading_text(line)
            if heading is not None:
                blocks.append(_Block("heading", [heading], page.number))
                current = None
                continue
            kind = _line_kind(line)
            # A list item's wrapped continuation line belongs to the list.
            if (
                current is not None
                and current.kind == "list"
                and kind == "para"
                and not line[0].isupper()
            ):
                current.lines[-1] += " " + line
                continue
            if current is None or current.kind != kind:
                current = _Block(kind, [line], page.number)
                blocks.append(current)
            else:
                current.lines.append(line)
    return blocks


# ---------------------------------------------------------------- packing

_SENTENCE_END = re.compile(r"(?<=[.!?:;])\s+(?=[A-ZÄÖÜ0-9„\"(])")


def _split_long(block: _Block, limit: int) -> list[_Block]:
    """Cut an over-long list or table between lines (into pieces of at most `limit` words)."""
    out: list[_Block] = []
    current: list[str] = []
    count = 0
    for unit in block.lines:
        n = len(unit.split())
        if current and count + n > limit:
            out.append(_Block(block.kind, current, block.page))
            current, count = [], 0
        current.append(unit)
        count += n
    if current:
        out.append(_Block(block.kind, current, block.page))
    return out


def _sentences(block: _Block) -> list[_Block]:
    """A paragraph as sentence pieces, so passages fill up to the target instead of breaking
    at paragraph ends; an endless "sentence" (tables flattened by the PDF) is cut by words."""
    out: list[_Block] = []
    for sentence in _SENTENCE_END.split(block.text):
        words = sentence.split()
        for i in range(0, len(words), TARGET_MAX_WORDS):
            out.append(
                _Block(
                    "para", [" ".join(words[i : i + TARGET_MAX_WORDS])], block.page, cont=bool(out)
                )
            )
    return out


def split_passages(pages: list[PageText]) -> list[Passage]:
    """Passages of up to ~300 words within one page, each with the heading it stands under."""
    passages: list[Passage] = []
    body: list[_Block] = []
    words = 0
    heading: str | None = None  # the heading in force
    body_heading: str | None = None  # the heading the current passage started under

    def flush() -> None:
        nonlocal body, words
        if body:
            text = "".join(
                (" " if b.cont and i else "\n" if i else "") + b.text for i, b in enumerate(body)
            ).strip()
            if text:
                passages.append(Passage(text=text, page=body[0].page, heading=body_heading))
        body, words = [], 0

    for block in _blocks(pages):
        if block.kind == "heading":
            # A new section starts a new passage, so "§ 4" is never cited for § 5's text,
            # even when § 4 is a single sentence; consecutive headings stay together.
            if any(b.kind != "heading" for b in body):
                flush()
            heading = block.lines[0]
            if all(b.kind == "heading" for b in body):
                body_heading = heading  # "# Title" then "## § 1": the passage is § 1's
            body.append(block)
            words += block.words
            continue
        atomic = block.kind in ("list", "table")
        if not atomic:
            pieces = _sentences(block)
        elif block.words <= HARD_MAX_WORDS:
            pieces = [block]
        else:
            pieces = _split_long(block, TARGET_MAX_WORDS)
        for piece in pieces:
            # A passage never crosses a page break, so the page it cites is the page of every
            # word in it (summaries and answers quote from passages and cite their page).
            new_page = bool(body) and piece.page != body[-1].page
            if new_page:
                piece.cont = False
                if all(b.kind == "heading" for b in body):
                    # Headings at the foot of a page head the next page's passage (as its
                    # `heading`), not a passage of their own or a quote from the wrong page.
                    body, words = [], 0
                else:
                    flush()
            elif body and words + piece.words > TARGET_MAX_WORDS:
                piece.cont = False
                # Keep short lead-ins ("Der Gemeinderat beschließt:") with their list.
                if not (atomic and words < LEAD_IN_WORDS and words + piece.words <= HARD_MAX_WORDS):
                    flush()
            if not body:
                body_heading = heading
            body.append(piece)
            words += piece.words
    flush()
    return passages
