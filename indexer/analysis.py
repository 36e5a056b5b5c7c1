"""German text analysis shared by the search backends.

The embedded backend does *all* of its analysis here, in Python, and hands tantivy
pre-analysed terms (one whitespace-separated string per field). That keeps indexing and
querying on exactly the same code path, lets us fold umlaut spellings ("Aenderung" =
"Änderung"), split compounds with a vocabulary built from the indexed corpus itself, and
highlight snippets on the *original* text. Azure AI Search analyses with `de.microsoft`
itself; it shares only the reference-number normalisation and the query clean-up.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache

import Stemmer

# Umlauts fold to their two-letter spelling, so "Straße"/"Strasse" and "Änderung"/"Aenderung"
# become the same word before stemming (the Snowball German stemmer then treats both alike).
_COMBINING = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")
# Words: letters and digits; "-" and "/" split words (hyphenated compounds are also joined).
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
WORD_PATTERN = _WORD
_LINE_HYPHEN = re.compile(r"(\w)-[ \t]*\r?\n[ \t]*(\w)")
_SPACE = re.compile(r"\s")

# Small hand-written list of German function words (folded spelling). Not a copy of any
# published list: only words that carry no topic and would bloat the AND of a query.
_STOPWORDS_TEXT = """
    aber alle allem allen aller alles als also am an ander andere anderem anderen anderer
    anderes auch auf aus bei beim bin bis bist bzw da dabei dadurch dafuer daher damit dann
    dar darauf darf darueber das dass dem den denen der deren des dessen dich die dies diese
    diesem diesen dieser dieses dir doch dort du durch ein eine einem einen einer eines einige
    er es etc etwa euch fuer gegen hat hatte hatten hier ich ihm ihn ihnen ihr ihre ihrem ihren
    ihrer im in indem ins ist ja jede jedem jeden jeder jedes jedoch kann kein keine koennen
    man mehr mich mir mit muss nach nicht noch nun nur ob oder ohne sehr sein seine seinem
    seinen seiner sich sie sind so soll sollen sowie ueber um und uns unser unter vom von vor
    war waren was weil welche welchem welchen welcher wenn wer werden wie wieder wir wird
    wo wurde wurden zu zum zur zwar zwischen
