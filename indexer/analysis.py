"""The one German analysis module: shared by the search backends and the skills.

The embedded backend does *all* of its analysis here, in Python, and hands tantivy
pre-analysed terms (one whitespace-separated string per field). That keeps indexing and
querying on exactly the same code path, lets us fold umlaut spellings ("Aenderung" =
"Änderung"), split compounds with a vocabulary built from the indexed corpus itself, and
highlight snippets on the *original* text. Azure AI Search analyses with `de.microsoft`
itself; it shares the reference-number normalisation, the query clean-up and the vocabulary.

The skills (skills/german.py, skills/reader/) use the same folding, stemmer and stop words;
`match_stem` adds what reading a question needs on top of the index's `stem` (participles of
separable and strong verbs), and `QUESTION_WORDS` the words that shape a question but name no
topic. The index keeps `stem` unchanged, so indexes built before stay valid.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import Stemmer
import yaml

# Reference numbers and ALLRIS row ids have one parser, kiw_common.references; the index
# backends have always imported them from here.
from kiw_common.references import ALLRIS_ID as ALLRIS_ID
from kiw_common.references import WRITTEN_REFERENCE
from kiw_common.references import ReferenceKey as ReferenceKey
from kiw_common.references import allris_source_ids as allris_source_ids
from kiw_common.references import find_references as find_references
from kiw_common.references import reference_key as reference_key

REFERENCE = WRITTEN_REFERENCE

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

# Words that shape a question (what kind of answer it wants, who asks) but name no topic,
# and a few more function words. Dropped, on top of STOPWORDS, when questions and passages are
# matched; the index keeps them, so indexes built before this list stay valid.
_QUESTION_WORDS_TEXT = """
    wann warum wieso weshalb wozu wofuer woher wohin wem wen womit wovon worueber wieviel
    wieviele viel viele vielen lange lang oft haeufig schnell hoch frueh weit teuer gross
    darf darfst duerfen duerfte muss musst muessen kann kannst koennen koennte soll sollte
    sollten will wollen moechte moechten gilt gelten gibt gibts geben passiert passieren
    geschieht braucht brauche brauch benoetige mache machen macht tun bitte gerne eigentlich
    genau mal ca usw steht stehen regelt regeln geregelt bin bist sein habe haben hatte
    waere wuerde wuerden ueberhaupt einfach schon bereits jemand etwas ihr euer mein meine
    meinen meinem meiner unsere unserer unseren frau herr herrn dr prof bekomme bekommen
    kriege krieg kriegen erhalte erhalten sehe sehen finde finden wo welche welcher welches
    welchen welchem ja nein sofort z b d h
    dagegen daran daraus darin dein deine denn einig einmal eure gewesen hin hinter ihres jetzt
    keinem keinen keiner keines manche nichts seit solche sondern sonst waehrend weg werde
    wirst wollte ab dauert dauern dauer zaehlt zaehlen findet statt erfolgt erfolgen heisst
    heissen nennt nennen kostet koste wegen bevor ganz geht kommt kommen sagt lassen lasse
    the a an of to in is are and or for on with what who how when which may can does do i
    my me we be by it this that at as from should must there any about into onto than then
    your our their have has had get got will would could where whom why
