"""German compounds split into parts the corpus itself uses as words.

"Radverkehrsförderung" -> radverkehr, forder: the embedded index stores the parts as terms of
their own (indexer/embedded_schema.py) and a query's compound also matches both parts
(indexer/embedded_query.py).
"""

from __future__ import annotations

from collections.abc import Callable

from indexer.analysis import STOPWORDS, cached_stem

MIN_COMPOUND = 8  # only words at least this long are tried as compounds
MIN_PART = 4  # each part at least this long (keeps "rad", "ort", "amt" from splitting words)
_LINKS = ("", "s", "es", "n", "en", "e")  # Fugenelemente dropped from a left part


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
            left = self._known_left(word[:i])
            if left is not None:
                found.append(left)
        return tuple(sorted(dict.fromkeys(found), key=len, reverse=True)[:2])

    def _is_word(self, surface: str) -> bool:
        return (
            len(surface) >= MIN_PART
            and surface not in STOPWORDS
            and self._known(cached_stem(surface))
        )

    def _known_left(self, left_raw: str) -> str | None:
        """The known word before a compound's head, without its linking element
        ("Arbeits" -> "Arbeit"), trying the links in `_LINKS` order; None if there is none."""
        for link in _LINKS:
            if link and not left_raw.endswith(link):
                continue
            left = left_raw[: len(left_raw) - len(link)] if link else left_raw
            if self._is_word(left):
                return left
        return None

    def _split(self, word: str, depth: int) -> list[str]:
        if depth > 3 or len(word) < 2 * MIN_PART:
            return []
        # The head of a German compound is on the right: prefer the longest known right part.
        for i in range(MIN_PART, len(word) - MIN_PART + 1):
            right = word[i:]
            if not self._is_word(right):
                continue
            left = self._known_left(word[:i])
            if left is not None:
                out = [cached_stem(left), cached_stem(right)]
                out += self._split(left, depth + 1)
                out += self._split(right, depth + 1)
                return out
        return []
