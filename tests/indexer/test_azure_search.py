"""AzureSearchIndex with the real azure-search-documents SDK against the local fake service."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from dataclasses import replace

import pytest

from indexer.azure_search import (
    AzureSearchError,
    AzureSearchIndex,
    access_filter,
    decode_key,
    encode_key,
    odata_string,
)
from indexer.model import POLICIES, PUBLIC, SearchQuery
from tests.indexer import search_corpus as corpus
from tests.indexer.azure_search_server import FakeSearchService, Fault, compile_filter

INDEX = "kiw-test"
PUBLIC_ONLY = frozenset({PUBLIC})


@pytest.fixture
async def index(service: FakeSearchService, endpoint: str) -> AsyncIterator[AzureSearchIndex]:
    idx = AzureSearchIndex(endpoint, service.api_key, INDEX, item_retry_delay=0.01)
    await idx.upsert(corpus.ALL_CHUNKS)
    yield idx
    await idx.close()


def doc_ids(results: object) -> list[str]:
    return list(dict.fromkeys(h.chunk.doc_id for h in results.hits))  # type: ignore[attr-defined]


def test_keys_are_azure_safe_and_reversible() -> None:
    for chunk_id in ["https://x.test/oparl/papers/1#0", "file:/srv/DV KI.pdf#12", "ä'ö/ü#="]:
        key = encode_key(chunk_id)
        assert all(ch.isalnum() or ch in "-_=" for ch in key) and not key.startswith("_")
        assert decode_key(key) == chunk_id


def test_odata_values_are_escaped() -> None:
    assert odata_string("O'Brien") == "'O''Brien'"
    assert access_filter({"fraktion-x"}) == (
        "access/any(g: search.in(g, 'fraktion-x,public', ','))"
    )
    # A group name carrying the delimiter is dropped rather than widening the set.
    assert "evil" not in access_filter({"evil,public"})


def test_fake_filter_evaluator_subset() -> None:
    doc = {"access": ["public"], "collection": "council", "date": "2025-03-10T00:00:00Z", "n": 3}
    assert compile_filter("access/any(g: search.in(g, 'public,x', ','))")(doc)
    assert not compile_filter("access/any(g: search.in(g, 'x', ','))")(doc)
    assert compile_filter("collection eq 'council' and date ge 2025-01-01T00:00:00Z")(doc)
    assert not compile_filter("not (collection eq 'council') or n gt 5")(doc)
    assert compile_filter("collection eq 'it''s' or n le 3")(doc)


async def test_schema_is_created_with_german_analyzer(
    index: AzureSearchIndex, service: FakeSearchService
) -> None:
    fields = {f["name"]: f for f in service.indexes[INDEX]["fields"]}
    for name in ("title", "text", "heading", "organizations"):
        assert fields[name]["searchable"] and fields[name]["analyzer"] == "de.microsoft"
    for name in ("access", "collection", "paper_type", "date", "organizations", "doc_id"):
        assert fields[name]["filterable"], name
    for name in ("access", "collection", "paper_type", "organizations"):
        assert fields[name]["facetable"], name
    assert fields["key"]["key"] and fields["access"]["type"] == "Collection(Edm.String)"
    assert len(service.docs[INDEX]) == len(corpus.ALL_CHUNKS)
    await index.ping()


async def test_schema_update_on_existing_index(
    index: AzureSearchIndex, service: FakeSearchService, endpoint: str
) -> None:
    again = AzureSearchIndex(endpoint, service.api_key, INDEX)
    await again.ensure_index()
    await again.close()
    puts = [r for r in service.requests if r[0] == "PUT"]
    assert len(puts) == 2 and len(service.docs[INDEX]) == len(corpus.ALL_CHUNKS)


async def test_search_sends_security_filter_count_facets_highlight(
    index: AzureSearchIndex, service: FakeSearchService
) -> None:
    results = await index.search(
        SearchQuery(text="Radverkehr", access=frozenset({PUBLIC, "ausschuss-x"}))
    )
    body = service.searches()[-1]
    assert body["filter"].startswith("access/any(g: search.in(g, 'ausschuss-x,public', ','))")
    assert body["count"] is True and body["highlightPreTag"] == "**"
    assert "paper_type,count:50" in body["facets"]
    # The fake's stand-in analyzer does not decompound (de.microsoft would): 3 chunks.
    assert results.total == 3 and results.facets["paper_type"] == {"Antrag": 3}
    assert any("**Radverkehr**" in h.snippet for h in results.hits)


async def test_filters_reach_the_service(index: AzureSearchIndex) -> None:
    rad_vorlage = corpus.RAD_VORLAGE[0].doc_id
    got = await index.search(
        SearchQuery(text="Radverkehrsförderung", paper_type="beschlussvorlage")
    )
    assert doc_ids(got) == [rad_vorlage]
    got = await index.search(SearchQuery(text="Durlach", organization="Bauausschuss"))
    assert doc_ids(got) == [rad_vorlage]
    internal = frozenset({PUBLIC, corpus.FACTION})
    got = await index.search(SearchQuery(text="Radverkehr", organization="Grüne", access=internal))
    assert doc_ids(got) == [corpus.FACTION_INTERNAL[0].doc_id]
    got = await index.search(SearchQuery(text="Radverkehr", organization="O'Neill Ausschuss"))
    assert doc_ids(got) == []
    got = await index.search(SearchQuery(text="Dienstvereinbarung", collection=POLICIES))
    assert doc_ids(got) == [corpus.POLICY[0].doc_id]


async def test_references_and_fuzzy_fallback(
    index: AzureSearchIndex, service: FakeSearchService
) -> None:
    assert doc_ids(await index.search(SearchQuery(text="VO/2025/12345")))[0] == (
        corpus.RAD_VORLAGE[0].doc_id
    )
    assert doc_ids(await index.search(SearchQuery(text="2026/0012")))[0] == (
        corpus.HAUSHALT_PLAIN[0].doc_id
    )
    assert doc_ids(await index.search(SearchQuery(text="DHH/2026/0012")))[0] == (
        corpus.HAUSHALT_DHH[0].doc_id
    )
    assert await index.find_reference("2025/12345", PUBLIC_ONLY) == corpus.RAD_VORLAGE[0].doc_id
    typo = await index.search(SearchQuery(text="Dienstvereinbarnug"))
    assert doc_ids(typo) == [corpus.POLICY[0].doc_id]
    assert service.searches()[-1]["search"] == "Dienstvereinbarnug~1"


async def test_any_query_string_is_safe(
    index: AzureSearchIndex, service: FakeSearchService
) -> None:
    for text in ['Rad* AND "(" OR ) ~ ^2 \\ : [a TO b] {', "x" * 2000, "Rad " * 500]:
        await index.search(SearchQuery(text=text))
    for body in service.searches():
        assert not set(body["search"]) & set('*"()\\:[]{}^'), body["search"]
    assert (await index.search(SearchQuery(text=""))).total == 0


async def test_quotes_in_ids_are_escaped(index: AzureSearchIndex) -> None:
    chunk = replace(corpus.POLICY[0], id="file:/srv/O'Brien.md#0", doc_id="file:/srv/O'Brien.md")
    await index.upsert([chunk])
    assert await index.document_chunks(chunk.doc_id, PUBLIC_ONLY) == [chunk]
    await index.delete_documents([chunk.doc_id])
    assert await index.document_chunks(chunk.doc_id, PUBLIC_ONLY) == []


async def test_delete_by_doc_id_and_document_ids(index: AzureSearchIndex) -> None:
    policy = corpus.POLICY[0].doc_id
    assert [c.id for c in await index.document_chunks(policy, PUBLIC_ONLY)] == [
        c.id for c in corpus.POLICY
    ]
    await index.delete_documents([policy])
    assert await index.document_chunks(policy, PUBLIC_ONLY) == []
    ids = await index.document_ids()
    assert policy not in ids and corpus.RAD_ANTRAG[0].doc_id in ids
    assert await index.document_ids(POLICIES) == set()


async def test_batches_of_configured_size(service: FakeSearchService, endpoint: str) -> None:
    idx = AzureSearchIndex(endpoint, service.api_key, INDEX, batch_size=4)
    await idx.upsert(corpus.ALL_CHUNKS)
    await idx.close()
    batches = [b for m, p, b in service.requests if p.endswith("search.index")]
    assert [len(b["value"]) for b in batches] == [4, 4, 3]


async def test_429_then_success_honours_retry_after(
    service: FakeSearchService, endpoint: str
) -> None:
    service.faults.append(Fault("docs/search.index", 429, {"retry-after-ms": "300"}))
    idx = AzureSearchIndex(endpoint, service.api_key, INDEX)
    start = time.monotonic()
    await idx.upsert(corpus.POLICY)
    waited = time.monotonic() - start
    await idx.close()
    posts = [p for m, p, b in service.requests if p.endswith("search.index")]
    assert len(posts) == 2 and len(service.docs[INDEX]) == len(corpus.POLICY)
    # A lower bound, kept on purpose: waiting as long as the service asked is the behaviour
    # itself, and a loaded machine can only make the wait longer, never shorter.
    assert waited >= 0.3


async def test_503_on_search_is_retried(
    index: AzureSearchIndex, service: FakeSearchService
) -> None:
    service.faults.append(Fault("search.post.search", 503, {"Retry-After": "0"}))
    results = await index.search(SearchQuery(text="Dienstvereinbarung"))
    assert doc_ids(results) == [corpus.POLICY[0].doc_id]


async def test_throttled_items_in_a_batch_are_retried(
    service: FakeSearchService, endpoint: str
) -> None:
    idx = AzureSearchIndex(endpoint, service.api_key, INDEX, item_retry_delay=0.01)
    await idx.ensure_index()
    service.flaky_keys[encode_key(corpus.POLICY[1].id)] = 503
    await idx.upsert(corpus.POLICY)
    batches = [b for m, p, b in service.requests if p.endswith("search.index")]
    assert [len(b["value"]) for b in batches] == [3, 1]
    assert len(service.docs[INDEX]) == 3
    service.flaky_keys[encode_key(corpus.POLICY[2].id)] = 400  # not retryable: a clear error
    with pytest.raises(AzureSearchError, match="did not accept 1 document"):
        await idx.upsert(corpus.POLICY)
    await idx.close()


async def test_missing_index_reads_as_empty_and_ping_explains(
    service: FakeSearchService, endpoint: str
) -> None:
    idx = AzureSearchIndex(endpoint, service.api_key, "not-there")
    assert (await idx.search(SearchQuery(text="Radverkehr"))).total == 0
    assert await idx.document_chunks("x", PUBLIC_ONLY) == []
    with pytest.raises(AzureSearchError, match="run `kiw index`"):
        await idx.ping()
    await idx.close()


def test_endpoint_is_required() -> None:
    with pytest.raises(ValueError, match="KIW_AZURE_SEARCH_ENDPOINT"):
        AzureSearchIndex("", "key", INDEX)


async def test_listing_pages_by_key(service: FakeSearchService, endpoint: str) -> None:
    idx = AzureSearchIndex(endpoint, service.api_key, INDEX, page_size=2)
    await idx.upsert(corpus.ALL_CHUNKS)
    assert await idx.document_ids() == {c.doc_id for c in corpus.ALL_CHUNKS}
    assert await idx.document_chunks(corpus.POLICY[0].doc_id, PUBLIC_ONLY) == corpus.POLICY
    await idx.delete_documents([corpus.POLICY[0].doc_id])
    assert corpus.POLICY[0].doc_id not in await idx.document_ids()
    scans = [b for b in service.searches() if b.get("orderby") == "key asc"]
    assert any("key gt '" in (b.get("filter") or "") for b in scans)  # really paged
    await idx.close()


async def test_retry_after_as_http_date(
    index: AzureSearchIndex, service: FakeSearchService
) -> None:
    # A date in the past means "now"; the search still goes through after one retry.
    past = "Wed, 21 Oct 2015 07:28:00 GMT"
    service.faults.append(Fault("search.post.search", 429, {"Retry-After": past}))
    before = len(service.searches())
    results = await index.search(SearchQuery(text="Dienstvereinbarung"))
    assert doc_ids(results) == [corpus.POLICY[0].doc_id]
    assert len(service.searches()) - before == 2
