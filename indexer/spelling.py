"""Spelling correction against the words of the indexed documents (both backends, the reader).

A question word that no document of the collection uses, and that is no German function word
nor an everyday word of indexer/vocabulary.yaml, is most likely a typo: "Barrierfreiheit",
"Dokumnete", "Plicht". It is replaced by the closest word the documents do use, by
Damerau-Levenshtein distance as typing goes wrong (`typing_distance`: a letter left out, doubled
or swapped is one edit, a replaced letter two): one edit for words of 5–8 letters, two for
longer ones, the first letter as typed; among equally close words the more frequent one wins.
A compound may be right but for one of its parts ("Stellenabau": "Stellen" + "abau" ~ "Abbau"),
so when the whole word has no close neighbour, a part next to a known part is corrected.

A word is never corrected when the documents use it, or when another collection of the index
does (a German word, then), so a correct rare word is never "corrected" to a frequent one. An
inflected form, a verb form or a compound of known words ("Dokumenten", "weiterzuleiten",
"Jahresurlaub") is corrected only to a word of another stem one edit away ("Barrierfreiheit"
reads as "Barri" + "Freiheit" but means "Barrierefreiheit"). Words under five letters are left
alone (too many neighbours). Without a dictionary (the usable German word lists are GPL), a
correct word no document uses can still be taken for a typo of one that is used ("eignen" ->
"eigenen"); docs/search.md has the measured balance.

The word counts come from indexer/corpus_words.py (kept beside the index at index time, per
collection). Candidates are found by `rapidfuzz` (MIT, C++) among the words of about the same
length, then weighed by `typing_distance`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property

from rapidfuzz import process
from rapidfuzz.distance import DamerauLevenshtein

from indexer.analysis import QUESTION_WORDS, STOPWORDS, fold, stem
from indexer.compounds import MIN_PART, Decompounder
from indexer.verbs import match_stem
from indexer.vocabulary import vocabulary

MIN_WORD = 5  # shorter words are never corrected
LONG_WORD = 9  # from this length on, two edits are allowed
MAX_CORRECTED = 8  # words corrected in one text at most (a pasted text is not proof-read)
_LINKS = ("", "s", "es", "n", "en", "e")  # linking elements between compound parts
# A word as typed in a question: letters only (digits, references, addresses stay as they are).
_TOKEN = re.compile(r"(?<![\w@./])[^\W\d_]+(?![\w@]|[./][\w])")


def max_edits(length: int) -> int:
    """Edits allowed for a word (or compound part) of this many letters."""
    if length < MIN_PART:
        return 0
    return 1 if length < LONG_WORD else 2


@dataclass
class Spelling:
    """The known words of one collection (folded, with how many chunks use each) and the
    closest known word for an unknown one."""

    counts: Mapping[str, int]
    # Whether another collection of the index uses the word: a German word, then, and no typo
    # (a rule question's "Kantine" may stand in council papers only); never a correction.
    used_elsewhere: Callable[[str], bool] = field(default=lambda word: False, repr=False)
    _cache: dict[str, str | None] = field(default_factory=dict, repr=False)

    @cached_property
    def _stems(self) -> frozenset[str]:
        return frozenset(stem(w) for w in self.counts)

    @cached_property
    def _everyday(self) -> frozenset[str]:
        """The vocabulary's everyday words (every word of a multi-word key)."""
        out: set[str] = set()
        for key in vocabulary().written:
            out.add(key)
            out.update(re.findall(r"[^\W\d_]+", key))
        for first, second in vocabulary().phrases:
            out.update((first, second))
        return frozenset(out)

    @cached_property
    def _by_length(self) -> dict[tuple[int, str], list[str]]:
        """The words that may be corrections, by length and first letter (a typo keeps its
        first letter: the council's 150,000 words are searched in buckets of a few hundred)."""
        out: dict[tuple[int, str], list[str]] = {}
        for w in (*self.counts, *self._everyday):
            # A function word is no correction ("halben" is not "haben").
            if w and w not in STOPWORDS and w not in QUESTION_WORDS:
                out.setdefault((len(w), w[0]), []).append(w)
        return out

    @cached_property
    def _parts(self) -> Decompounder:
        return Decompounder(lambda s: s in self._stems)

    def prepare(self) -> Spelling:
        """Build the lookup tables now (they are built on first use otherwise): the bot does
        it when it starts and when another process committed, so no user's turn waits for
        them (indexer/corpus_words.py)."""
        _ = (self._stems, self._everyday, self._by_length, self._parts)
        return self

    def known(self, word: str) -> bool:
        """The documents use the word (folded), or it is a function word or an everyday word
        the vocabulary knows."""
        return (
            word in self.counts
            or word in STOPWORDS
            or word in QUESTION_WORDS
            or word in self._everyday
            or bool(vocabulary().terms_of(word))
        )

    def _formed(self, word: str) -> bool:
        """The documents use the word's stem ("Dokumenten"), its verb ("weiterzuleiten" ~
        "weiterleiten") or all its parts ("Jahresurlaub")."""
        return (
            stem(word) in self._stems
            or match_stem(word) in self._stems  # "weiterzuleiten", "freigeschaltet"
            or bool(self._parts.parts(word))
        )

    def correction(self, word: str) -> str | None:
        """The known word closest to a folded word, or None when it is known, too short, or
        has no known word close enough."""
        if len(word) < MIN_WORD or not word.isalpha() or not self.counts or self.known(word):
            return None
        if word in self._cache:
            return self._cache[word]
        if self.used_elsewhere(word):
            found = None
        elif self._formed(word):
            # An inflected form or a compound of known words is right as it is, unless a word
            # of another stem is one edit away: "Barrierfreiheit" reads as "Barri" + "Freiheit"
            # (the stemmer takes "Barriere" to "barri" too) but means "Barrierefreiheit".
            closest = self._closest(word, within=1)
            found = closest if closest and stem(closest) != stem(word) else None
        else:
            found = self._closest(word) or self._by_part(word)
        if len(self._cache) > 10_000:
            self._cache.clear()
        self._cache[word] = found
        return found

    def corrected(self, text: str) -> str:
        """The text with each unknown word replaced by its correction (the first letter's case
        kept: the reader takes a capitalised word for a noun). Everything else is unchanged."""
        done = 0

        def replace(m: re.Match[str]) -> str:
            nonlocal done
            typed = m.group(0)
            if done >= MAX_CORRECTED:
                return typed
            better = self.correction(fold(typed))
            if better is None:
                return typed
            done += 1
            return better[:1].upper() + better[1:] if typed[:1].isupper() else better

        return _TOKEN.sub(replace, text)

    def _closest(self, word: str, *, within: int | None = None) -> str | None:
        """The known word nearest to `word` (its count breaks ties), at most `within` edits
        (by default as many as the word's length allows)."""
        limit = max_edits(len(word)) if within is None else within
        if limit <= 0:
            return None
        best: tuple[int, int, str] | None = None
        for length in range(len(word) - limit, len(word) + limit + 1):
            bucket = self._by_length.get((length, word[0]))
            if not bucket:
                continue
            for candidate, _, _ in process.extract(
                word, bucket, scorer=DamerauLevenshtein.distance, score_cutoff=limit, limit=None
            ):
                # People rarely mistype a word's first letter; a word that differs there is
                # mostly another word ("sagen"/"tagen", "Hersteller"/"erstellen"): the buckets
                # hold words of the typed first letter only.
                if candidate == word:
                    continue
                distance = typing_distance(word, candidate)
                key = (distance, -self.counts.get(candidate, 0), candidate)
                if distance <= limit and (best is None or key < best):
                    best = key
        return best[2] if best else None

    def _by_part(self, word: str) -> str | None:
        """A compound one of whose parts is known and the other one a typo of a known word:
        "stellenabau" -> "stellenabbau", "barrierfreiheit" -> "barrierefreiheit"."""
        if len(word) < 2 * MIN_PART:
            return None
        best: tuple[int, int, str] | None = None
        for i in range(MIN_PART, len(word) - MIN_PART + 1):
            left, right = word[:i], word[i:]
            for option in _split_options(left, right, self._is_word):
                fixed, distance = self._part_fixed(option)
                if fixed is not None:
                    key = (distance, -len(option.known), fixed)
                    if best is None or key < best:
                        best = key
        return best[2] if best else None

    def _part_fixed(self, option: _SplitOption) -> tuple[str | None, int]:
        closest = self._closest(option.typo, within=max_edits(len(option.typo)))
        if closest is None or not self._is_word(closest):
            return None, 0
        distance = typing_distance(option.typo, closest)
        if option.known_first:
            return option.known + option.link + closest, distance
        return closest + option.link + option.known, distance

    def _is_word(self, part: str) -> bool:
        return len(part) >= MIN_PART and part not in STOPWORDS and part in self.counts


