"""Council papers as the reader should see them: the sentences, not the PDF's furniture.

A council paper's extracted text runs form fields into its prose: the checkbox block of a
Vorlage ("Finanzielle Auswirkungen Ja [ ] Nein [x] … abgestimmt mit") glues onto the first
sentence of the "Erläuterungen" below it, header fields ("Vorlage Nr.:", "Gremien Termin TOP",
the index's "Datum:"/"Beratungsfolge:" lines) onto the title, a page header ("5 | Stadt
Karlsruhe | Forstamt | …") onto the text it interrupts, and a protocol's speaker turns onto the
result line before them. Sentence splitting then sees one long run that shares many of any
question's words, and quotes it. `readable` drops checkbox lines and sets the other furniture
apart as its own blocks (a blank line ends a sentence, skills/german.py `split_sentences`); the
words of the prose are unchanged, so a quoted sentence stands in the paper as written.

Results are the exception that gets one character more. A protocol writes its vote as a line
without a final full stop ("Abstimmungsergebnis: Mehrheitlich abgelehnt (7 Ja, 38 Nein)"),
often run into the chair's next words, and the overview lists each consultation's result the
same way ("- Gemeinderat 21.11.2023 (Entscheidung): mehrheitlich abgelehnt"); the reader
takes a short line without a full stop for a heading and never quotes it. Such a result is set
apart as a sentence of its own and ends with a full stop, and so does the decision text a
protocol puts right before its result ("Beschluss: Kenntnisnahme von der Vorlage"). Likewise
a list of bulleted items without full stops under a lead-in that ends with a colon ("… die
Schließzeiten wie folgt festzulegen:" • "Sommerferienwoche 3, …") is read as one sentence,
the items joined with semicolons: alone, each item would be a heading.

A budget statement's table row ("Aufwand (in Euro) 2024 2025 2026 2027 2028 50.000 50.000
50.000 50.000 50.000", the extraction has run the column heads and the values into one line)
is read as "Aufwand (in Euro): 50.000 (2024), 50.000 (2025), …" when the row has exactly one
value per year, so each amount stands beside its year. With fewer values than years (a
motion's form: "Art 2024 2025 2026 2027 2028 … Transferaufwendungen 50.000 50.000", the empty
cells lost) the year of a value cannot be told and the row stays as extracted. On the
Karlsruhe corpus's 8,626 texts: 268 year-headed rows with one value per year, 310 with a
different count (bench: docs/skills.md).
"""

from __future__ import annotations

import itertools
import re

# A form line: a checkbox, ticked or not, as the extractor writes it (indexer/chunking.py).
_CHECKBOX = re.compile(r"\[[ xX]\]|[☐☒☑]")
# Header and metadata fields, the table head of the consultation list, a page header.
_FURNITURE = re.compile(
    r"^(?:Vorlage\s+Nr\.|Verantwortlich:|Dienststelle:|Eingang:|Gremien\s+Termin\s+TOP|"
    r"Gremium\s+Termin\s+TOP|Datum:|Federführend:|Beratungsfolge:|Dokumente:|Eingereicht von:|"
    r"Unterzeichnet von:|Gedruckt auf|Seite\s+-?\s*\d|\d+\s*\|.*\|)",
    re.IGNORECASE,
)
# A speaker's turn in a protocol ("Der Vorsitzende:", "Stadträtin Müller (SPD):").
_SPEAKER = re.compile(
    r"^(?:(?:Der|Die)\s+Vorsitzende|(?:Stadtr(?:at|ätin)|Bürgermeister(?:in)?|"
    r"Oberbürgermeister(?:in)?)\s+[^:]{1,60})\s*:"
)
# A protocol's vote: "Abstimmungsergebnis:" and the result after it, up to a blank line or the
# protocol's next part (the chair's words, a speaker, the signature), whichever comes first.
_RESULT = re.compile(r"\bAbstimmungsergebnis:[ \t]*")
_RESULT_END = re.compile(
    r"\n[ \t]*\n|\s(?=(?:Der|Die)\s+Vorsitzende\b|(?:Erste[rn]?\s+)?(?:Ober)?[Bb]ürgermeister"
    r"(?:in)?\s|Zur\s+Beurkundung\b|Stadtr(?:at|ätin)\s|Ich\s+rufe\b)"
)
_MAX_RESULT = 300  # a result runs a few lines at most; longer is no result line
# A consultation with its result in the index's overview ("- Gemeinderat 21.11.2023
# (Entscheidung): mehrheitlich abgelehnt").
_CONSULTATION_RESULT = re.compile(r"^\s*-\s+[^\n]*\([^()\n]+\):\s*\S[^\n]*$")
_ENDS_SENTENCE = (".", "!", "?", ":", ";")
# A bulleted item as the extractor writes it.
_BULLET = re.compile(r"^\s*(?:[•▪◦●*−–]|-(?=\s))\s*(?=\S)")
_MAX_ITEMS = 12
_MAX_LIST = 500  # the items' length; a longer run is no short list


