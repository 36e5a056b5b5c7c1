"""A search query as people type it: its content words and reference numbers (both backends)."""

from __future__ import annotations

from dataclasses import dataclass

from indexer.analysis import STOPWORDS, stem, words
from indexer.vocabulary import vocabulary
from kiw_common.references import ReferenceKey, find_references

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
