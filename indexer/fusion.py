"""Weighted score fusion of the keyword (BM25) leg and the vector leg of one query.

Why weighted fusion and not reciprocal rank fusion: measured on everyday-worded rule questions
(../shared/notes/embedded-options.md) RRF was worse every time, and on this project's dev split
too (docs/search.md, "Semantic retrieval"). Each leg is normalised to 0..1 over its own
candidates first — BM25 by its best score, the similarity min-max between the leg's best and
its `depth`-th candidate (e5 cosines crowd into 0.7–0.9, so the raw value says little) — and
then mixed: `keyword_weight · bm25 + (1 − keyword_weight) · vector`.

The vector leg widens and re-ranks what the keyword leg finds; it never answers alone (see
`fuse`). A keyword candidate outside the vector leg's list is scored by its own similarity; a passage
that was not chosen for embedding (a council file's later passages) by its document's best
similarity, so it is not punished for having no vector of its own; a document with no vector
at all (embedding still pending) keeps its keyword rank.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from indexer.vectors import Nearest


@dataclass(frozen=True)
class Fusion:
    keyword_weight: float = 0.3
    depth: int = 50  # candidates taken from each leg


@dataclass(frozen=True)
class Fused:
    chunk_id: str
    score: float
    keyword: bool  # found by the keyword leg


def fuse(
    keyword: Sequence[tuple[str, str, float]], nearest: Nearest, fusion: Fusion
) -> list[Fused]:
    """`keyword`: (chunk id, doc id, BM25 score) best first. Returns the union, best first."""
    if not keyword:
        # No visible passage shares a word with the query, even with typos allowed. Every query
        # has nearest neighbours, and no similarity separates gibberish from a paraphrase (e5:
        # 0.80 vs 0.82 on short passages), so the vector leg does not answer alone.
        return []
    sims = [c.similarity for c in nearest.candidates]
    hi = max(sims) if sims else 1.0
    lo = min(sims) if sims else 0.0
    span = hi - lo

    def vector_part(similarity: float | None) -> float:
        if similarity is None or span <= 0:
            return 0.0
        return min(1.0, max(0.0, (similarity - lo) / span))

    best_keyword = max(score for _, _, score in keyword) or 1.0
    w = fusion.keyword_weight
    out: dict[str, Fused] = {}
    for chunk_id, doc_id, score in keyword:
        similarity = nearest.similarity(chunk_id)
        if similarity is None:
            similarity = nearest.document_similarity(doc_id)
        keyword_part = score / best_keyword
        # A document without any vector yet (its embedding is pending, or failed) ranks as
        # the keywords rank it, instead of losing the vector share.
        semantic = keyword_part if similarity is None else vector_part(similarity)
        out[chunk_id] = Fused(chunk_id, w * keyword_part + (1 - w) * semantic, keyword=True)
    for c in nearest.candidates:
        if c.chunk_id not in out:
            out[c.chunk_id] = Fused(c.chunk_id, (1 - w) * vector_part(c.similarity), False)
    return sorted(out.values(), key=lambda f: (-f.score, f.chunk_id))
