"""German text helpers the skills share: sentence splitting, content terms, language.

Folding, stemming, stop words and the everyday-words vocabulary come from the one analysis
module, indexer/analysis.py, so the index, the relevance gate, the extractive generator and
the query parser agree on what a "term" is.
"""

from __future__ import annotations

import re

from indexer.analysis import QUESTION_WORDS, fold
from indexer.analysis import STOPWORDS as FUNCTION_WORDS
from indexer.chunking import join_broken_words
from indexer.verbs import match_stem

# Function words and question words that say nothing about the topic of a question (folded
# spelling: "für" is "fuer"). The one list lives in indexer/analysis.py.
STOPWORDS = FUNCTION_WORDS | QUESTION_WORDS


def is_stopword(token: str) -> bool:
    return fold(token) in STOPWORDS


_WORD = re.compile(r"[0-9A-Za-zÄÖÜäöüß][0-9A-Za-zÄÖÜäöüß\-]*")

# Abbreviations whose trailing dot does not end a sentence.
_ABBREVIATIONS = frozenset(
    [
        "abs",
        "art",
        "bzw",
        "ca",
        "dr",
        "evtl",
        "ggf",
        "gem",
        "inkl",
        "max",
        "min",
        "mio",
        "mrd",
        "nr",
        "prof",
        "str",
        "tel",
        "vgl",
        "zzgl",
        "sog",
        "usw",
        "zb",
        "dh",
        "bzgl",
        "lt",
        "geb",
        "jan",
        "feb",
        "mär",
        "apr",
        "jun",
        "jul",
        "aug",
        "sep",
        "sept",
        "okt",
        "nov",
        "dez",
        "ziff",
        "lfd",
        "ff",
        "hr",
        "fr",
        "st",
        "pkt",
    ]
)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"„»(]?[A-ZÄÖÜ0-9§])")
# Within one line ([^\S\n]: whitespace but the line break): `^\s*` ran across every following
# blank line from every line start, quadratic in a run of empty lines.
_PAGE_MARKER = re.compile(
    r"^[^\S\n]*--[^\S\n]*\d+[^\S\n]+of[^\S\n]+\d+[^\S\n]*--[^\S\n]*$"
    r"|^[^\S\n]*–[^\S\n]*\d+[^\S\n]*–[^\S\n]*$",
    re.MULTILINE,
)


def tokens(text: str) -> list[str]:
    """Lower-cased word tokens; hyphenated compounds also yield their parts."""
    out: list[str] = []
    for match in _WORD.finditer(text):
        word = match.group(0).strip("-").lower()
        if not word:
            continue
        out.append(word)
        if "-" in word:
            out.extend(part for part in word.split("-") if part)
    return out


def stem(word: str) -> str:
    """The stem skills compare words by (indexer.verbs.match_stem: folded, participles
    turned into their verb, Snowball German)."""
    return match_stem(word)


def content_stems(text: str) -> set[str]:
    """Stems of the words that carry meaning (no stop words, no single letters).

    Hyphenated compounds count by their parts ("KI-Schulung" -> ki, schul), so "KI-Schulung"
    in a question matches "Schulung" in a rule.
    """
    return {stem(t) for t in tokens(text) if not is_stopword(t) and len(t) > 1 and "-" not in t}


def clean_extracted(text: str) -> str:
    """Undo PDF extraction artefacts: page markers, hyphenated line breaks, hard line wraps."""
    text = _PAGE_MARKER.sub("\n", text)
    text = join_broken_words(text)  # the index's rule: "Haupt-\nund" stays two words
    text = re.sub(r"[ \t]+", " ", text)
    return text


def _ends_with_abbreviation(fragment: str) -> bool:
    last = fragment.rstrip(".").rsplit(maxsplit=1)
    if not last:
        return False
    word = last[-1].lower().replace(".", "").strip("„“\"'»«(")
    # "z. B.", "d. h.", single letters and ordinals ("1.", "3. März") never end a sentence.
    return word in _ABBREVIATIONS or len(word) == 1 or (word.isdigit() and len(word) <= 2)


def split_sentences(text: str) -> list[str]:
    """German sentence splitting that survives abbreviations, dates and PDF line wraps.

    Blank lines and headings (short lines without a final dot) end a sentence too, so a
    heading like "§ 4 Datenschutz" does not glue onto the first sentence below it.
    """
    sentences: list[str] = []
    for block in re.split(r"\n\s*\n", clean_extracted(text)):
        lines = [line.strip() for line in block.split("\n") if line.strip()]
        buffer: list[str] = []
        for line in lines:
            is_heading = (
                len(line) < 60
                and not line.endswith((".", ",", ";", ":", "-"))  # "Haupt-" goes on
                and (line.startswith(("#", "§")) or not buffer)
            )
            if line.startswith(("#", "- ", "* ", "• ")) or is_heading:
                if buffer:
                    sentences.extend(_split_run(" ".join(buffer)))
                    buffer = []
                sentences.extend(_split_run(line.lstrip("#*•- ").strip()))
                continue
            buffer.append(line)
        if buffer:
            sentences.extend(_split_run(" ".join(buffer)))
    return [s for s in sentences if s]


def _split_run(run: str) -> list[str]:
    pieces = _SENTENCE_END.split(run)
    out: list[str] = []
    for piece in pieces:
        if out and _ends_with_abbreviation(out[-1]):
            out[-1] = f"{out[-1]} {piece}"
        else:
            out.append(piece)
    return [p.strip() for p in out if p.strip()]


