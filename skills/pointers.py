"""Where to look when the sources give no sure answer: the nearest places, never an answer.

The reader refuses when it cannot be sure (skills/reader/): right, but a member of staff then
gets nothing, although retrieval mostly found the passage (docs/skills.md: on everyday wording
the gate refuses many answerable questions whose passage was retrieved). So a refusal names up
to three places that come nearest to the question — document, section, the passage's
best-matching sentence, the link — for the person to read. They are index data, not model
output, from the same retrieval as an answer: trimmed to the caller's groups (in a shared
conversation the audience's), so a pointer never shows what an answer could not.

No pointers when nothing was retrieved, or when the question's key noun stands in no retrieved
sentence (`Reading.focus_found`): the nearest passages of an off-topic question are unrelated
rules, noise rather than a place to look.

Order: the passages the reader scored best (the best sentence's score: coverage of the
question's concepts, term density, the asked kind, the first-ranked passage's bonus), not the
retrieval's rank — measured on the dev split (docs/skills.md, "Pointers when there is no sure
answer").
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from indexer.model import Hit
from skills.reader import Reading, Sentence
from skills.results import Pointer
from skills.wording import clip

MAX_POINTERS = 3
SNIPPET_CHARS = 220

Order = Literal["reader", "rank"]
Place = Literal["section", "document"]


def nearest_places(
    reading: Reading,
    hits: Sequence[Hit],
    *,
    order: Order = "reader",
    place: Place = "section",
) -> tuple[Pointer, ...]:
    """Up to `MAX_POINTERS` places of `hits` (the passages `reading` read, in the same order)
    to look at, best first; () for an off-topic question or when nothing was retrieved.

    `place`: "section" — one pointer per document section (a rule document's §), "document" —
    one per document (council papers: the nearest papers)."""
    if not hits or not reading.focus_found:
        return ()
    best: dict[int, Sentence] = {}  # each passage's best-scored sentence
    for s in reading.all_sentences:
        if s.passage not in best or s.score > best[s.passage].score:
            best[s.passage] = s
    # A passage without a readable sentence (only headings, or only text the reader leaves
    # out as an injection) is no place to read.
    readable = [i for i in range(len(hits)) if i in best]
    if order == "reader":
        readable.sort(key=lambda i: (-best[i].score, i))
    out: list[Pointer] = []
    seen: set[tuple[str, str | None]] = set()
    for i in readable:
        chunk = hits[i].chunk
        key = (chunk.doc_id, chunk.heading if place == "section" else None)
        if key in seen:
            continue
        seen.add(key)
        out.append(
            Pointer(
                title=chunk.title or chunk.doc_id,
                url=chunk.url,
                doc_id=chunk.doc_id,
                snippet=clip(best[i].text, SNIPPET_CHARS),
                heading=chunk.heading,
                page=chunk.page,
                reference=chunk.reference,
            )
        )
        if len(out) == MAX_POINTERS:
            break
    return tuple(out)