# A budget row: its label (a capitalised word, maybe with a unit in brackets), two to nine
# consecutive years, and the values. Numbers as a budget writes them: "50.000", "-100.000",
# "1,0", "0".
_YEARS = r"(?:(?:19|20)\d\d\s+){1,8}(?:19|20)\d\d"
_VALUE = r"-?\d{1,3}(?:\.\d{3}){1,4}(?:,\d{1,4})?|-?\d{1,9},\d{1,4}|-?\d{1,3}(?![\d.,])"
_TWO_YEARS = re.compile(r"\b(?:19|20)\d\d\s+(?:19|20)\d\d\b")
_BUDGET_ROW = re.compile(
    rf"(?P<label>(?-i:[A-ZÄÖÜ])[\wäöüß/.-]{{0,60}}(?:\s+\([^()\n]{{1,30}}\))?)\s+(?P<years>{_YEARS})"
    rf"\s+(?P<values>(?:(?:{_VALUE})\s+){{1,8}}(?:{_VALUE}))(?=\s|$)"
)


def readable(text: str) -> str:
    """`text` without checkbox lines, with header fields, page headers and speaker turns set
    apart as blocks of their own, and results, listed items and budget rows as sentences."""
    out: list[str] = []
    for line in _with_lists(_with_budget_rows(_with_results(text)).split("\n")):
        stripped = line.strip()
        if _CHECKBOX.search(stripped):
            out.append("")
        elif _CONSULTATION_RESULT.match(line):
            out.extend(["", _full_stop(stripped), ""])
        elif _FURNITURE.match(stripped):
            out.extend(["", line, ""])
        elif _SPEAKER.match(stripped):
            out.extend(["", line])
        else:
            out.append(line)
    return re.sub(r"\n{3,}", "\n\n", "\n".join(out)).strip("\n")


def _with_results(text: str) -> str:
    """Each "Abstimmungsergebnis: …" as a sentence of its own (and the text before it ended)."""
    pieces: list[str] = []
    at = 0
    for found in _RESULT.finditer(text):
        if found.start() < at:
            continue  # inside the result before it
        rest = text[found.end() : found.end() + _MAX_RESULT + 1]
        end = _RESULT_END.search(rest)
        result = " ".join((rest[: end.start()] if end else rest).split())
        if not result or len(result) > _MAX_RESULT:
            continue
        before = text[at : found.start()].rstrip()
        pieces.append(_full_stop(before) if before.strip() else before)
        pieces.append(f"\n\nAbstimmungsergebnis: {_full_stop(result)}\n\n")
        at = found.end() + (end.end() if end else len(rest))
    pieces.append(text[at:])
    return "".join(pieces)


def _with_budget_rows(text: str) -> str:
    """Each budget row with one value per consecutive year as a sentence of its own:
    "Aufwand (in Euro): 50.000 (2024), 50.000 (2025)."; other rows unchanged."""
    if _TWO_YEARS.search(text) is None:
        return text  # most passages: no table head of years (half the cost of the pattern)

    def row(m: re.Match[str]) -> str:
        years = m.group("years").split()
        values = re.findall(_VALUE, m.group("values"))
        consecutive = all(int(b) - int(a) == 1 for a, b in itertools.pairwise(years))
        if len(values) != len(years) or not consecutive:
            return m.group(0)
        pairs = ", ".join(f"{v} ({y})" for v, y in zip(values, years, strict=True))
        return f"\n\n{m.group('label')}: {pairs}.\n\n"

    return _BUDGET_ROW.sub(row, text)


def _with_lists(lines: list[str]) -> list[str]:
    """A lead-in that ends with a colon and the bulleted items below it as one sentence, when
    the items are no sentences themselves ("… wie folgt festzulegen: • Weihnachtsferienwoche 1
    • Sommerferienwoche 3, Sommerferienwoche 4" -> "… festzulegen: Weihnachtsferienwoche 1;
    Sommerferienwoche 3, Sommerferienwoche 4.")."""
    out: list[str] = []
    k = 0
    while k < len(lines):
        line = lines[k]
        items: list[str] = []
        if line.rstrip().endswith(":") and not _FURNITURE.match(line.strip()):
            for following in lines[k + 1 : k + 1 + _MAX_ITEMS]:
                bullet = _BULLET.match(following)
                if not bullet:
                    break
                items.append(following[bullet.end() :].strip())
        listed = "; ".join(items)
        if items and len(listed) <= _MAX_LIST and not all(i.endswith(".") for i in items):
            joined = f"{line.strip()} {listed}"
            out.extend([_full_stop(joined), ""])  # the lead-in may begin on lines above
            k += 1 + len(items)
        else:
            out.append(line)
            k += 1
    return out


def _full_stop(text: str) -> str:
    return text if text.rstrip("“”\"'»«)").endswith(_ENDS_SENTENCE) else f"{text}."
