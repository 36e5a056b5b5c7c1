"""Highlighted snippets from the original chunk text: the window with the most matched words.

Matching is decided by the caller (a predicate over folded words), so the snippet shows exactly
what the engine matched: inflections, umlaut spellings, compound parts and fuzzy variants.
"""

from __future__ import annotations

from collections.abc import Callable

from indexer.analysis import WORD_PATTERN

SNIPPET_CHARS = 240


def _collapse(text: str) -> str:
    return " ".join(text.split())


def make_snippet(text: str, matches: Callable[[str], bool], width: int = SNIPPET_CHARS) -> str:
    """About `width` characters around the densest cluster of matches, matches in **bold**.

    `matches` gets each word as written in the text (callers memoise: words repeat).
    """
    spans = [
        (m.start(), m.end(), m.group(0).casefold())
        for m in WORD_PATTERN.finditer(text)
        if matches(m.group(0))
    ]
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
