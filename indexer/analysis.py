"""The one German analysis: folding, words, stems and stop words, shared by the search
backends and the skills.

The embedded backend does *all* of its analysis in Python, and hands tantivy pre-analysed
terms (one whitespace-separated string per field). That keeps indexing and querying on exactly
the same code path, lets us fold umlaut spellings ("Aenderung" = "Änderung"), split compounds
with a vocabulary built from the indexed corpus itself, and highlight snippets on the
*original* text. Azure AI Search analyses with `de.microsoft` itself; it shares the
reference-number normalisation (kiw_common/references.py), the query clean-up and the
vocabulary.

Beside this module: compounds (indexer/compounds.py), everyday words (indexer/vocabulary.py),
a query's words and references (indexer/queries.py), and verb forms for reading questions
(indexer/verbs.py: `match_stem`). The skills (skills/german.py, skills/reader/) use the same
folding, stemmer and stop words, and `QUESTION_WORDS`, the words that shape a question but name
no topic.
"""

from __future__ import annotations

import re
import unicodedata
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
