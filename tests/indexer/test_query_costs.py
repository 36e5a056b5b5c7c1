"""What a caller does not use is not computed: facets and snippets on request, both backends.

A council listing fetches 200 chunks and shows one passage per paper; an answer reads the
passages themselves. Snippets (about a millisecond each) and facets (an aggregation over every
match) were computed for all of them; the query now says what it needs."""

from __future__ import annotations

import pytest

from indexer.model import SearchIndex, SearchQuery


@pytest.fixture
def index(corpus_index: SearchIndex) -> SearchIndex:
    return corpus_index  # both backends (tests/indexer/conftest.py)


async def test_by_default_every_hit_has_a_snippet_and_facets_are_counted(
    index: SearchIndex,
) -> None:
    results = await index.search(SearchQuery(text="Radverkehr", top=2))
    assert results.total > len(results.hits) == 2
    assert all("**" in h.snippet for h in results.hits)
    assert results.facets["paper_type"]


async def test_facets_only_when_asked(index: SearchIndex) -> None:
    results = await index.search(SearchQuery(text="Radverkehr", top=2, facets=False))
    assert results.hits and results.total > 2 and results.facets == {}


async def test_no_snippets_for_a_reader(index: SearchIndex) -> None:
    results = await index.search(SearchQuery(text="Radverkehr", snippets="none"))
    assert results.hits and all(h.snippet == "" for h in results.hits)


async def test_one_snippet_per_document_for_a_listing(index: SearchIndex) -> None:
    results = await index.search(SearchQuery(text="Radverkehr", snippets="first_per_document"))
    docs = [h.chunk.doc_id for h in results.hits]
    assert len(set(docs)) < len(docs)  # the corpus has a paper with two matching chunks
    first = {d: docs.index(d) for d in docs}
    for i, hit in enumerate(results.hits):
        assert bool(hit.snippet) == (first[hit.chunk.doc_id] == i)
