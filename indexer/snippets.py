"""Highlighted snippets from the original chunk text: the window with the most matched words.

Matching is decided by the caller (a predicate over folded words), so the snippet shows exactly
what the engine matched: inflections, umlaut spellings, compound parts and fuzzy variants.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator

from indexer.analysis import WORD_PATTERN, cached_stem, fold, stem_comparable

SNIPPET_CHARS = 240
ELLIPSIS = "…"


def clip(text: str, limit: int) -> str:
    """`text` on one line, at most `limit` characters: cut after the last whole word that fits,
    with "…" to show something was left out. Unchanged (spaces collapsed) when it fits."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    room = max(limit - len(ELLIPSIS), 1)
    head = flat[: room + 1]
    # Cut at the last space inside the room; a single overlong word is cut where the room ends.
    cut = head.rfind(" ")
    kept = head[:cut] if cut > 0 else flat[:room]
    return kept.rstrip(" ,;:-–(„\"'") + ELLIPSIS


def _words_around(text: str, pattern: re.Pattern[str]) -> Iterator[re.Match[str]]:
    """The whole words that contain a match of `pattern`, each once, in order."""
    last_end = -1
    for hit in pattern.finditer(text):
        if hit.start() < last_end:
            continue
        start = hit.start()
        while start > 0 and (text[start - 1].isalnum()):
            start -= 1
        word = WORD_PATTERN.match(text, start)
        if word is not None and word.end() > last_end:
            last_end = word.end()
            yield word


def _collapse(text: str) -> str:
    return " ".join(text.split())


def make_snippet(
    text: str,
    matches: Callable[[str], bool],
    width: int = SNIPPET_CHARS,
    candidates: re.Pattern[str] | None = None,
) -> str:
    """About `width` characters around the densest cluster of matches, matches in **bold**.

    `matches` gets each word as written in the text (callers memoise: words repeat). With
    `candidates`, only words containing a match of that pattern are asked (much faster on
    long texts: most words cannot match).
    """
    spans: list[tuple[int, int, str]] = []
    if candidates is None:
        words: Iterable[re.Match[str]] = WORD_PATTERN.finditer(text)
    else:
        words = _words_around(text, candidates)
    for m in words:
        if matches(m.group(0)):
            spans.append((m.start(), m.end(), m.group(0).casefold()))
    if not spans:
        return clip(text[: width * 2], width)
    # Slide a window over the matches; score = distinct matched words inside it.
    best_i, best_score = 0, -1
    j = 0
    for i in range(len(spans)):
        while j < len(spans) and spans[j][1] - spans[i][0] <= width:
            j += 1
        score = len({w for _, _, w in spans[i:j]})
        if score > best_score:
            best_i, best_score = i, score
    first = spans[best_i][0]
    start = max(0, first - width // 4)
    # Start at a word boundary.
    if start > 0:
        space = text.find(" ", start, first)
        start = space + 1 if space != -1 else start
    end = min(len(text), start + width)
    if end < len(text):
        space = text.rfind(" ", spans[best_i][1], end)
        end = space if space != -1 else end
    out: list[str] = []
    pos = start
    for s, e, _ in spans:
        if s < start or e > end:
            continue
        out.append(text[pos:s])
        out.append(f"**{text[s:e]}**")
        pos = e
    out.append(text[pos:end])
    snippet = _collapse("".join(out))
    return ("…" if start > 0 else "") + snippet + ("…" if end < len(text) else "")


_LOOSE_LETTERS = {"a": "(?:a|ä|ae)", "o": "(?:o|ö|oe)", "u": "(?:u|ü|ue)"}


def loose_pattern(stems: Iterable[str]) -> re.Pattern[str] | None:
    """A regex that finds any of these stems inside a word as written (Förder, foerder, ...)."""
    alternatives = []
    for stem_ in sorted(set(stems), key=len, reverse=True):
        if not stem_:
            continue
        out = []
        for part in re.split("(ss)", stem_):
            if part == "ss":
                out.append("(?:ss|ß)")
            else:
                out.extend(_LOOSE_LETTERS.get(ch, re.escape(ch)) for ch in part)
        alternatives.append("".join(out))
    if not alternatives:
        return None
    return re.compile("|".join(alternatives), re.IGNORECASE)


class Highlighter:
    """Decides which words of a chunk's original text the engine matched, for **bold**.

    `wanted`: stems the query matched (its words and their compound parts); `fuzzy`: folded
    query words that also matched with one edit.
    """

    def __init__(self, wanted: set[str], fuzzy: Iterable[str] = ()) -> None:
        self._wanted = wanted
        # Compound words in the text ("Radverkehrsförderung") contain a wanted stem.
        self._roots = [s for s in wanted if len(s) >= 5 and not s.isdigit()]
        self._fuzzy = [w for w in fuzzy if len(w) >= 5 and w.isalpha()]
        self._memo: dict[str, bool] = {}
        # Cheap first look: most words contain no wanted stem in any spelling. Fuzzy matches
        # need not contain one, so then every word is a candidate.
        self.candidates = None if self._fuzzy else loose_pattern(wanted)

    def matches(self, raw: str) -> bool:
        hit = self._memo.get(raw)
        if hit is None:
            hit = self._memo[raw] = self._decide(raw)
        return hit

    def _decide(self, raw: str) -> bool:
        word = fold(raw)
        if cached_stem(word) in self._wanted:
            return True
        if len(word) >= 8 and self._roots:
            comparable = stem_comparable(word)
            if any(r in comparable for r in self._roots):
                return True
        return any(
            t[0] == word[0] and abs(len(t) - len(word)) <= 1 and within_one_edit(word, t)
            for t in self._fuzzy
        )

    def snippet(self, text: str, width: int = SNIPPET_CHARS) -> str:
        return make_snippet(text, self.matches, width, candidates=self.candidates)


def within_one_edit(a: str, b: str) -> bool:
    """Levenshtein distance of two words is at most one (what the fuzzy query allowed)."""
    if a == b:
        return True
    if abs(len(a) - len(b)) > 1:
        return False
    i = 0
    while i < min(len(a), len(b)) and a[i] == b[i]:
        i += 1
    if len(a) == len(b):
        swapped = a[i + 1 : i + 2] + a[i : i + 1] == b[i : i + 2]
        return a[i + 1 :] == b[i + 1 :] or (swapped and a[i + 2 :] == b[i + 2 :])
    longer, shorter = (a, b) if len(a) > len(b) else (b, a)
    return longer[i + 1 :] == shorter[i:]
