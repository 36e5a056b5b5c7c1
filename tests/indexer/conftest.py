"""Shared set-up of the indexer tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from indexer.azure_search import AzureSearchIndex
from indexer.embedded import EmbeddedIndex
from indexer.model import SearchIndex
from tests.indexer import search_corpus as corpus
from tests.indexer.azure_search_server import FakeSearchService, serve


@pytest.fixture(params=["embedded", "azure"])
async def corpus_index(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[SearchIndex]:
    """The search corpus in each backend: the embedded index and Azure (loopback service)."""
    if request.param == "embedded":
        idx: SearchIndex = EmbeddedIndex(tmp_path / "index")
        await idx.upsert(corpus.ALL_CHUNKS)
        yield idx
        await idx.close()
        return
    service = FakeSearchService()
    async with serve(service) as endpoint:
        azure = AzureSearchIndex(endpoint, service.api_key, "kiw-corpus")
        await azure.upsert(corpus.ALL_CHUNKS)
        yield azure
        await azure.close()


@pytest.fixture
def service() -> FakeSearchService:
    """The loopback Azure AI Search service (tests/indexer/azure_search_server.py), empty."""
    return FakeSearchService()


@pytest.fixture
async def endpoint(service: FakeSearchService) -> AsyncIterator[str]:
    """`service` served over HTTP on loopback: its base URL."""
    async with serve(service) as url:
        yield url
