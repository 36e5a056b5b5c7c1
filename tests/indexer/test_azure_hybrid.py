"""The vector leg of the Azure backend: the real azure-search-documents SDK against the loopback
Azure AI Search (tests/indexer/azure_search_server.py), vectors from the real e5 encoder, from
the openai SDK against the loopback OpenAI server, or from a fixed test encoder."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from dataclasses import replace
from pathlib import Path

import pytest
from azure.core.credentials import AzureKeyCredential
from azure.search.documents.aio import SearchClient
from azure.search.documents.indexes.aio import SearchIndexClient

from indexer.azure_search import AzureSearchIndex, _text_schema, to_document
from indexer.azure_vectors import ENCODER_FIELD, HASH_FIELD, not_embedded, vector_field_name
from indexer.embedded import EmbeddedIndex
from indexer.encoder_openai import OpenAIEmbeddingEncoder
from indexer.encoders import E5Encoder
from indexer.model import COUNCIL, PUBLIC, Chunk, SearchQuery
from kiw_common.openai_connection import OpenAIConnection
from tests.indexer import search_corpus as corpus
from tests.indexer.azure_search_server import FakeSearchService, serve
from tests.skills.openai_server import FakeOpenAI, Reply, openai_server

INDEX = "kiw-hybrid"
PUBLIC_ONLY = frozenset({PUBLIC})
WITH_FACTION = frozenset({PUBLIC, corpus.FACTION})
PARAPHRASE = "Wann haben die Schwimmhallen geöffnet?"  # BAEDER: "Öffnungszeiten der … Bäder"


class FixedEncoder:
    """Two directions: passages naming the secret plan, and everything else. A question about
    a "geheime Route" points exactly at the secret plan while sharing none of its words."""

    name = "fixed-test/1"
    dim = 3

    def embed_passages(self, texts: Sequence[str]) -> list[list[float]]:
        return [[1.0, 0.0, 0.0] if corpus.SECRET_WORD in t else [0.0, 1.0, 0.0] for t in texts]

    def embed_query(self, text: str) -> list[float]:
        return [1.0, 0.0, 0.0] if "geheime" in text else [0.0, 0.0, 1.0]


@pytest.fixture(scope="module")
def e5() -> E5Encoder:
    return E5Encoder()


@pytest.fixture
async def openai() -> AsyncIterator[FakeOpenAI]:
    async with openai_server() as fake:
        yield fake


def hit_ids(results: object) -> list[str]:
    return [h.chunk.id for h in results.hits]  # type: ignore[attr-defined]


def stored(service: FakeSearchService) -> list[dict[str, object]]:
    return list(service.docs[INDEX].values())


async def test_schema_carries_the_encoders_vector_field_and_hnsw_profile(
    service: FakeSearchService, endpoint: str, e5: E5Encoder
) -> None:
    idx = AzureSearchIndex(endpoint, service.api_key, INDEX, encoder=e5)
    await idx.upsert(corpus.POLICY)
    await idx.close()
    schema = service.indexes[INDEX]
    fields = {f["name"]: f for f in schema["fields"]}
    vec = fields[vector_field_name(e5.name)]
    assert vec["type"] == "Collection(Edm.Single)" and vec["dimensions"] == 384
    assert vec["searchable"] and vec["retrievable"] is False
    profile = schema["vectorSearch"]["profiles"][0]
    assert vec["vectorSearchProfile"] == profile["name"]
    algorithm = schema["vectorSearch"]["algorithms"][0]
    assert profile["algorithm"] == algorithm["name"] and algorithm["kind"] == "hnsw"
    assert algorithm["hnswParameters"]["metric"] == "cosine"
    for doc in stored(service):
        assert doc[ENCODER_FIELD] == e5.name and len(doc[HASH_FIELD]) == 32  # type: ignore[arg-type]
        assert len(doc[vector_field_name(e5.name)]) == 384  # type: ignore[arg-type]


async def test_hybrid_query_finds_a_paraphrase_the_text_leg_misses(
    service: FakeSearchService, endpoint: str, e5: E5Encoder
) -> None:
    plain_service = FakeSearchService()
    async with serve(plain_service) as plain_url:
        plain = AzureSearchIndex(plain_url, plain_service.api_key, INDEX)
        await plain.upsert(corpus.ALL_CHUNKS)
        assert (await plain.search(SearchQuery(text=PARAPHRASE))).total == 0
        await plain.close()
    idx = AzureSearchIndex(endpoint, service.api_key, INDEX, encoder=e5, vector_weight=1.5)
    await idx.upsert(corpus.ALL_CHUNKS)
    results = await idx.search(SearchQuery(text=PARAPHRASE, top=3))
    await idx.close()
    assert hit_ids(results)[0] == corpus.BAEDER[0].id
    queries = [b for b in service.searches() if "vectorQueries" in b]
    assert len(queries) == 3  # all words, fuzzy, any word: none matched by text
    body = queries[0]
    assert body["search"] and body["searchMode"] == "all"
    assert body["filter"].startswith("access/any(g: search.in(g, 'public', ','))")
    (vq,) = body["vectorQueries"]
    assert vq["kind"] == "vector" and vq["fields"] == vector_field_name(e5.name)
    assert vq["k"] == 50 and vq["weight"] == 1.5 and len(vq["vector"]) == 384
    assert body["vectorFilterMode"] == "preFilter"
    # A vector-only hit carries no highlight; the snippet is the start of its text.
    assert "**" not in results.hits[0].snippet and results.hits[0].snippet


async def test_a_text_match_keeps_its_highlights_and_leads_the_fusion(
    service: FakeSearchService, endpoint: str, e5: E5Encoder
) -> None:
    idx = AzureSearchIndex(endpoint, service.api_key, INDEX, encoder=e5)
    await idx.upsert(corpus.ALL_CHUNKS)
    results = await idx.search(SearchQuery(text="Bebauungsplan Nordstadt"))
    await idx.close()
    assert hit_ids(results)[0] == corpus.HAUSHALT_PLAIN[0].id
    assert "**Bebauungsplan**" in results.hits[0].snippet
    queries = [b for b in service.searches() if "vectorQueries" in b]
    assert len(queries) == 1  # the text leg matched: no fallback request


async def test_vector_leg_never_returns_what_the_caller_may_not_read(
    service: FakeSearchService, endpoint: str
) -> None:
    idx = AzureSearchIndex(endpoint, service.api_key, INDEX, encoder=FixedEncoder())
    await idx.upsert(corpus.ALL_CHUNKS)
    secret = corpus.FACTION_INTERNAL[0]
    question = "Wohin führt die geheime Route?"  # no word of it is in any passage
    member = await idx.search(SearchQuery(text=question, access=WITH_FACTION))
    assert hit_ids(member)[0] == secret.id  # the vector leg's nearest neighbour
    outsider = await idx.search(SearchQuery(text=question, access=PUBLIC_ONLY, top=50))
    assert secret.id not in hit_ids(outsider) and outsider.hits
    assert outsider.total == len(corpus.ALL_CHUNKS) - 1
    assert "Fraktion Grüne" not in outsider.facets["organization"]
    assert all(corpus.SECRET_WORD not in h.snippet for h in outsider.hits)
    # Asked for exactly one neighbour, the outsider still gets one visible document: the
    # filter is applied before the k nearest are chosen, not after.
    one = await idx.search(SearchQuery(text=question, access=PUBLIC_ONLY, top=1))
    assert len(one.hits) == 1 and one.hits[0].chunk.id != secret.id
    await idx.close()


async def test_an_index_from_before_vectors_gets_them_from_its_stored_text(
    service: FakeSearchService, endpoint: str, openai: FakeOpenAI
) -> None:
    # The index as the code before vectors made it: its schema and its documents, nothing else.
    credential = AzureKeyCredential(service.api_key)
    async with SearchIndexClient(endpoint, credential) as admin:
        await admin.create_or_update_index(_text_schema(INDEX))
    async with SearchClient(endpoint, INDEX, credential) as client:
        await client.upload_documents([to_document(c) for c in corpus.ALL_CHUNKS])
    assert ENCODER_FIELD not in str(service.indexes[INDEX])
    encoder = OpenAIEmbeddingEncoder(
        model="emb", connection=OpenAIConnection(base_url=openai.base_url), dim=64
    )
    idx = AzureSearchIndex(endpoint, service.api_key, INDEX, encoder=encoder, page_size=4)
    # A bot started before the upgrade searches by keywords only, without an error.
    before = await idx.search(SearchQuery(text="Radverkehr"))
    assert before.total > 0 and "vectorQueries" not in service.searches()[-1]
    uploads_before = sum(1 for _, p, _ in service.requests if p.endswith("search.index"))
    done = await idx.vectorise_pending()
    assert done == len(corpus.ALL_CHUNKS)
    field = vector_field_name(encoder.name)
    for doc in stored(service):
        assert doc[ENCODER_FIELD] == encoder.name and len(doc[field]) == 64  # type: ignore[arg-type]
    # Vectors were merged in (only the vector fields sent), from the text the index holds.
    batches = [b for _, p, b in service.requests if p.endswith("search.index")][uploads_before:]
    actions = [a for b in batches for a in b["value"]]
    assert {a["@search.action"] for a in actions} == {"merge"}
    assert all(
        set(a) == {"@search.action", "key", field, ENCODER_FIELD, HASH_FIELD} for a in actions
    )
    embedded = [t for r in openai.received for t in r.body["input"]]
    assert any(corpus.BAEDER[0].text in t and corpus.BAEDER[0].title in t for t in embedded)
    # Done is done: the index run's embedding step finds nothing pending and embeds nothing.
    calls = len(openai.received)
    seen: list[tuple[int, int]] = []
    report = await idx.embed_pending(progress=lambda done, total: seen.append((done, total)))
    assert (report.encoder, report.embedded, report.vectors) == (encoder.name, 0, done)
    assert len(openai.received) == calls and seen == []
    after = await idx.search(SearchQuery(text="Radverkehr"))
    assert service.searches()[-1]["vectorQueries"][0]["fields"] == field and after.hits
    await asyncio.to_thread(encoder.close)
    await idx.close()


async def test_a_changed_encoder_revectorises_into_its_own_field(
    service: FakeSearchService, endpoint: str, openai: FakeOpenAI, e5: E5Encoder
) -> None:
    first = AzureSearchIndex(endpoint, service.api_key, INDEX, encoder=FixedEncoder())
    await first.upsert(corpus.ALL_CHUNKS)
    await first.close()
    encoder = OpenAIEmbeddingEncoder(
        model="emb", connection=OpenAIConnection(base_url=openai.base_url), dim=64
    )
    idx = AzureSearchIndex(endpoint, service.api_key, INDEX, encoder=encoder, page_size=4)
    seen: list[tuple[int, int]] = []
    report = await idx.embed_pending(progress=lambda done, total: seen.append((done, total)))
    assert report.embedded == report.vectors == len(corpus.ALL_CHUNKS)
    assert seen == [(4, 11), (8, 11), (11, 11)]  # progress per page, of all that was pending
    fields = {f["name"] for f in service.indexes[INDEX]["fields"]}
    # Azure cannot drop a field in place: the old one stays, the new one is filled and used.
    assert {vector_field_name(FixedEncoder.name), vector_field_name(encoder.name)} <= fields
    assert all(d[ENCODER_FIELD] == encoder.name for d in stored(service))
    await idx.search(SearchQuery(text=PARAPHRASE))
    assert service.searches()[-1]["vectorQueries"][0]["fields"] == vector_field_name(encoder.name)
    # Switching vectors off keeps the schema valid: the update keeps every existing field.
    off = AzureSearchIndex(endpoint, service.api_key, INDEX)
    await off.ensure_index()
    assert {f["name"] for f in service.indexes[INDEX]["fields"]} == fields
    await off.close()
    await asyncio.to_thread(encoder.close)
    await idx.close()


async def test_unchanged_passages_keep_their_vectors_on_replace(
    service: FakeSearchService, endpoint: str, openai: FakeOpenAI
) -> None:
    encoder = OpenAIEmbeddingEncoder(
        model="emb", connection=OpenAIConnection(base_url=openai.base_url), dim=64
    )
    idx = AzureSearchIndex(endpoint, service.api_key, INDEX, encoder=encoder)
    policy = corpus.POLICY
    await idx.replace_documents({policy[0].doc_id: policy}, [])
    assert [len(r.body["input"]) for r in openai.received] == [3]
    changed = [policy[0], replace(policy[1], text="§ 2 Grundsätze. Neu gefasst."), policy[2]]
    await idx.replace_documents({policy[0].doc_id: changed[:2]}, [])
    assert [r.body["input"] for r in openai.received][-1] == [
        f"{policy[1].title}\n§ 2 Grundsätze. Neu gefasst."
    ]
    chunks = await idx.document_chunks(policy[0].doc_id, PUBLIC_ONLY)
    assert [c.text for c in chunks] == [changed[0].text, changed[1].text]  # stale #2 is gone
    field = vector_field_name(encoder.name)
    assert all(len(d[field]) == 64 for d in stored(service))  # type: ignore[arg-type]
    await asyncio.to_thread(encoder.close)
    await idx.close()


async def test_an_encoder_outage_loses_nothing_and_the_next_run_adds_the_vectors(
    service: FakeSearchService, endpoint: str
) -> None:
    async with openai_server(FakeOpenAI()) as fake:
        fake.embedding_replies += [Reply(status=500, headers={"retry-after-ms": "1"})] * 3
        encoder = OpenAIEmbeddingEncoder(
            model="emb", connection=OpenAIConnection(base_url=fake.base_url), dim=64
        )
        idx = AzureSearchIndex(endpoint, service.api_key, INDEX, encoder=encoder)
        await idx.upsert(corpus.POLICY)
        assert len(service.docs[INDEX]) == 3
        assert all(d.get(ENCODER_FIELD) is None for d in stored(service))
        assert (await idx.search(SearchQuery(text="Dienstvereinbarung"))).total > 0
        assert await idx.vectorise_pending() == 3
        assert all(d[ENCODER_FIELD] == encoder.name for d in stored(service))
        await asyncio.to_thread(encoder.close)
        await idx.close()


async def test_vector_fields_are_not_searched_as_words(
    service: FakeSearchService, endpoint: str
) -> None:
    # The loopback service once scored the floats of vector fields as text: "0" matched every
    # vectorised passage. Only vector queries search a vector field.
    writer = AzureSearchIndex(endpoint, service.api_key, INDEX, encoder=FixedEncoder())
    await writer.upsert(corpus.ALL_CHUNKS)
    keywords = AzureSearchIndex(endpoint, service.api_key, INDEX)
    assert (await keywords.search(SearchQuery(text="0"))).total == 0
    assert (await keywords.search(SearchQuery(text="Radverkehr"))).total > 0
    await keywords.close()
    await writer.close()


class CountingEncoder(FixedEncoder):
    """FixedEncoder that remembers every passage it was asked to embed."""

    def __init__(self) -> None:
        self.passages: list[str] = []

    def embed_passages(self, texts: Sequence[str]) -> list[list[float]]:
        self.passages += texts
        return super().embed_passages(texts)


def council_paper_with_files() -> list[Chunk]:
    """An overview (no file), a long file of five passages and a short one: the choice keeps
    the overview, the long file's first two passages and the short file's only one."""
    doc_id = "https://ris.example.test/oparl/papers/90"
    files = [None, *["file-long"] * 5, "file-short"]
    return [
        Chunk(
            id=f"{doc_id}#{n}",
            doc_id=doc_id,
            collection=COUNCIL,
            title="Sanierung der Stadtbibliothek",
            text=f"Abschnitt {n}: Die Stadtbibliothek erhält neue Fenster und eine Rampe.",
            access=(PUBLIC,),
            paper_type="Beschlussvorlage",
            file_id=file_id,
        )
        for n, file_id in enumerate(files)
    ]


def with_vectors(service: FakeSearchService, encoder_name: str) -> set[str]:
    field = vector_field_name(encoder_name)
    return {str(d["id"]) for d in stored(service) if d.get(field)}


async def test_azure_embeds_the_same_passages_as_the_embedded_backend(
    service: FakeSearchService, endpoint: str, tmp_path: Path
) -> None:
    chunks = council_paper_with_files()
    expected = {c.id for c in chunks if c.id.rsplit("#")[1] in {"0", "1", "2", "6"}}
    local = EmbeddedIndex(tmp_path / "index", encoder=FixedEncoder())
    await local.upsert(chunks)
    local_report = await local.embed_pending()
    assert local_report.vectors == len(expected)
    await local.close()
    encoder = CountingEncoder()
    idx = AzureSearchIndex(endpoint, service.api_key, INDEX, encoder=encoder)
    await idx.replace_documents({chunks[0].doc_id: chunks}, [])
    assert with_vectors(service, encoder.name) == expected
    assert len(encoder.passages) == len(expected)
    others = [d for d in stored(service) if d["id"] not in expected]
    assert {d[ENCODER_FIELD] for d in others} == {not_embedded(encoder.name)}
    # The later passages are still found by their words, and nothing is pending.
    found = await idx.search(SearchQuery(text="Abschnitt 4 Stadtbibliothek", semantic=False))
    assert f"{chunks[0].doc_id}#4" in hit_ids(found)
    report = await idx.embed_pending()
    assert (report.embedded, report.vectors) == (0, len(expected))
    assert len(encoder.passages) == len(expected)
    await idx.close()


async def test_an_old_index_gets_vectors_for_the_chosen_passages_only(
    service: FakeSearchService, endpoint: str
) -> None:
    chunks = council_paper_with_files()
    expected = {c.id for c in chunks if c.id.rsplit("#")[1] in {"0", "1", "2", "6"}}
    credential = AzureKeyCredential(service.api_key)
    async with SearchIndexClient(endpoint, credential) as admin:
        await admin.create_or_update_index(_text_schema(INDEX))
    async with SearchClient(endpoint, INDEX, credential) as client:
        await client.upload_documents([to_document(c) for c in chunks])
    encoder = CountingEncoder()
    # Pages of three: the choice still sees the whole document, not the page.
    idx = AzureSearchIndex(endpoint, service.api_key, INDEX, encoder=encoder, page_size=3)
    seen: list[tuple[int, int]] = []
    report = await idx.embed_pending(progress=lambda done, total: seen.append((done, total)))
    assert (report.embedded, report.vectors) == (len(expected), len(expected))
    assert seen[-1] == (len(chunks), len(chunks))
    assert with_vectors(service, encoder.name) == expected
    again = await idx.embed_pending()
    assert (again.embedded, again.vectors) == (0, len(expected))
    assert len(encoder.passages) == len(expected)
    await idx.close()
