"""Words and stems of questions and sentences, and how strongly a sentence speaks of a concept."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from indexer.analysis import STOPWORDS, fold
from indexer.verbs import SEPARABLE_PARTICLES, match_stem

ALTERNATIVE_MIN = 0.8  # an administrative term matches by inflection at least, not by its head

_WORD = re.compile(r"[0-9A-Za-zÄÖÜäöüß][0-9A-Za-zÄÖÜäöüß\-]*")


@dataclass(frozen=True)
class Concept:
    """One thing a question is about: its stem and the stems that stand for it."""

    word: str  # as typed (folded)
    stem: str
    alternatives: tuple[tuple[str, ...], ...] = ()  # administrative terms (all stems match)
    noun: bool = True  # capitalised in the question (or no capitals typed at all)
    part: bool = False  # a part of a hyphenated word ("KI-Anfragen"): evidence, not the focus


def word_tokens(text: str, keep_case: bool = False) -> list[str]:
    out: list[str] = []
    for m in _WORD.finditer(text):
        word = m.group(0).strip("-")
        word = word if keep_case else word.lower()
        if not word:
            continue
        out.append(word)
        if "-" in word:
            out.extend(p for p in word.split("-") if p)
    return out


CLAUSE_END_PARTICLE = re.compile(
    r"\b(" + "|".join(sorted(SEPARABLE_PARTICLES, key=len, reverse=True)) + r")\s*(?=[,;.:!?)–]|$)",
    re.IGNORECASE,
)


_TRUNCATED = re.compile(
    r"\b([A-Za-zÄÖÜäöüß]{3,})-\s+(?:und|oder|sowie|bzw\.)\s+([A-Za-zÄÖÜäöüß]{7,})\b"
)
_ADDRESS = re.compile(r"\S+@\S+|\bhttps?://\S+|\bwww\.\S+", re.IGNORECASE)


@lru_cache(maxsize=50_000)
def sentence_stems(text: str) -> frozenset[str]:
    """Stems of a sentence's words; a separable verb's particle at the end of a clause is also
    joined to the sentence's words: "reichen … ein" -> "einreich", "setzt … voraus"."""
    # An address is no word of the sentence: "ki-werkstatt@luebeck.de" does not speak of Lübeck.
    tokens = [fold(t) for t in word_tokens(_ADDRESS.sub(" ", text))]
    words = [t for t in tokens if t not in STOPWORDS and len(t) > 1 and "-" not in t]
    out = {match_stem(t) for t in words}
    # A separable verb's participle is its particle, "ge" and the verb: "freigeschaltet" ~
    # "freischalten", "gegengelesen" ~ "gegenlesen".
    out.update(match_stem(w) for w in map(without_infix, words) if w)
    # "Leistungs- oder Verhaltenskontrolle": the first compound shares the second's head
    # (Ergänzungsstrich); every split of the second word is tried, only the true one will match.
    for m in _TRUNCATED.finditer(text):
        first, second = fold(m.group(1)), fold(m.group(2))
        out.update(match_stem(first + second[i:]) for i in range(3, len(second) - 3))
    # A hyphenated compound is also the compound written in one: "E-Mail" ~ "Email",
    # "Barrierefreiheits-Check" ~ "Barrierefreiheitscheck" (its parts are words of their own).
    out.update(match_stem(t.replace("-", "")) for t in tokens if "-" in t and len(t) >= 5)
    for particle in {fold(m.group(1)) for m in CLAUSE_END_PARTICLE.finditer(text)}:
        out.update(match_stem(particle + t) for t in words if len(t) >= 3 and t != particle)
    return frozenset(out)


@lru_cache(maxsize=50_000)
def sentence_words(text: str) -> frozenset[str]:
    """The sentence's long words as written (folded), for typos the stemmer would hide:
    "Dokumnet" stems to "dokumn", but is one swap from "Dokument"."""
    return frozenset(
        t for t in (fold(w) for w in word_tokens(_ADDRESS.sub(" ", text))) if len(t) >= 4
    )


@lru_cache(maxsize=200_000)
def typo_strength(word: str, words: frozenset[str]) -> float:
    """0.75 when the question's word is one edit (a swap counts as one) from a word of the
    sentence or from the end of a compound of it ("Ergbnisse" ~ "Arbeitsergebnisse")."""
    if len(word) < 5 or "-" in word:
        return 0.0
    for w in words:
        if abs(len(w) - len(word)) <= 1 and _one_edit(word, w):
            return 0.75
        if len(w) >= len(word) + 3:
            for d in (-1, 0, 1):
                if _one_edit(word, w[-(len(word) + d) :]):
                    return 0.75
    return 0.0


_PARTICLES = tuple(sorted(SEPARABLE_PARTICLES | {"gegen"}, key=len, reverse=True))