def typing_distance(a: str, b: str) -> int:
    """Damerau-Levenshtein distance (optimal string alignment) as typing goes wrong: a letter
    left out, typed twice or too many, two neighbours swapped cost one edit each; a letter
    replaced by another costs two (as much as leaving one out and adding another). A replaced
    letter is what mostly tells *other* words apart ("warten"/"Karten", "liest"/"liegt",
    "alten"/"Akten", even for keys side by side); the typos people make are mostly the others
    ("Dokumnete", "Plicht", "barierefrei"). So a word of 5-8 letters may differ by one such
    slip, a longer one by two or by one replaced letter ("Aufnahmen" still reads as
    "Ausnahmen" then: a known limit)."""
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            replaced = 0 if a[i - 1] == b[j - 1] else 2
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + replaced)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                current[j] = min(current[j], previous2[j - 2] + 1)
        previous2, previous = previous, current
    return previous[len(b)]


@dataclass(frozen=True)
class _SplitOption:
    known: str  # the part the documents use
    typo: str  # the other part, to be corrected
    link: str  # the linking element between them ("s" in "Arbeitszeit")
    known_first: bool


def _split_options(left: str, right: str, is_word: object) -> Iterable[_SplitOption]:
    """The ways one split point reads as a known part beside a misspelt one."""
    assert callable(is_word)
    if is_word(right):
        for link in _LINKS:
            if left.endswith(link) and len(left) - len(link) >= MIN_PART:
                stem_part = left[: len(left) - len(link)] if link else left
                if not is_word(stem_part):
                    yield _SplitOption(right, stem_part, link, known_first=False)
    elif len(right) >= MIN_PART:
        for link in _LINKS:
            if left.endswith(link) and len(left) - len(link) >= MIN_PART:
                stem_part = left[: len(left) - len(link)] if link else left
                if is_word(stem_part):
                    yield _SplitOption(stem_part, right, link, known_first=True)
                    break
