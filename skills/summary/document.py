"""A council paper as lines with their pages, split into the documents one file holds.

One PDF from the council information system often holds several documents: the Vorlage or
Antrag, the administration's Stellungnahme and Anlagen. Karlsruhe's SessionNet numbers the
continuation pages of each document ("– 2 –"), so a page without that number after a
numbered document starts the next one; other layouts are split where a page opens with a
document heading ("Stellungnahme …", "Anlage 2").
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from indexer.chunking import PageText
from kiw_common.references import names_budget_motion

# Continuation page numbers ("– 2 –", "- 3 -") and extractor page markers ("-- 1 of 4 --").
_PAGE_NUMBER = re.compile(r"^[-–—]\s*\d+\s*[-–—]$|^--\s*\d+\s+of\s+\d+\s*--$|^Seite\s*-?\s*\d+$")
_CONTINUATION = re.compile(r"^[-–—]\s*\d+\s*[-–—]$")
_DOC_START = re.compile(
    r"^(?:#+\s*)?(?:Stellungnahme\b|STELLUNGNAHME\b|Anlage\b|Anhang\b|Beschlussvorlage\b|"
    r"Informationsvorlage\b|Mitteilungsvorlage\b|(?:Interfraktionelle[rs]?\s+)?Antrag\b|"
    r"(?:Interfraktionelle\s+)?Anfrage\b|Änderungsantrag\b|Ergänzungsantrag\b|"
    r"HAUSHALT\s+\d{4})"
)
# Lines that are never content: print notes, form placeholders, letterheads, blank form rules.
BOILERPLATE = re.compile(
    r"^(?:Gedruckt auf(?: 100)?(?: Prozent)?(?: Recyclingpapier)?|(?:Prozent )?Recyclingpapier|"
    r"DOPPELHAUSHALT \d{4}/\d{4}|"
    r"Bitte aus Liste auswählen|Wählen Sie ein Element aus\.?|Klicken oder tippen Sie hier.*|"
    r"s\. Hinweis - F1-Taste !?|_{4,}|00\.00\.0000|Herrn?\s+Oberbürgermeister(?:in)?|"
    r"Frau\s+Oberbürgermeisterin|Beispieldokument des Projekts.*)$"
    r"|^[^,]{2,80},\s*[^,]{2,60}\s\d+[a-z]?,\s*\d{5}\s+\w+"  # "CDU Fraktion, Hebelstraße 21, 76133 Karlsruhe"
    r"|^\d{5}\s+[A-ZÄÖÜ][\wäöüß-]+$",  # "76124 Karlsruhe"
    re.IGNORECASE,
)
_PDFIUM_BEFORE_WORD = re.compile(r"\ufffe\s*(?=(?:und|oder|bzw|sowie|bis)\b)")
_PDFIUM_BEFORE_CAPITAL = re.compile(r"\ufffe\s*(?=[A-ZÄÖÜ0-9])")
_PDFIUM_HYPHEN = re.compile(r"\ufffe\s*")
_ABBREVIATION_END = re.compile(
    r"\b(?:ca|rd|bzw|Nr|insg|Abs|ggf|vgl|usw|inkl|zzgl|zzt|Mio|Mrd|Tsd|gem|lt|St|Dr|z\.\s?B|d\.\s?h|"
    r"u\.\s?a)\.$"
    r"|\s\d{1,2}\.$"  # "Zum Stichtag 17." / "Juli 2026 …": a day, not a sentence end
)
_EURO_END = re.compile(r"(?<=€\.)\s+(?=[A-ZÄÖÜ])")
_SEITE = re.compile(r"^Seite\s*-?\s*\d+$")
_HYPHEN_END = re.compile(r"[A-Za-zÄÖÜäöüß]-$")
_COORDINATION = re.compile(r"^(?:und|oder|bzw\.?|sowie|bis)\b")


@dataclass(frozen=True)
class Line:
    text: str
    page: int | None
    index: int  # position in the whole file


@dataclass
class Part:
    """One document inside the file: the Vorlage, a Stellungnahme, an Anlage."""

    kind: str  # vorlage | information | antrag | anfrage | haushalt | stellungnahme | anlage | text
    lines: list[Line]

    @property
    def title(self) -> str:
        return self.lines[0].text if self.lines else ""

    @property
    def pages(self) -> list[int]:
        return sorted({line.page for line in self.lines if line.page is not None})


def join_lines(lines: Sequence[str]) -> str:
    """Lines of one paragraph as one string, line-break hyphens undone the way German needs:
    "Verkehrs-/planung" -> "Verkehrsplanung", "Haupt-/und" -> "Haupt- und",
    "Online-/Beteiligung" -> "Online-Beteiligung"."""
    out = ""
    for raw in lines:
        line = raw.strip()
        if not line:
            continue
        if not out:
            out = line
        elif _HYPHEN_END.search(out):
            if _COORDINATION.match(line):
                out += " " + line
            elif line[0].islower():
                out = out[:-1] + line
            else:
                out += line
        else:
            out += " " + line
    return out


def _page_lines(page: PageText) -> list[str]:
    text = page.text.replace("\r\n", "\n").replace("\r", "\n").replace("\x0c", "\n")
    # pdfium joins a hyphenated line break into U+FFFE; soft hyphens are invisible.
    if "\ufffe" in text:
        text = _PDFIUM_BEFORE_WORD.sub("- ", text)
        text = _PDFIUM_BEFORE_CAPITAL.sub("-", text)
        text = _PDFIUM_HYPHEN.sub("", text)
    text = text.replace("\u00ad", "")
    return [" ".join(line.split()) for line in text.split("\n")]


def read_lines(pages: Sequence[PageText]) -> tuple[list[Line], set[int]]:
    """Content lines in reading order, and the pages that open with a continuation number."""
    lines: list[Line] = []
    continued: set[int] = set()
    for page in pages:
        first = True
        for position, text in enumerate(t for t in _page_lines(page) if t):
            if _PAGE_NUMBER.match(text):
                numbered = (first and _CONTINUATION.match(text)) or (
                    position < 4 and _SEITE.match(text)
                )
                if numbered and page.number is not None:
                    continued.add(page.number)
                continue
            first = False
            if BOILERPLATE.search(text):
                continue
            lines.append(Line(text, page.number, len(lines)))
    return lines, continued


def _kind(head: Sequence[str], first: bool) -> str:
    opening = head[0] if head else ""
    joined = " ".join(head)
    if re.match(r"(?:#+\s*)?Stellungnahme|STELLUNGNAHME|HAUSHALT\s+\d{4}", opening) or (
        "STELLUNGNAHME" in joined
    ):
        return "stellungnahme"
    if names_budget_motion(joined):
        return "haushalt"
    if re.match(r"(?:#+\s*)?(?:Interfraktionelle\s+)?Anfrage", opening):
        return "anfrage"
    if re.match(r"(?:#+\s*)?(?:Interfraktionelle[rs]?\s+|Änderungs|Ergänzungs)?[Aa]ntrag", opening):
        return "antrag"
    if re.match(r"(?:#+\s*)?(?:Informationsvorlage|Mitteilungsvorlage)", opening):
        return "information"
    if re.match(r"(?:#+\s*)?(?:Anlage|Anhang)\b", opening):
        return "anlage" if not first else "text"
    if re.search(r"Beschlussvorlage|Vorlage", opening):
        return "vorlage"
    return "text" if first else "anlage"


def split_parts(pages: Sequence[PageText]) -> list[Part]:
    """The documents of the file in order; the first one is the main document."""
    lines, continued = read_lines(pages)
    starts: list[int] = [0] if lines else []
    # A SessionNet form ("Vorlage Nr.: …") numbers its continuation pages ("– 2 –").
    numbered = any("Vorlage Nr.:" in line.text for line in lines[:6])
    previous_page: int | None = lines[0].page if lines else None
    for line in lines:
        if line.page == previous_page or line.page is None:
            continue
        previous_page = line.page
        if line.page in continued:
            numbered = True
            continue
        head = [other.text for other in lines[line.index : line.index + 6]]
        form = any("Vorlage Nr.:" in h for h in head)
        # The first words of the page, past a printed page number ("1" / "Anlage 3").
        opening = next((h for h in head if not h.isdigit()), line.text)
        if numbered or form or _DOC_START.match(opening):
            starts.append(line.index)
            numbered = form
    parts: list[Part] = []
    for i, start in enumerate(starts):
        end = starts[i + 1] if i + 1 < len(starts) else len(lines)
        chunk = lines[start:end]
        parts.append(Part(_kind([c.text for c in chunk[:12]], not parts), chunk))
    return parts


@dataclass(frozen=True)
class Quote:
    page: int | None
    text: str  # verbatim (line breaks and their hyphens joined) on that page


@dataclass(frozen=True)
class Statement:
    """One thing a summary says, with the verbatim words it stands on, page by page."""

    text: str  # what the summary shows
    quotes: tuple[Quote, ...]
    label: str = ""  # "Gesamtkosten", "Gemeinderat", "Anlage" …

    @property
    def pages(self) -> list[int]:
        return sorted({q.page for q in self.quotes if q.page is not None})


def statement(lines: Sequence[Line], *, text: str | None = None, label: str = "") -> Statement:
    """A statement quoting `lines`: one quote per run of consecutive lines on one page."""
    quotes: list[Quote] = []
    run: list[Line] = []
    for line in lines:
        if run and (line.page != run[-1].page or line.index != run[-1].index + 1):
            quotes.append(Quote(run[-1].page, join_lines([r.text for r in run])))
            run = []
        run.append(line)
    if run:
        quotes.append(Quote(run[-1].page, join_lines([r.text for r in run])))
    shown = text if text is not None else join_lines([line.text for line in lines])
    return Statement(shown, tuple(quotes), label)


def paragraphs(lines: Sequence[Line]) -> list[list[Line]]:
    """Lines grouped into paragraphs: a line that ends a sentence or a short line (a heading,
    the last line of a paragraph) closes one; the PDF has no blank lines to tell."""
    out: list[list[Line]] = []
    current: list[Line] = []
    for line in lines:
        current.append(line)
        text = line.text
        if _ABBREVIATION_END.search(text):
            continue  # "… belaufen sich auf ca." goes on on the next line
        if re.search(r"[.!?:]$", text) or (len(text) < 70 and not text.endswith((",", "-"))):
            out.append(current)
            current = []
    if current:
        out.append(current)
    return out


def _joined_with_offsets(lines: Sequence[Line]) -> tuple[str, list[int]]:
    """join_lines() of the lines, and where each line starts in the joined text."""
    out = ""
    starts: list[int] = []
    for line in lines:
        text = line.text.strip()
        if not out:
            starts.append(0)
            out = text
        elif _HYPHEN_END.search(out):
            if _COORDINATION.match(text):
                out += " "
            elif text[:1].islower():
                out = out[:-1]
            starts.append(len(out))
            out += text
        else:
            out += " "
            starts.append(len(out))
            out += text
    return out, starts


def sentences(lines: Sequence[Line]) -> list[Statement]:
    """The sentences of a run of lines, each quoting its words page by page."""
    return [s for paragraph in paragraphs(lines) for s in _paragraph_sentences(paragraph)]


def _paragraph_sentences(lines: Sequence[Line]) -> list[Statement]:
    from skills.german import split_sentences  # German abbreviations, dates, ordinals

    if not lines:
        return []
    text, starts = _joined_with_offsets(lines)
    out: list[Statement] = []
    cursor = 0
    # The shared splitter keeps "25.000 €. Nach …" together (a one-letter word never ends a
    # sentence there); an amount in euros does end one.
    pieces = [p for s in split_sentences(text) for p in _EURO_END.split(s)]
    for sentence in pieces:
        at = text.find(sentence, cursor)
        if at < 0:
            continue
        end = at + len(sentence)
        cursor = end
        first = max(i for i, s in enumerate(starts) if s <= at)
        last = max(i for i, s in enumerate(starts) if s < end)
        quotes: list[Quote] = []
        i = first
        while i <= last:
            j = i
            while j + 1 <= last and lines[j + 1].page == lines[i].page:
                j += 1
            piece_end = min(end, starts[j + 1] if j + 1 < len(starts) else len(text))
            piece = text[max(at, starts[i]) : piece_end].strip()
            if piece:
                quotes.append(Quote(lines[i].page, piece))
            i = j + 1
        if out and (sentence[:1].isdigit() or sentence[:1].islower()):
            # "rd. 150.000 Euro …" was cut after an abbreviation the splitter does not know.
            previous = out.pop()
            sentence = f"{previous.text} {sentence}"
            quotes = _merged(previous.quotes, quotes)
        out.append(Statement(sentence, tuple(quotes)))
    return out


def _merged(first: Sequence[Quote], second: Sequence[Quote]) -> list[Quote]:
    out = list(first)
    for q in second:
        if out and out[-1].page == q.page:
            out[-1] = Quote(q.page, f"{out[-1].text} {q.text}")
        else:
            out.append(q)
    return out