"""
STOPWORDS = frozenset(_STOPWORDS_TEXT.split())

MIN_COMPOUND = 8  # only words at least this long are tried as compounds
MIN_PART = 4  # each part at least this long (keeps "rad", "ort", "amt" from splitting words)
_LINKS = ("", "s", "es", "n", "en", "e")  # Fugenelemente dropped from a left part

_stemmer = Stemmer.Stemmer("german")
_stemmer.maxCacheSize = 200_000


def fold(text: str) -> str:
    """Lower-case, umlaut-folded (ä→ae, ß→ss), accent-free spelling of `text`."""
    # casefold() already turns "ß"/"ẞ" into "ss"; str.replace is much faster than translate().
    text = unicodedata.normalize("NFC", text).casefold()
    text = text.replace("ä", "ae").replace("ö", "oe").replace("ü", "ue")
    if text.isascii():
        return text
    return _COMBINING.sub("", unicodedata.normalize("NFKD", text))


def fold_key(value: str) -> str:
    """A filter key: folded and with runs of whitespace collapsed ("Haupt-  Ausschuss")."""
    return " ".join(fold(value).split())


def join_line_hyphens(text: str) -> str:
    """Undo hyphenation at line ends that PDF text extraction leaves ("Instandsetzun-\\ngen")."""
    return _LINE_HYPHEN.sub(r"\1\2", text)


def words(text: str) -> list[str]:
    """Folded words of `text`; hyphenated compounds also yield their joined form."""
    folded = fold(join_line_hyphens(text))
    out = _WORD.findall(folded)
    if "-" in folded:
        out.extend(_joined_hyphenations(folded))
    return out


def _joined_hyphenations(folded: str) -> list[str]:
    """ "radverkehrs-foerderung" -> "radverkehrsfoerderung", found from each "-" outwards
    (a regex over the whole text would retry at every letter)."""
    out = []
    pos = folded.find("-")
    while pos != -1:
        start = pos
        while start > 0 and not folded[start - 1].isspace():
            start -= 1
        space = _SPACE.search(folded, pos)
        end = space.start() if space else len(folded)
        parts = _WORD.findall(folded[start:end])
        if len(parts) > 1:
            out.append("".join(parts))
        pos = folded.find("-", end)
    return out


def normalise_number(word: str) -> str:
    """ "0541" and "541" are the same number in a reference; keep the digits otherwise."""
    if word.isdigit() and len(word) <= 9:
        return str(int(word))
    return word


def stem(word: str) -> str:
    """Snowball German stem of one folded word (numbers are normalised, not stemmed)."""
    if word.isdigit():
        return normalise_number(word)
    return str(_stemmer.stemWord(word))


def stems(text: str) -> list[str]:
    """Stems of the content words of `text`, in order (stopwords dropped)."""
    return stems_of(words(text))


def stems_of(folded_words: list[str]) -> list[str]:
    """Stems of already folded words (from `words`), stopwords dropped."""
    ws = [w for w in folded_words if w not in STOPWORDS]
    return [
        normalise_number(w) if w.isdigit() else s for w, s in zip(ws, _stem_all(ws), strict=True)
    ]


def _stem_all(ws: list[str]) -> list[str]:
    return [str(s) for s in _stemmer.stemWords(ws)]


# ---------------------------------------------------------------- compounds


class Decompounder:
    """Splits German compounds into parts that the corpus itself uses as words.

    `known(stem)` says whether a stem occurs as a word of its own often enough to count as
    vocabulary. We avoid shipping a dictionary (the usable German word lists are GPL); the
    index's own term statistics are the vocabulary, so splitting improves as the corpus grows.
    """

    def __init__(self, known: Callable[[str], bool], cache_size: int = 100_000) -> None:
        self._known = known
        self._cache: dict[str, tuple[str, ...]] = {}
        self._cache_size = cache_size

    def clear(self) -> None:
        self._cache.clear()

    def parts(self, word: str) -> tuple[str, ...]:
        """Stems of the parts of a folded word (empty if it is no known compound)."""
        if len(word) < MIN_COMPOUND or not word.isalpha():
            return ()
        cached = self._cache.get(word)
        if cached is not None:
            return cached
        found = tuple(dict.fromkeys(self._split(word, depth=0)))
        if len(self._cache) >= self._cache_size:
            self._cache.clear()
        self._cache[word] = found
        return found

    def known_parts(self, word: str) -> tuple[str, ...]:
        """Known parts of a compound whose other parts are unknown (surface forms), longest
        first: a looser split for a last-resort query, never for indexing."""
        if len(word) < MIN_COMPOUND or not word.isalpha():
            return ()
        found: list[str] = []
        for i in range(MIN_PART, len(word) - MIN_PART + 1):
            right = word[i:]
            if self._is_word(right):
                found.append(right)
            left_raw = word[:i]
            for link in _LINKS:
                if link and not left_raw.endswith(link):
                    continue
                left = left_raw[: len(left_raw) - len(link)] if link else left_raw
                if self._is_word(left):
                    found.append(left)
                    break
        return tuple(sorted(dict.fromkeys(found), key=len, reverse=True)[:2])

    def _is_word(self, surface: str) -> bool:
        return (
            len(surface) >= MIN_PART
            and surface not in STOPWORDS
            and self._known(cached_stem(surface))
        )

    def _split(self, word: str, depth: int) -> list[str]:
        if depth > 3 or len(word) < 2 * MIN_PART:
            return []
        # The head of a German compound is on the right: prefer the longest known right part.
        for i in range(MIN_PART, len(word) - MIN_PART + 1):
            right = word[i:]
            if not self._is_word(right):
                continue
            left_raw = word[:i]
            for link in _LINKS:
                if link and not left_raw.endswith(link):
                    continue
                left = left_raw[: len(left_raw) - len(link)] if link else left_raw
                if self._is_word(left):
                    out = [cached_stem(left), cached_stem(right)]
                    out += self._split(left, depth + 1)
                    out += self._split(right, depth + 1)
                    return out
        return []


# ---------------------------------------------------------------- reference numbers

# "VO/2025/12345", "2026/0541", "DHH/2026/0012", "2025/0009/1", "Drucksache 2025/123"
REFERENCE = re.compile(
    r"(?<![\w/])(?:(?P<prefix>[A-Za-zÄÖÜäöü]{1,6})\s*/\s*)?"
    r"(?P<year>(?:19|20)\d{2})\s*/\s*(?P<number>\d{1,6})(?:\s*/\s*(?P<sub>\d{1,3}))?(?![\w/])"
)


@dataclass(frozen=True)
class ReferenceKey:
    """A paper reference in comparable form: no zero padding, lower case, "/" separators."""

    prefix: str  # "vo", "dhh" or ""
    core: str  # "2025/12345" or "2025/9/1"
    family: str  # "2025/9" for the base paper and all its amendments

    @property
    def full(self) -> str:
        return f"{self.prefix}/{self.core}" if self.prefix else self.core

    def index_keys(self) -> tuple[str, ...]:
        """What an index stores for exact matching: with and without prefix."""
        return tuple(dict.fromkeys((self.full, self.core)))


def _key_from_match(m: re.Match[str]) -> ReferenceKey:
    prefix = fold(m.group("prefix") or "")
    year, number = m.group("year"), str(int(m.group("number")))
    family = f"{year}/{number}"
    sub = m.group("sub")
    core = f"{family}/{int(sub)}" if sub else family
    return ReferenceKey(prefix=prefix, core=core, family=family)


def reference_key(reference: str) -> ReferenceKey | None:
    """Normalise a reference as typed ("vo/2025/012345", "2026/541") or None if it is none."""
    m = REFERENCE.search(reference.strip())
    return _key_from_match(m) if m else None


# ALLRIS's own row ids (VOLFDNR = Vorlage, SILFDNR = Sitzung, ...): they survive ALLRIS upgrades
# that change every OParl URL, and they are what a pasted ALLRIS web link carries.
ALLRIS_ID = re.compile(r"\b([a-z]{2}lfdnr)=0*(\d{1,12})\b", re.IGNORECASE)


def allris_source_ids(text: str) -> list[str]:
    """ALLRIS row ids in a web link or typed text, normalised: `…vo020.asp?VOLFDNR=01664` ->
    ["VOLFDNR=1664"]."""
    return [f"{key.upper()}={number}" for key, number in ALLRIS_ID.findall(text)]


def find_references(text: str) -> Iterator[tuple[ReferenceKey, tuple[int, int]]]:
    """Every reference-looking span in a query, with its position."""
    for m in REFERENCE.finditer(text):
        yield _key_from_match(m), m.span()


# ---------------------------------------------------------------- queries

MAX_QUERY_WORDS = 32  # a pasted 2,000-character text must not become a 300-clause query


@dataclass(frozen=True)
class QueryWord:
    word: str  # folded surface form
    stem: str


@dataclass(frozen=True)
class ParsedQuery:
    words: tuple[QueryWord, ...]
    references: tuple[ReferenceKey, ...]

    @property
    def empty(self) -> bool:
        return not self.words and not self.references


def parse_query(text: str) -> ParsedQuery:
    """Content words and reference numbers of a query as people type it.

    No query syntax: quotes, colons, brackets, AND/OR are all just text, so no input can make
    the parser fail.
    """
    refs: list[ReferenceKey] = []
    rest = text
    for key, (start, end) in find_references(text):
        refs.append(key)
        rest = rest[:start] + " " * (end - start) + rest[end:]
    seen: dict[str, QueryWord] = {}
    for w in words(rest):
        if w in STOPWORDS:
            continue
        s = stem(w)
        if s and s not in seen:
            seen[s] = QueryWord(word=w, stem=s)
        if len(seen) >= MAX_QUERY_WORDS:
            break
    return ParsedQuery(words=tuple(seen.values()), references=tuple(dict.fromkeys(refs)))


@lru_cache(maxsize=50_000)
def cached_stem(word: str) -> str:
    return stem(word)


_STEM_UMLAUTS = str.maketrans({"ä": "a", "ö": "o", "ü": "u", "ß": "ss"})


def stem_comparable(word: str) -> str:
    """A folded word spelled as stems spell it (the stemmer turns "oe" into "o")."""
    return (
        fold(word.casefold().translate(_STEM_UMLAUTS))
        .replace("ae", "a")
        .replace("oe", "o")
        .replace("ue", "u")
    )
