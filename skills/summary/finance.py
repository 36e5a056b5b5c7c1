"""Finanzielle Auswirkungen: the money fields of the form and the sentences about money.

The SessionNet form prints its fields as lines ("Gesamtkosten: 375.000 Euro"), a value often
on the line below the label ("Jährliche/r Budgetbedarf/Folgekosten:" / "2026: 600.000 Euro"),
and ticks with ☒/☐. Each amount is shown exactly as written, with the label or the sentence
that says what it is for; an amount that is not in the paper never appears.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

from skills.summary.document import Line, Quote, Statement, statement

_FIELD = re.compile(
    r"^(?P<label>Gesamtkosten(?: der Maßnahme)?|Jährliche/?r? Budgetbedarf/Folgekosten|"
    r"Jährliche Folgekosten|Folgekosten|Gesamteinzahlung|Einzahlungen|Jährlicher Ertrag|"
    r"Ertrag \d{4}|Investitionskosten|Sperrvermerk|Verpflichtungsermächtigung|"
    r"(?:Auszahlung|Aufwand|Einzahlung|Ertrag) \(in Euro\))\s*:?\s*(?P<value>.*)$"
)
_STATUS = re.compile(
    r"Finanzielle Auswirkungen\s*:?\s*Ja\s*(?P<yes>[☐☒☑]|\[[ xX]\])\s*Nein\s*(?P<no>[☐☒☑]|\[[ xX]\])"
)
_TICKED = re.compile(r"^(?:☒|☑|\[[xX]\])\s*(?P<option>\S.*)$")
_BOX = re.compile(r"[☐☒☑]|\[[ xX]\]")
_YEARS = re.compile(r"^(?:(?:19|20)\d\d\s*)+$")
AMOUNT = re.compile(
    r"\d[\d.,  ]*\s*(?:€|Euro\b|EUR\b|T€|Mio\.?\s*(?:€|Euro)|Millionen\s+Euro|Mrd\.?\s*(?:€|Euro))"
    r"|(?:€|EUR)\s*\d",
    re.IGNORECASE,
)
_FINANCE_WORD = re.compile(
    r"kosten|mittel|haushalt|finanz|aufwend|aufwand|ertr[aä]g|einnahme|einzahl|auszahl|"
    r"zuschuss|budget|investition|förder|einspar|mehrbedarf|betrag|gebühr|ausgaben|erhöh",
    re.IGNORECASE,
)
_WEIGHTY = re.compile(r"insgesamt|gesamt|in Höhe von|bedarf\b|beträgt|betragen", re.IGNORECASE)
MAX_PROSE = 3
MAX_SENTENCE_CHARS = 420


def _ticked(text: str) -> bool:
    return text in ("☒", "☑") or text.lower() == "[x]"


def form_status(lines: Sequence[Line]) -> tuple[bool | None, Line | None]:
    """(True/False, the line) for "Finanzielle Auswirkungen Ja ☒ Nein ☐"; (None, None) if absent."""
    for line in lines:
        m = _STATUS.search(line.text)
        if m:
            if _ticked(m.group("yes")) != _ticked(m.group("no")):
                return _ticked(m.group("yes")), line
            return None, line
    return None, None


def form_fields(lines: Sequence[Line]) -> list[Statement]:
    """Every money field that has a value, as written ("Gesamtkosten: 375.000 Euro")."""
    out: list[Statement] = []
    i = 0
    while i < len(lines):
        m = _FIELD.match(lines[i].text)
        if not m:
            i += 1
            continue
        used = [lines[i]]
        values = [m.group("value").strip()] if m.group("value").strip() else []
        j = i + 1
        # The value, or the rest of it, wraps onto the next lines ("2026/2027").
        last = i + (1 if values else 3)
        while j < len(lines) and j <= last:
            text = lines[j].text
            if _FIELD.match(text) or _BOX.search(text) or text.startswith("Finanzierung"):
                break
            if not re.search(r"\d", text):
                break
            if not _YEARS.match(text):
                values.append(text)
                used.append(lines[j])
            j += 1
        value = " ".join(values)
        if re.search(r"\d", value):
            label = m.group("label")
            quotes = tuple(Quote(line.page, line.text) for line in used)
            out.append(Statement(f"{label}: {value}", quotes, label))
        i = max(j, i + 1)
    return out


def ticked_options(lines: Sequence[Line]) -> Statement | None:
    """The ticked boxes of the form: investment or consumption, how far it is budgeted."""
    ticked = [line for line in lines if _TICKED.match(line.text)]
    if not ticked:
        return None
    options = [_TICKED.match(line.text).group("option") for line in ticked]  # type: ignore[union-attr]
    quotes = tuple(Quote(line.page, line.text) for line in ticked)
    return Statement("Angekreuzt: " + "; ".join(options), quotes, "Angekreuzt")


_NUMBER = re.compile(r"\d{1,3}(?:[.  ]\d{3})+(?:,\d+)?|\d+(?:,\d+)?")
_SCALE = (("mrd", 1e9), ("mio", 1e6), ("million", 1e6), ("t€", 1e3))


def amount_values(text: str) -> set[str]:
    """The euro amounts of `text` as values ("1,9 Mio. Euro" -> "1900000.00", "19 Euro" ->
    "19.00"), to tell which amounts are shown already and which a source supports."""
    out = set()
    for m in AMOUNT.finditer(text):
        number = _NUMBER.search(m.group(0))
        if number is None:
            continue
        value = float(re.sub(r"[.  ]", "", number.group(0)).replace(",", "."))
        lowered = m.group(0).lower()
        value *= next((factor for unit, factor in _SCALE if unit in lowered), 1.0)
        out.add(f"{value:.2f}")
    return out


def number_values(text: str) -> set[str]:
    """Every number of `text` as a value, for form fields that give no currency."""
    return {
        f"{float(re.sub(r'[.  ]', '', n).replace(',', '.')):.2f}" for n in _NUMBER.findall(text)
    }


def prose(
    candidates: Sequence[Statement], shown: set[str], limit: int = MAX_PROSE
) -> list[Statement]:
    """The best `limit` sentences that put an amount to a purpose, in document order."""
    scored: list[tuple[float, int, Statement]] = []
    for position, s in enumerate(candidates):
        values = amount_values(s.text)
        if not values or values <= shown or len(s.text) > MAX_SENTENCE_CHARS:
            continue
        words = s.text.split()
        numeric = sum(any(c.isdigit() for c in w) for w in words) / max(len(words), 1)
        if numeric > 0.35 or not _FINANCE_WORD.search(s.text):
            continue  # a table row flattened into a "sentence", or money that is background
        # Large sums are what a council decides on; a price per hour is background.
        largest = max(float(v) for v in values)
        score = (
            len(_FINANCE_WORD.findall(s.text))
            + 2 * bool(_WEIGHTY.search(s.text))
            + math.log10(max(largest, 1)) / 2
        )
        scored.append((score - position / 100, position, s))
    chosen: list[tuple[int, Statement]] = []
    for _score, position, s in sorted(scored, key=lambda item: -item[0]):
        values = amount_values(s.text)
        if values <= shown:
            continue
        chosen.append((position, s))
        shown |= values
        if len(chosen) == limit:
            break
    return [s for _position, s in sorted(chosen, key=lambda item: item[0])]


def no_impact(line: Line) -> Statement:
    return statement([line], text="Laut Formular keine finanziellen Auswirkungen", label="Formular")