@lru_cache(maxsize=100_000)
def without_infix(word: str) -> str:
    """A separable verb's participle without its "ge" ("freigeschalten" -> "freischalten"),
    or "" when the word is none."""
    for particle in _PARTICLES:
        rest = word[len(particle) :]
        if word.startswith(particle) and rest.startswith("ge") and len(rest) >= 6:
            return particle + rest[2:]
    return ""


def match_strength(concept: Concept, stems: frozenset[str]) -> float:
    """1.0 for the same stem or an administrative word it stands for; less for inflection,
    compound heads and one-letter typos; 0 when the sentence does not speak of it."""
    best = _stem_strength(concept.stem, stems)
    for alternative in concept.alternatives if best < 1.0 else ():
        # An administrative term counts as the word itself, as far as all its stems match; not
        # through its own compound head ("Telearbeit" is no "Arbeit") or a typo it never had.
        found = min(_stem_strength(s, stems) for s in alternative)
        if found >= ALTERNATIVE_MIN:
            best = max(best, found)
    return best


@lru_cache(maxsize=200_000)
def _stem_strength(term: str, stems: frozenset[str]) -> float:
    if term in stems:
        return 1.0
    best = 0.0
    for s in stems:
        strength, modifier = _pair_strength(term, s)
        if modifier and _has_modifier(modifier, stems):
            # The passage has the question compound's head and its modifier as a word of its
            # own: the sentence says the compound in two words ("Sitzungsunterlagen" ~
            # "Unterlagen … der Sitzung").
            strength = 0.9
        best = max(best, strength)
    return best


@lru_cache(maxsize=500_000)
def _pair_strength(term: str, s: str) -> tuple[float, str]:
    """How well one sentence stem stands for the question's term; and, when the sentence
    word is only the head of the question's compound, the compound's modifier."""
    best, modifier = 0.0, ""
    if len(term) >= 4 and len(s) >= 4:
        if (s.startswith(term) and len(s) - len(term) <= 3) or (
            term.startswith(s) and len(term) - len(s) <= 3 and len(s) >= 5
        ):
            best = 0.9  # inflection the stemmer left: "verlang" ~ "verlanger"
        elif s.endswith(term):
            best = 0.8  # the question's word is the head: Ausschuss ~ Bauausschuss
        elif term.endswith(s) and len(s) >= 5:
            best, modifier = 0.7, term[: -len(s)]  # the passage has the compound's head
    if (
        best < 0.75
        and len(term) >= 5
        and len(s) >= 5
        and abs(len(term) - len(s)) <= 1
        and _one_edit(term, s)
    ):
        best = 0.75  # one typo in a long word (more than a compound's head alone)
    if best < 0.8 and len(term) >= 5 and len(s) >= 4 and root(term) == root(s):
        best = 0.8  # a verb and its noun: "prüft" ~ "Prüfung"
    if best < 0.8 and len(term) >= 3 and _undoubled(term) == _undoubled(s):
        best = 0.8  # a doubled letter typed once or twice: "Pas", "Zustimung"
    return best, modifier


def _has_modifier(modifier: str, stems: frozenset[str]) -> bool:
    for link in ("s", "es", "n", "en", ""):
        part = modifier[: -len(link)] if link and modifier.endswith(link) else modifier
        if len(part) >= 4 and any(
            s == part
            or (s.startswith(part) and len(s) - len(part) <= 2)
            or (part.startswith(s) and len(part) - len(s) <= 2 and len(s) >= 4)  # stemmed
            for s in stems
        ):
            return True
    return False


@lru_cache(maxsize=100_000)
def root(stem: str) -> str:
    """A stem without what verb forms and their nouns add: "gefalscht"/"falschung" -> "falsch"."""
    if stem.startswith("ge") and stem.endswith("t") and len(stem) >= 8:
        stem = stem[2:]
    # "meldend"/"Meldung" -> "meld": a present participle and its noun
    for suffix in ("ungen", "ung", "ende", "end", "st", "t"):
        if stem.endswith(suffix) and len(stem) - len(suffix) >= 4:
            return stem[: -len(suffix)]
    return stem


@lru_cache(maxsize=100_000)
def _undoubled(word: str) -> str:
    return re.sub(r"(.)\1+", r"\1", word)


def _one_edit(a: str, b: str) -> bool:
    """Levenshtein distance 1 (a swap of neighbours counts as one)."""
    if a == b:
        return True
    i = 0
    while i < min(len(a), len(b)) and a[i] == b[i]:
        i += 1
    if len(a) == len(b):
        return a[i + 1 :] == b[i + 1 :] or (a[i + 1 : i + 2] + a[i : i + 1] + a[i + 2 :] == b[i:])
    longer, shorter = (a, b) if len(a) > len(b) else (b, a)
    return longer[i + 1 :] == shorter[i:]
