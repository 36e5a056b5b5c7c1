"""Highlighted snippets from the original chunk text: the window with the most matched words.

Matching is decided by the caller (a predicate over folded words), so the snippet shows exactly
what the engine matched: inflections, umlaut spellings, compound parts and fuzzy variants.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator

from indexer.analysis import WORD_PATTERN

SNIPPET_CHARS = 240


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
        head = _collapse(text[: width * 2])
        return head[:width].rstrip() + ("…" if len(head) > width else "")
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
