"""The sections of one document: which lines are the proposal, the Kurzfassung, the reasons.

A heading counts only when it stands alone on its line ("Beschluss:", "Sachverhalt /
Begründung"): a sentence that merely begins with "Anlage 1 beigefügte …" or "Antrag …" is
text, not a new section. Lines of the form (check boxes, money fields, CO2 relevance), the
letterhead and the signature block are never content.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from kiw_common.references import BUDGET_MOTION_PREFIX, line_reference
from skills.summary.consultation import is_table_header, table_end
from skills.summary.document import Line, Part, Statement, join_lines, sentences, statement

_HEADINGS: list[tuple[str, re.Pattern[str]]] = [
    ("kurzfassung", re.compile(r"Kurzfassung|Zusammenfassung|Kurzdarstellung", re.IGNORECASE)),
    (
        "proposal",
        re.compile(
            r"Beschluss(?:antrag|vorschlag|empfehlung)?(?: der Verwaltung)?|Antrag|Antragstext|"
            r"Empfehlung der Verwaltung|Konzeption, Ziele, Maßnahmen, Kennzahlen|"
            r"Antrag an den (?:Gemeinderat|Rat|Stadtrat|Ortschaftsrat|Ausschuss|Kreistag|"
            r"Haupt- und Finanzausschuss|Hauptausschuss|Bezirksbeirat)\b.*|"
            r"(?:Der |Die )?(?:Bürgerschaft|Gemeinderat) (?:möge|wolle) beschließen"
        ),
    ),
    (
        "reasons",
        re.compile(
            r"Sachverhalt(?:\s*[/|]\s*Begründung)?|Begründung(?:\s*[/|]\s*Sachverhalt)?|"
            r"Sachdarstellung|Erläuterungen?|Ausgangslage|Problemstellung|Anlass|"
            r"Stellungnahme der Verwaltung|Begründung des Antrags",
            re.IGNORECASE,
        ),
    ),
    (
        "finance",
        re.compile(
            r"Finanzielle Auswirkungen|Finanzierung|Kosten(?: und Finanzierung)?|"
            r"Haushaltsrechtliche Auswirkungen|Auswirkungen auf den Haushalt",
            re.IGNORECASE,
        ),
    ),
    ("consultation", re.compile(r"Beratungsfolge|Gremien", re.IGNORECASE)),
    ("attachments", re.compile(r"Anlagen?(?:verzeichnis)?|Anhang", re.IGNORECASE)),
    ("signature", re.compile(r"Unterzeichnet von|Mit freundlichen Grüßen", re.IGNORECASE)),
]
_FORM_START = re.compile(r"^Finanzielle Auswirkungen\s*:?\s*(?:Ja|Nein)\b", re.IGNORECASE)
_FORM_LINE = re.compile(
    r"[☐☒☑]|\[[ xX]\]|^(?:Vorlage Nr\.|Dienststelle|Verantwortlich|Eingang|Datum|Aktenzeichen|"
    r"Federführend|Beteiligt|Status|Vorlageart|Drucksache)\s*:|CO2-Relevanz|IQ-relevant|"
    r"^Abstimmung mit städtischen|^Bei Ja: Begründung|^Zuordnung im Haushaltsplan|"
    r"^Seite im HH-Plan|^(?:Ergebnis|Finanz)haushalt:|^Änderungen und neue Mittelanmeldungen|"
    r"^Art \d{4}|^Stellenschaffung|^Erhöhung/Reduzierung|^Sperrvermerk|"
    r"^Verpflichtungsermächtigung|^davon zahlungswirksam|^Sonstige Änderungen|^Weitere Angaben|"
    r"^bei Leistungen an Zuschussempfänger|^(?:Antrag|Anfrage|"
    r"(?:Interfraktionelle\s+)?(?:Änderungs|Ergänzungs)?antrag|Interfraktionelle Anfrage)\s*:\s*\S",
    re.IGNORECASE,
)
_DOC_TYPE = re.compile(
    r"^(?:Antrag|Anfrage|Beschlussvorlage|Informationsvorlage|Änderungsantrag|Ergänzungsantrag)$"
)
_LIST_ITEM = re.compile(r"^(?:\d{1,2}(?:\.\d{1,2})*[.)]|[a-z][.)]|\([a-z0-9]\)|[-•▪*–·])\s*\S")
_FOOTNOTE = re.compile(r"^[1-9]\s+[A-ZÄÖÜ][a-zäöüß]+\s")
_TOP_ITEM = re.compile(r"^\d{1,2}[.)]\s*\S")
_SENTENCE_END = re.compile(r"[.!?](?:[\"“”)]*)$")
# The wordings with which councils resolve, request or take note.
DECISION = re.compile(
    r"\bbeschlie(?:ß|ss)t\b|\bbeschließen\b|\bstimmt\b.{0,300}?\bzu\b|\bgenehmigt\b|"
    r"\b(?:wird|werden)\s+(?:ermächtigt|beauftragt|gebeten|aufgefordert)\b|"
    r"\bnimmt\b.{0,300}?\bKenntnis\b|\bbeantrag(?:t|en)\b|\bbitten?\s+wir\b|"
    r"\b(?:wird|werden)\b.{0,200}?\binformiert\b",
    re.IGNORECASE | re.DOTALL,
)
PROPOSAL_LABEL = {
    "antrag": "Antrag",
    "haushalt": "Antrag",
    "anfrage": "Fragen der Anfrage",
}
MAX_PROPOSAL_CHARS = 1_400


def heading_key(text: str) -> str | None:
    stripped = text.lstrip("#").strip().rstrip(":").strip()
    if len(stripped) > 110:
        return None
    for key, pattern in _HEADINGS:
        if pattern.fullmatch(stripped):
            return key
    return None


def is_form_line(text: str) -> bool:
    return bool(_FORM_LINE.search(text))


@dataclass
class Region:
    key: str  # head | consultation | opening | kurzfassung | proposal | reasons | finance | …
    lines: list[Line]


def regions(part: Part) -> list[Region]:
    """The part's lines grouped by the section they stand in, in reading order."""
    out: list[Region] = [Region("head", [])]
    lines = part.lines
    # The first line names the document ("Beschlussvorlage", "Antrag") unless it is a heading.
    i = 1 if lines and (heading_key(lines[0].text) is None or _DOC_TYPE.match(lines[0].text)) else 0
    if i:
        out[0].lines.append(lines[0])
    while i < len(lines):
        line = lines[i]
        if is_table_header(line.text):
            end = table_end(lines, i)
            out.append(Region("consultation", lines[i:end]))
            out.append(Region("opening", []))
            i = end
            continue
        if _FORM_START.match(line.text):
            out.append(Region("form", [line]))
            i += 1
            continue
        key = heading_key(line.text)
        current = out[-1]
        if key and not (current.key == "form" and key == "finance"):
            out.append(Region(key, []))
            i += 1
            continue
        if current.lines and line.page != current.lines[-1].page:
            if current.key == "form":
                out.append(Region("reasons", []))  # the form fills the first page
            elif current.key == "head":
                out.append(Region("text", []))  # no layout we know: the rest is text
            elif current.key == "proposal" and _ends_block(current.lines[-1], line):
                out.append(Region("text", []))  # the proposal ended with its page
        out[-1].lines.append(line)
        i += 1
    return [r for r in out if r.lines or r.key == "opening"]


