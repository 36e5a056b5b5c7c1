"""The Beratungsfolge (which body decides when, in public or not) and deadlines in the text.

SessionNet/ALLRIS forms print the consultation as a table under "Gremien Termin TOP Ö / N
Zuständigkeit"; a long body name wraps onto lines of its own before the row that carries the
date ("Betriebsausschuss Eigenbetrieb" / "Abfallwirtschaft und Stadtreinigung" /
"17.07.2026 3 N Vorberatung"). Lübeck-style papers list it under a "Beratungsfolge" heading,
one body and date per line.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from skills.summary.document import Line, Statement, join_lines, statement

_TABLE_HEADER = re.compile(r"^Gremi(?:en|um)\s+(?:Termin|Datum|Sitzung)\b", re.IGNORECASE)
_ROW = re.compile(
    r"^(?P<body>.*?)\s*(?P<date>\d{1,2}\.\d{1,2}\.\d{4})(?:\s+(?P<top>\d+(?:\.\d+)*))?"
    r"\s+(?P<public>Ö|N|NÖ|ö|nö)\s+(?P<role>[A-ZÄÖÜ][\wäöüß/-]*)$"
)
_MONTHS = "Januar|Februar|März|April|Mai|Juni|Juli|August|September|Oktober|November|Dezember"
DATE = re.compile(
    rf"\b\d{{1,2}}\.\s?\d{{1,2}}\.\s?\d{{4}}\b|\b\d{{1,2}}\.\s(?:{_MONTHS})\s\d{{4}}\b"
    rf"|\b(?:{_MONTHS})\s\d{{4}}\b|\b[1-4]\.\s?Quartal\s\d{{4}}\b"
)
GREMIUM = re.compile(
    r"ausschuss|bürgerschaft|gemeinderat|\brat\b|beirat|senat|ortsrat|ortschaftsrat|kommission|"
    r"kreistag|stadtrat|bezirks",
    re.IGNORECASE,
)
_DEADLINE = re.compile(
    r"\bbis\s+(?:zum|spätestens|Ende)\b|\bbis\s+\d|\bFrist|\bspätestens\b|\bab\s+dem\b|\bStichtag|"
    r"\bin\s+Kraft\b|\bzum\s+\d|\bAblauf\b|\bBaubeginn|\bFertigstellung|\bgilt\s+derzeit\s+bis\b|"
    r"\bvorgelegt\s+werden\b|\bvorzulegen\b|\bzu\s+berichten\b",
    re.IGNORECASE,
)
_PUBLIC = {"Ö": "öffentlich", "ö": "öffentlich", "N": "nicht öffentlich", "NÖ": "nicht öffentlich"}
MAX_DEADLINES = 3


def is_table_header(text: str) -> bool:
    return bool(_TABLE_HEADER.match(text))


def table_end(lines: Sequence[Line], header: int) -> int:
    """Index of the first line after the consultation table that starts at `header`."""
    j = header + 1
    while j < len(lines):
        if _ROW.match(lines[j].text):
            j += 1
            continue
        # A wrapped body name: short, no digits, and a row follows within two lines.
        ahead = lines[j : j + 3]
        if (
            len(lines[j].text) <= 60
            and not re.search(r"\d", lines[j].text)
            and any(_ROW.match(a.text) for a in ahead[1:])
        ):
            j += 1
            continue
        break
    return j


def table_rows(lines: Sequence[Line]) -> list[Statement]:
    """One statement per consultation: "Gemeinderat 23.06.2026 (Entscheidung, öffentlich, TOP 17)"."""
    out: list[Statement] = []
    prefix: list[Line] = []
    for line in lines:
        if is_table_header(line.text):
            continue
        row = _ROW.match(line.text)
        if not row:
            prefix.append(line)
            continue
        body = join_lines([p.text for p in prefix] + [row.group("body")]).strip()
        details = [row.group("role"), _PUBLIC.get(row.group("public"), row.group("public"))]
        if row.group("top"):
            details.append(f"TOP {row.group('top')}")
        text = f"{body} {row.group('date')} ({', '.join(details)})".strip()
        out.append(statement([*prefix, line], text=text, label=body))
        prefix = []
    return out


def listed_rows(lines: Sequence[Line]) -> list[Statement]:
    """Lines under a "Beratungsfolge" heading that name a body and a date."""
    out: list[Statement] = []
    for line in lines:
        text = line.text.lstrip("-*•– ").strip()
        if DATE.search(text) and GREMIUM.search(text) and len(text) <= 160:
            out.append(statement([line], text=text))
        elif out:
            break
    return out


def deadlines(candidates: Sequence[Statement], known: set[str]) -> list[Statement]:
    """Sentences that set a date for something ("tritt zum 1. September 2026 in Kraft")."""
    out: list[Statement] = []
    for s in candidates:
        dates = set(DATE.findall(s.text))
        if not dates or dates <= known or not _DEADLINE.search(s.text) or s.text.endswith("?"):
            continue
        if len(s.text) > 320:
            continue  # a long sentence is no deadline line; its date stays in the paper
        out.append(s)
        known |= dates
        if len(out) == MAX_DEADLINES:
            break
    return out
