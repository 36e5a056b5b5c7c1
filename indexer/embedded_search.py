"""One search in the embedded index: the keyword leg's attempts, fusion with the vector leg,
facets and snippets (the clauses themselves: indexer/embedded_query.py).

Exact words first; when nothing matches, the words the index does not know also match with one
edit (a typo); when still nothing matches, any word may match. With a vector leg, the keyword
leg's candidates come from the top (not one page) and are fused with the nearest passages
(indexer/fusion.py); a vector-only candidate is confirmed by the engine with the query's filters
and the caller's access as they stand now.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import replace

import tantivy

from indexer.analysis import cached_stem
from indexer.embedded_query import QueryClauses
from indexer.embedded_schema import FACET_FIELDS, FACET_SIZE, chunk_from_json, facets_of
from indexer.fusion import Fusion, fuse
from indexer.model import Chunk, Hit, SearchQuery, SearchResults
from indexer.queries import ParsedQuery, QueryWord
from indexer.snippets import Highlighter
from indexer.vectors import Nearest

_MAX_FUZZY_WORDS = 6  # fuzzy expansion is the expensive part of a query


def search(
    searcher: tantivy.Searcher,
    clauses: QueryClauses,
    q: SearchQuery,
    parsed: ParsedQuery,
    nearest: Nearest | None,
    fusion: Fusion,
) -> SearchResults:
    """`parsed` is `q.text` parsed and not empty; `nearest` the vector leg's candidates, or
    None when it takes no part."""
    filters = clauses.filters(q)
    # The vector leg needs the keyword leg's candidates from the top, not one page.
    if nearest is not None:
        limit, offset = max(fusion.depth, q.offset + q.top), 0
    else:
        limit, offset = q.top, max(0, q.offset)
    # Typo candidates: words the index does not know (fuzzy matching every word is slow
    # and a known word is no typo). A long pasted text gets no fuzzy matching at all.
    unknown = frozenset(
        w.word
        for w in parsed.words[:_MAX_FUZZY_WORDS]
        if len(parsed.words) <= _MAX_FUZZY_WORDS and clauses.unknown_word(searcher, w)
    )
    none: frozenset[str] = frozenset()
    attempts = [(parsed, none, False)] + ([(parsed, unknown, False)] if unknown else [])
    # Last resort, any word may match; an unknown compound whose parts are only partly
    # known ("Radverkehrsförderung" where "Förderung" never occurs) adds its known parts.
    extra = tuple(
        QueryWord(word=part, stem=cached_stem(part))
        for w in parsed.words
        if w.word in unknown
        for part in clauses.parts.known_parts(w.word)
    )
    widened = replace(parsed, words=parsed.words + extra) if extra else parsed
    if len(widened.words) + len(widened.references) > 1:
        attempts.append((widened, unknown, True))
    for used, fuzzy, any_word in attempts:
        query = clauses.match_query(used, filters, fuzzy=fuzzy, any_word=any_word)
        result = searcher.search(query, limit=limit, offset=offset, count=True)
        if _total(result) > 0:
            break
    highlighter = clauses.highlighter(used, fuzzy)  # fuzzy: the words matched with an edit
    if nearest is not None:
        return _fused(q, searcher, clauses, query, result, nearest, filters, highlighter, fusion)
    if _total(result) == 0:
        return SearchResults(hits=(), total=0, facets={})
    hits = _with_snippets(
        q,
        ((chunk_at(searcher, address), float(score)) for score, address in result.hits),
        highlighter,
    )
    total = _total(result)
    if not q.facets:
        facets: dict[str, dict[str, int]] = {}
    elif total <= len(hits) and q.offset <= 0:
        facets = facets_of([h.chunk for h in hits])  # every match is at hand
    else:
        facets = _facets(searcher, query)
    return SearchResults(hits=hits, total=total, facets=facets)


def chunk_at(searcher: tantivy.Searcher, address: tantivy.DocAddress) -> Chunk:
    """The stored chunk behind a hit."""
    return chunk_from_json(json.loads(searcher.doc(address)["payload"][0]))


def _fused(
    q: SearchQuery,
    searcher: tantivy.Searcher,
    clauses: QueryClauses,
    keyword_query: tantivy.Query,
    result: tantivy.SearchResult,
    nearest: Nearest,
    filters: list[tantivy.Query],
    highlighter: Highlighter,
    fusion: Fusion,
) -> SearchResults:
    keyword_total = _total(result)
    keyword_chunks = (
        [(float(score), chunk_at(searcher, a)) for score, a in result.hits] if keyword_total else []
    )
    fused = fuse([(c.id, c.doc_id, s) for s, c in keyword_chunks], nearest, fusion)
    by_id = {c.id: c for _, c in keyword_chunks}
    # Vector-only candidates are confirmed by the engine with the query's filters and the
    # caller's access as they stand now (the matrix may be seconds older than the index).
    vector_ids = [f.chunk_id for f in fused if not f.keyword]
    by_id.update(_confirmed(searcher, clauses, vector_ids, filters))
    fused = [f for f in fused if f.chunk_id in by_id]
    vector_only = [by_id[f.chunk_id] for f in fused if not f.keyword]
    hits = _with_snippets(
        q,
        ((by_id[f.chunk_id], f.score) for f in fused[max(0, q.offset) : max(0, q.offset) + q.top]),
        highlighter,
    )
    total = keyword_total + len(vector_only)
    if not q.facets:
        facets: dict[str, dict[str, int]] = {}
    elif keyword_total <= len(keyword_chunks):  # every keyword match is at hand
        facets = facets_of([c for _, c in keyword_chunks] + vector_only)
    else:
        facets = _add_facets(_facets(searcher, keyword_query), facets_of(vector_only))
    return SearchResults(hits=hits, total=total, facets=facets)


def _confirmed(
    searcher: tantivy.Searcher,
    clauses: QueryClauses,
    chunk_ids: list[str],
    filters: list[tantivy.Query],
) -> dict[str, Chunk]:
    if not chunk_ids:
        return {}
    query = tantivy.Query.boolean_query(
        [(tantivy.Occur.Must, clauses.any_of("id", chunk_ids))]
        + [(tantivy.Occur.Must, f) for f in filters]
    )
    result = searcher.search(query, limit=len(chunk_ids), count=False)
    chunks = [chunk_at(searcher, address) for _, address in result.hits]
    return {c.id: c for c in chunks}


def _facets(searcher: tantivy.Searcher, query: tantivy.Query) -> dict[str, dict[str, int]]:
    spec = {
        name: {"terms": {"field": field, "size": FACET_SIZE}}
        for name, field in FACET_FIELDS.items()
    }
    raw = searcher.aggregate(query, spec)
    return {
        name: {b["key"]: int(b["doc_count"]) for b in raw.get(name, {}).get("buckets", [])}
        for name in FACET_FIELDS
    }


def _add_facets(
    a: dict[str, dict[str, int]], b: dict[str, dict[str, int]]
) -> dict[str, dict[str, int]]:
    out = {name: dict(counts) for name, counts in a.items()}
    for name, counts in b.items():
        mine = out.setdefault(name, {})
        for key, n in counts.items():
            mine[key] = mine.get(key, 0) + n
    return out


def _with_snippets(
    q: SearchQuery, scored: Iterable[tuple[Chunk, float]], highlighter: Highlighter
) -> tuple[Hit, ...]:
    """Hits with the snippets the query asks for (SearchQuery.snippets)."""
    hits = []
    snippeted: set[str] = set()
    for chunk, score in scored:
        wanted = q.snippets == "all" or (
            q.snippets == "first_per_document" and chunk.doc_id not in snippeted
        )
        snippeted.add(chunk.doc_id)
        hits.append(Hit(chunk, score, highlighter.snippet(chunk.text) if wanted else ""))
    return tuple(hits)


def _total(result: tantivy.SearchResult) -> int:
    """The match count tantivy computed (`count=True`); missing from its type stubs."""
    return int(getattr(result, "count", 0) or 0)