def _ends_block(last: Line, first_on_next_page: Line) -> bool:
    """A page break ends a block when the page ended a sentence and the next page opens a new
    paragraph (not a list item of the same block, not a sentence that goes on)."""
    text = first_on_next_page.text
    return bool(_SENTENCE_END.search(last.text)) and not (
        _LIST_ITEM.match(text) or text[:1].islower()
    )


def content(lines: Sequence[Line]) -> list[Line]:
    return [line for line in lines if not is_form_line(line.text)]


def _capped(block: list[Line]) -> list[Line]:
    """At most MAX_PROPOSAL_CHARS, cut after a line that ends a sentence; a footnote at the
    foot of the page ("1 Eine oder mehrere …") is not part of it."""
    total = 0
    for i, line in enumerate(block):
        if i and _FOOTNOTE.match(line.text) and _SENTENCE_END.search(block[i - 1].text):
            return block[:i]
        total += len(line.text) + 1
        if total > MAX_PROPOSAL_CHARS and _SENTENCE_END.search(line.text):
            return block[: i + 1]
    return block


def _list_block(lines: Sequence[Line], *, questions: bool = False) -> list[Line]:
    """A lead-in and the list (or the single paragraph) that follows it; for an Anfrage only
    the main questions, without their sub-questions."""
    block: list[Line] = []
    in_list = False
    for line in lines:
        text = line.text
        item = bool(_LIST_ITEM.match(text))
        if not block:
            block.append(line)
            in_list = item
            continue
        previous = block[-1].text
        ended = bool(_SENTENCE_END.search(previous)) or previous.endswith((":", ";"))
        if item and (in_list or previous.endswith(":")):
            in_list = True
            block.append(line)
        elif not ended or text[:1].islower():
            block.append(line)  # the sentence goes on on the next line
        else:
            break
    if not questions:
        return block
    kept: list[Line] = []
    keep = True
    count = 0
    for line in block:
        if _LIST_ITEM.match(line.text):
            keep = bool(_TOP_ITEM.match(line.text)) and count < 5
            count += keep
        if keep:
            kept.append(line)
    return kept