_ENGLISH_MARKERS = frozenset(
    [
        "the",
        "is",
        "are",
        "what",
        "who",
        "how",
        "when",
        "which",
        "may",
        "can",
        "does",
        "do",
        "i",
        "my",
        "should",
        "must",
        "allowed",
        "valid",
        "need",
        "whom",
        "where",
        "why",
    ]
)
_GERMAN_MARKERS = frozenset(
    [
        "der",
        "die",
        "das",
        "ist",
        "sind",
        "was",
        "wer",
        "wie",
        "wann",
        "welche",
        "darf",
        "dürfen",
        "ich",
        "mein",
        "muss",
        "und",
        "nicht",
        "ein",
        "eine",
        "für",
        "mit",
        "wo",
        "warum",
    ]
)


def detect_language(text: str) -> str:
    """'en' when the text reads as English, else 'de' (the default for the city's users)."""
    words = [t for t in tokens(text)]
    english = sum(1 for w in words if w in _ENGLISH_MARKERS)
    german = sum(1 for w in words if w in _GERMAN_MARKERS) + sum(
        1 for ch in text if ch in "äöüßÄÖÜ"
    )
    return "en" if english >= 2 and english > german else "de"


# English words of questions about the city's AI rules -> the German terms the documents use.
# Lets an English question find German passages (retrieval and extractive scoring).
_EN_DE = {
    "personal": "personenbezogene",
    "data": "Daten",
    "privacy": "Datenschutz",
    "pass": "KI-Pass",
    "ai": "KI",
    "artificial": "KI",
    "intelligence": "KI",
    "valid": "gültig Gültigkeit",
    "validity": "Gültigkeit",
    "expire": "gültig Gültigkeit",
    "expires": "gültig Gültigkeit",
    "training": "Schulung",
    "course": "Schulung",
    "approve": "zustimmen Zustimmung",
    "approval": "Zustimmung",
    "consent": "Zustimmung",
    "application": "Anwendung",
    "applications": "Anwendungen",
    "tool": "Anwendung Werkzeug",
    "tools": "Anwendungen Werkzeuge",
    "new": "neue",
    "staff": "Beschäftigte",
    "employees": "Beschäftigte",
    "employee": "Beschäftigte",
    "council": "Personalrat",
    "works": "Personalrat",
    "monitoring": "Leistungskontrolle Überwachung",
    "performance": "Leistungskontrolle",
    "control": "Kontrolle",
    "label": "kennzeichnen Kennzeichnung",
    "labelled": "kennzeichnen Kennzeichnung",
    "mark": "kennzeichnen",
    "generated": "erzeugt generiert",
    "texts": "Texte",
    "text": "Text",
    "responsible": "verantwortlich Verantwortung",
    "responsibility": "Verantwortung",
    "check": "prüfen",
    "results": "Ergebnisse",
    "output": "Ergebnisse",
    "decision": "Entscheidung",
    "decisions": "Entscheidungen",
    "automated": "automatisiert",
    "chatgpt": "ChatGPT",
    "copilot": "Copilot",
    "enter": "eingeben",
    "upload": "hochladen eingeben",
    "confidential": "vertraulich",
    "documents": "Dokumente Unterlagen",
    "how": "",
    "long": "lange",
    "who": "",
    "whom": "",
    "contact": "Ansprechpartner",
    "report": "melden",
    "incident": "Vorfall",
    "incidents": "Vorfälle",
    "register": "Verzeichnis",
    "inventory": "Verzeichnis",
    "evaluation": "Evaluierung",
    "review": "Evaluierung überprüfen",
    "years": "Jahre",
    "year": "Jahr",
    "months": "Monate",
    "sign": "unterzeichnen",
    "bring": "",
    "own": "eigene",
    "private": "private",
    "devices": "Geräte",
    "device": "Gerät",
    "images": "Bilder",
    "citizens": "Bürgerinnen Bürger",
    "transparency": "Transparenz",
    "workshop": "Werkstatt",
}


def search_terms(question: str, language: str) -> str:
    """What retrieval and sentence scoring look for: German words for the question's topic.
    Everyday words stay as typed; the index and the reader add the administrative words they
    stand for (indexer/vocabulary.yaml)."""
    return expand_english(question) if language == "en" else question


def expand_english(text: str) -> str:
    """English words replaced by their German equivalents (names like "KI-Pass" stay)."""

    def german(match: re.Match[str]) -> str:
        word = match.group(0)
        lowered = word.lower()
        if lowered in _EN_DE:
            return _EN_DE[lowered]
        return "" if is_stopword(lowered) else word

    return re.sub(r"\s+", " ", _WORD.sub(german, text)).strip()


def matched_terms(query: set[str] | frozenset[str], stems: set[str] | frozenset[str]) -> set[str]:
    """Query stems found in `stems`: exactly, as a prefix ("verlang" ~ "verlanger", from 5
    letters) or as the head of a compound ("meld" ~ "anmeld", "schul" ~ "grundschul")."""
    found = set(query & stems)
    for term in query - found:
        if len(term) >= 4 and any(
            (len(term) >= 5 and len(s) >= 5 and (s.startswith(term) or term.startswith(s)))
            or s.endswith(term)
            for s in stems
        ):
            found.add(term)
    return found
