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
"""

from __future__ import annotations

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


def readable(text: str) -> str:
    """`text` without checkbox lines, with header fields, page headers and speaker turns set
    apart as blocks of their own."""
    out: list[str] = []
    for line in text.split("\n"):
        stripped = line.strip()
        if _CHECKBOX.search(stripped):
            out.append("")
        elif _FURNITURE.match(stripped):
            out.extend(["", line, ""])
        elif _SPEAKER.match(stripped):
            out.extend(["", line])
        else:
            out.append(line)
    return re.sub(r"\n{3,}", "\n\n", "\n".join(out)).strip("\n")