def proposal(part: Part, parts_regions: list[Region]) -> Statement | None:
    """The proposal of the document, or None: never neighbouring text instead."""
    label = PROPOSAL_LABEL.get(part.kind, "Beschlussvorschlag")
    for region in parts_regions:
        if region.key == "proposal":
            block = [
                line
                for line in content(region.lines)
                if heading_key(line.text) != "proposal" and line.text != part.title
            ]
            if block and _says_something(block):
                return statement(_capped(block), label=label)
    if part.kind in ("antrag", "anfrage"):
        opening = next((r for r in parts_regions if r.key == "opening" and r.lines), None)
        if opening is not None:
            block = _list_block(content(opening.lines), questions=part.kind == "anfrage")
            if block:
                return statement(_capped(block), label=label)
    for region in parts_regions:
        if region.key == "kurzfassung":
            chosen = [s for s in sentences(content(region.lines)) if DECISION.search(s.text)]
            if chosen:
                return _merge(chosen, label)
    for region in parts_regions:
        if region.key in ("form", "consultation", "signature", "attachments"):
            continue
        for s in sentences(content(region.lines)):
            if DECISION.search(s.text) and not s.text.endswith("?"):
                return _merge([s], label)
    return None


def _says_something(block: Sequence[Line]) -> bool:
    """A proposal resolves or asks for something in at least one real sentence; a form's
    leftovers under the heading (a repeated title, the recipient's name) do not."""
    text = join_lines([line.text for line in block])
    return bool(DECISION.search(text)) or any(
        len(s.text.split()) >= 10 and _SENTENCE_END.search(s.text) for s in sentences(block)
    )


def _merge(chosen: Sequence[Statement], label: str) -> Statement:
    quotes = tuple(q for s in chosen for q in s.quotes)
    return Statement(" ".join(s.text for s in chosen), quotes, label)


def administration_view(part: Part, part_regions: list[Region]) -> Statement | None:
    """What a Stellungnahme recommends or answers, in its own first words."""
    all_sentences = [
        s
        for r in part_regions
        if r.key not in ("head", "form", "consultation", "signature")
        for s in sentences(content(r.lines))
    ]
    recommends = [
        s for s in all_sentences if re.search(r"Verwaltung\s+(?:empfiehlt|schlägt)", s.text)
    ]
    for region in part_regions:
        if region.key == "kurzfassung":
            first = sentences(content(region.lines))[:2]
            if first:
                extra = [s for s in recommends if s.text not in {f.text for f in first}][:1]
                return _merge([*first, *extra], "Stellungnahme der Verwaltung")
    if recommends:
        return _merge(recommends[:1], "Stellungnahme der Verwaltung")
    answers = [s for s in all_sentences if not s.text.endswith("?") and len(s.text) > 40]
    return _merge(answers[:1], "Stellungnahme der Verwaltung") if answers else None


def body(part: Part, part_regions: list[Region], *, skip_kurzfassung: bool) -> list[Line]:
    """The lines key points may come from: Kurzfassung and the reasons, without the form;
    in a text of no known layout everything before the first heading too."""
    keys = {"reasons", "opening", "text"} | (set() if skip_kurzfassung else {"kurzfassung"})
    if part.kind == "text":
        keys.add("head")
    return [line for r in part_regions if r.key in keys for line in content(r.lines)]


def betreff(part: Part) -> str:
    """The subject line: on a SessionNet/ALLRIS form the lines between the header fields and
    the consultation table, on a Haushalt motion the line after its DHH number, else the
    document's first line."""
    lines = [line.text for line in part.lines[:16]]
    table = next((i for i, text in enumerate(lines) if is_table_header(text)), None)
    if table is not None:
        title: list[str] = []
        wrapped: list[str] = []
        after_field = False
        for text in lines[1:table]:
            if is_form_line(text):
                after_field = text.startswith("Dienststelle")
                continue
            if after_field and len(text) <= 28:
                wrapped.append(text)  # maybe "Dienststelle: Amt für" / "Stadtentwicklung"
                continue
            after_field = False
            title.append(text)
        if title or wrapped:
            return join_lines(title or wrapped[-1:])
    for i, text in enumerate(lines[:-1]):
        key = line_reference(text, leads=("ANTRAG",))
        if key is not None and key.prefix == BUDGET_MOTION_PREFIX:
            return lines[i + 1]
    first = part.title.lstrip("#").strip()
    if len(first) > 120 or _SENTENCE_END.search(first) or first.endswith((",", ":", ";")):
        return ""  # a sentence, not a title
    return re.sub(r"^(?:Beschlussvorlage|Antrag|Anfrage|Informationsvorlage)\s*:\s*", "", first)