"""
QUESTION_WORDS = frozenset(_QUESTION_WORDS_TEXT.split())

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


# ---------------------------------------------------------------- verb forms (reading questions)

# Separable particles: "eingereicht" / "reicht … ein" / "einreichen" are one verb.
SEPARABLE_PARTICLES = frozenset(
    [
        "ab",
        "an",
        "auf",
        "aus",
        "bei",
        "dazu",
        "ein",
        "fest",
        "frei",
        "heraus",
        "hin",
        "hinzu",
        "hoch",
        "los",
        "mit",
        "nach",
        "statt",
        "vor",
        "voraus",
        "weg",
        "weiter",
        "zu",
        "zurueck",
        "zusammen",
    ]
)
# Weak participles only ("eingereicht"); "-en" forms are ambiguous ("eingehen" is an
# infinitive) and strong participles go through the table below.
_PARTICIPLE = re.compile(
    r"^(" + "|".join(sorted(SEPARABLE_PARTICLES, key=len, reverse=True)) + r")ge([a-z]{3,}t)$"
)
# "vorzulegen", "einzureichen": the infinitive with "zu" of a separable verb ("-enden" left
# alone: "Auszubildenden" is a noun).
_ZU_INFINITIVE = re.compile(
    r"^("
    + "|".join(sorted(SEPARABLE_PARTICLES, key=len, reverse=True))
    + r")zu([a-z]{3,}(?<!end)en)$"
)
# Participles of strong verbs a city's rules use, to the verb's stem ("geschlossen" ->
# "schliess"), so "abgeschlossen" meets "schließt … ab" and "Abschluss".
_STRONG_PARTICIPLES = {
    "geschlossen": "schliessen",
    "gegeben": "geben",
    "genommen": "nehmen",
    "gezogen": "ziehen",
    "getroffen": "treffen",
    "geschrieben": "schreiben",
    "gegangen": "gehen",
    "gewiesen": "weisen",
    "gefunden": "finden",
    "gehalten": "halten",
    "gelassen": "lassen",
    "getragen": "tragen",
    "gesprochen": "sprechen",
    "gestanden": "stehen",
    "gewesen": "sein",
    "geworden": "werden",
    "geboten": "bieten",
    "verboten": "verbieten",
    "entschieden": "entscheiden",
    "beschlossen": "beschliessen",
    "vorgeschlagen": "vorschlagen",
    "gelesen": "lesen",
    "gesehen": "sehen",
    "erhalten": "erhalten",
    "gerufen": "rufen",
    "angeboten": "anbieten",
    "eingegangen": "eingehen",
    "aufgenommen": "aufnehmen",
    "ausgenommen": "ausnehmen",
    "abgenommen": "abnehmen",
    "vorgelegen": "vorliegen",
}


@lru_cache(maxsize=100_000)
def match_stem(word: str) -> str:
    """The stem under which a question word and a passage word are compared: the index's
    `stem`, after participles are turned into their verb ("freigeschaltet" -> "freischalt",
    "abgeschlossen" -> "abschliess", "eingereicht" -> "einreicht" ~ "einreich")."""
    folded = fold(word)
    strong = _STRONG_PARTICIPLES.get(folded)
    if strong is None:
        for particle in SEPARABLE_PARTICLES:
            rest = folded[len(particle) :]
            if folded.startswith(particle) and rest in _STRONG_PARTICIPLES:
                strong = particle + _STRONG_PARTICIPLES[rest]
                break
    if strong is not None:
        return stem(strong)
    return stem(_ZU_INFINITIVE.sub(r"\1\2", _PARTICIPLE.sub(r"\1\2", folded)))


# ---------------------------------------------------------------- everyday words


VOCABULARY_FILE = Path(__file__).with_name("vocabulary.yaml")


@dataclass(frozen=True)
class Vocabulary:
    """Everyday words -> the administrative words documents use (vocabulary.yaml).

    `alternatives(words, i)` gives, for the folded word at position i (or the two-word phrase
    starting there), each administrative term as a tuple of stems (all must match)."""

    single: dict[str, tuple[tuple[str, ...], ...]]
    phrases: dict[tuple[str, str], tuple[tuple[str, ...], ...]]
    written: dict[str, tuple[str, ...]]  # folded everyday word -> its terms as written

    by_stem: dict[str, str]  # stem of an everyday word -> the word as keyed (other forms)

    def alternatives(self, folded_words: list[str], i: int) -> tuple[tuple[str, ...], ...]:
        out = self.single.get(self._key(folded_words[i]), ())
        if i + 1 < len(folded_words):
            out += self.phrases.get((folded_words[i], folded_words[i + 1]), ())
        return out

    def terms_of(self, word: str) -> tuple[str, ...]:
        """The administrative words (as written in the file) for one everyday word."""
        return self.written.get(self._key(fold(word)), ())

    def _key(self, folded_word: str) -> str:
        # An entry stands for the word's other forms too: "benutze", "benutzt" ~ "benutzen".
        if folded_word in self.single or len(folded_word) < 4:
            return folded_word
        # Inflection endings the stemmer does not always take off ("benutzt", "Problemen":
        # stem("problemen") is "problem", stem("problem") "probl").
        forms = [folded_word] + [
            folded_word[: -len(e)]
            for e in ("en", "es", "er", "st", "e", "n", "s", "t")
            if folded_word.endswith(e) and len(folded_word) - len(e) >= 4
        ]
        for form in forms:
            if form in self.single:
                return form
        for form in forms:
            key = self.by_stem.get(stem(form))
            if key is not None:
                return key
        return folded_word


@lru_cache(maxsize=1)
def vocabulary() -> Vocabulary:
    raw = yaml.safe_load(VOCABULARY_FILE.read_text(encoding="utf-8")) or {}
    single: dict[str, tuple[tuple[str, ...], ...]] = {}
    phrases: dict[tuple[str, str], tuple[tuple[str, ...], ...]] = {}
    written: dict[str, tuple[str, ...]] = {}
    for key, values in raw.items():
        terms = tuple(
            tuple(dict.fromkeys(stem(w) for w in _WORD.findall(fold(str(v))) if w not in STOPWORDS))
            for v in values
        )
        terms = tuple(t for t in terms if t)
        key_words = words(str(key))
        if len(key_words) > 1 and "-" not in str(key):
            phrases[(key_words[0], key_words[1])] = terms
        else:
            single[fold(str(key))] = terms
            written[fold(str(key))] = tuple(str(v) for v in values)
    by_stem: dict[str, str] = {}
    for key in single:
        if len(key) >= 4:
            by_stem.setdefault(stem(key), key)
    return Vocabulary(single=single, phrases=phrases, written=written, by_stem=by_stem)


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


# ---------------------------------------------------------------- queries

MAX_QUERY_WORDS = 32  # a pasted 2,000-character text must not become a 300-clause query


@dataclass(frozen=True)
class QueryWord:
    word: str  # folded surface form
    stem: str
    # Administrative words the everyday word stands for (vocabulary.yaml), each as the stems
    # that must all match: "handy" -> (("mobiltelefon",), ("diensthandy",), ("geraet",)).
    alternatives: tuple[tuple[str, ...], ...] = ()


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
    folded = words(rest)
    vocab = vocabulary()
    for i, w in enumerate(folded):
        if w in STOPWORDS:
            continue
        s = stem(w)
        if s and s not in seen:
            seen[s] = QueryWord(word=w, stem=s, alternatives=vocab.alternatives(folded, i))
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
