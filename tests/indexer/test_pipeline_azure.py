"""The same ingestion into the production backend: the real azure-search-documents SDK
against the local Azure AI Search fake (tests/indexer/azure_search_server.py)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from indexer.azure_search import AzureSearchIndex, from_document
from indexer.azure_vectors import ENCODER_FIELD, not_embedded, vector_field_name
from indexer.encoder_openai import OpenAIEmbeddingEncoder
from indexer.jobs import index_files, index_oparl
from indexer.model import PUBLIC
from indexer.passage_choice import chosen_for_embedding
from kiw_common.openai_connection import OpenAIConnection
from tests.conftest import shared_path
from tests.indexer.azure_search_server import FakeSearchService, serve
from tests.indexer.oparl_server import OParlTestServer, RunningServer
from tests.skills.openai_server import openai_server


@pytest.fixture
async def azure(tmp_path: Path) -> AsyncIterator[AzureSearchIndex]:
    service = FakeSearchService()
    async with serve(service) as url:
        idx = AzureSearchIndex(url, service.api_key, "kiw-ingest", item_retry_delay=0.01)
        yield idx
        await idx.close()


async def test_files_replace_their_chunks_in_azure(
    azure: AzureSearchIndex, tmp_path: Path, data_dir: Path
) -> None:
    doc = tmp_path / "dv.md"
    doc.write_text("---\ntitle: DV KI\nreference: DV-1\n---\n# § 1 Zweck\n" + "Regel. " * 400)
    await index_files([doc], azure, data_dir, collection="policies", root=tmp_path)
    first = await azure.document_chunks("file:dv.md", frozenset({PUBLIC}))
    assert len(first) > 2 and first[0].reference == "DV-1"
    doc.write_text("---\ntitle: DV KI\nreference: DV-1\n---\n# § 1 Zweck\nNur noch ein Satz.\n")
    await index_files([doc], azure, data_dir, collection="policies", root=tmp_path)
    second = await azure.document_chunks("file:dv.md", frozenset({PUBLIC}))
    assert [c.text for c in second][-1].endswith("Nur noch ein Satz.")
    assert len(second) == 2  # overview + one passage; no stale chunk of the long version


async def test_oparl_crawl_into_azure_and_delete(
    azure: AzureSearchIndex, tmp_path: Path, data_dir: Path
) -> None:
    shared_path("data", "karlsruhe", "papers.jsonl.gz")
    served = OParlTestServer(papers=6, include_tombstones=False, cache_dir=tmp_path / "pdf")
    async with RunningServer(served) as server:
        summary = await index_oparl(server.system_url, azure, data_dir, backoff_seconds=0.01)
        assert summary.complete and summary.chunks > 6
        ids = await azure.document_ids("council")
        victim = next(iter(served.papers))
        assert server.emitted(victim) in ids
        server.delete_paper(victim)
        again = await index_oparl(server.system_url, azure, data_dir, backoff_seconds=0.01)
        assert again.deleted == 1
        assert server.emitted(victim) not in await azure.document_ids("council")


async def test_files_embed_only_new_passages_in_azure(tmp_path: Path, data_dir: Path) -> None:
    service = FakeSearchService()
    async with serve(service) as url, openai_server() as fake:
        encoder = OpenAIEmbeddingEncoder(
            model="emb", connection=OpenAIConnection(base_url=fake.base_url), dim=64
        )
        azure = AzureSearchIndex(url, service.api_key, "kiw-ingest", encoder=encoder)
        doc = tmp_path / "dv.md"
        sections = [f"# § {n} Abschnitt {n}\nRegel Nummer {n} gilt für alle." for n in (1, 2, 3)]
        doc.write_text("---\ntitle: DV KI\n---\n" + "\n\n".join(sections))
        await index_files([doc], azure, data_dir, collection="policies", root=tmp_path)
        first = [t for r in fake.received for t in r.body["input"]]
        chunks = await azure.document_chunks("file:dv.md", frozenset({PUBLIC}))
        assert len(first) == len(chunks) >= 3
        sections[1] = "# § 2 Abschnitt 2\nRegel Nummer 2 gilt nur noch montags."
        doc.write_text("---\ntitle: DV KI\n---\n" + "\n\n".join(sections))
        await index_files([doc], azure, data_dir, collection="policies", root=tmp_path)
        second = [t for r in fake.received for t in r.body["input"]][len(first) :]
        assert len(second) == 1 and "nur noch montags" in second[0]  # the changed one only
        field = vector_field_name(encoder.name)
        assert all(d[ENCODER_FIELD] == encoder.name for d in service.docs["kiw-ingest"].values())
        assert all(len(d[field]) == 64 for d in service.docs["kiw-ingest"].values())
        await asyncio.to_thread(encoder.close)
        await azure.close()


async def test_next_oparl_run_vectorises_an_old_index_without_downloading(
    tmp_path: Path, data_dir: Path
) -> None:
    shared_path("data", "karlsruhe", "papers.jsonl.gz")
    service = FakeSearchService()
    served = OParlTestServer(papers=3, include_tombstones=False, cache_dir=tmp_path / "pdf")
    async with serve(service) as url, openai_server() as fake, RunningServer(served) as server:
        plain = AzureSearchIndex(url, service.api_key, "kiw-ingest")
        first = await index_oparl(server.system_url, plain, data_dir, backoff_seconds=0.01)
        await plain.close()
        assert first.complete and first.embedded == 0 and first.files > 0
        downloads = _downloads(server)
        encoder = OpenAIEmbeddingEncoder(
            model="emb", connection=OpenAIConnection(base_url=fake.base_url), dim=64
        )
        azure = AzureSearchIndex(url, service.api_key, "kiw-ingest", encoder=encoder)
        again = await index_oparl(server.system_url, azure, data_dir, backoff_seconds=0.01)
        docs = list(service.docs["kiw-ingest"].values())
        # The passages the embedded backend would embed (a council file's first ones).
        chosen = chosen_for_embedding([from_document(d) for d in docs])
        assert len(docs) == first.chunks and 0 < len(chosen) <= first.chunks
        assert again.embedded == again.vectors == len(chosen)
        assert again.files == 0 and _downloads(server) == downloads  # nothing fetched again
        assert {d["id"] for d in docs if d[ENCODER_FIELD] == encoder.name} == chosen
        assert all(
            d[ENCODER_FIELD] == not_embedded(encoder.name) for d in docs if d["id"] not in chosen
        )
        await asyncio.to_thread(encoder.close)
        await azure.close()


def _downloads(server: OParlTestServer) -> int:
    return sum(n for path, n in server.requests.items() if "/downloadfiles/" in path)
