"""Everyday words and the administrative words documents use instead (indexer/vocabulary.yaml):
"Handy" also finds "Mobiltelefon". Read once per process; used by the query parser
(indexer/queries.py) of both backends and by the skills' question reader.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from indexer.analysis import STOPWORDS, WORD_PATTERN, fold, stem, words

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
            tuple(
                dict.fromkeys(
                    stem(w) for w in WORD_PATTERN.findall(fold(str(v))) if w not in STOPWORDS
                )
            )
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
