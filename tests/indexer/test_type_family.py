"""A family of paper types as one filter, in both backends (the embedded index and Azure AI
Search over its loopback service, the real SDK), over real Karlsruhe papers: "Anträge" are
Karlsruhe's "Antrag" and its budget motions typed "Haushalt THH 6600"."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import pytest

from indexer.azure_search import AzureSearchIndex, type_set_filter
from indexer.embedded import EmbeddedIndex
from indexer.model import COUNCIL, PUBLIC, Chunk, SearchIndex, SearchQuery
from tests.indexer.azure_search_server import FakeSearchService, compile_filter, serve
from tests.skills.karlsruhe import PAPERS, paper_chunks

# Fahrradstraßen in Karlsruhe: a budget motion (vo/52796, "Haushalt THH 6600"), a motion
# (vo/51122, "Antrag"), two Vorlagen (vo/50018 Beschlussvorlage, vo/49111
# Informationsvorlage) and an amendment typed "Änderungs-/Ergänzungsantrag" (vo/54357),
# which the test makes internal to a faction.
BUDGET, MOTION, VORLAGE, INFO, AMENDMENT = 52796, 51122, 50018, 49111, 54357
FACTION = "fraktion-gruene"
MOTIONS = ("Antrag", "Haushalt THH 6600")


def _chunks() -> list[Chunk]:
    chunks = paper_chunks(BUDGET, MOTION, VORLAGE, INFO, AMENDMENT)
    return [
        replace(c, access=(FACTION,)) if c.doc_id == f"{PAPERS}{AMENDMENT}" else c for c in chunks
    ]


@pytest.fixture(params=["embedded", "azure"])
async def index(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[SearchIndex]:
    if request.param == "embedded":
        embedded = EmbeddedIndex(tmp_path / "index")
        await embedded.upsert(_chunks())
        yield embedded
        await embedded.close()
        return
    service = FakeSearchService()
    async with serve(service) as endpoint:
        azure = AzureSearchIndex(endpoint, service.api_key, "kiw-types")
        await azure.upsert(_chunks())
        yield azure
        await azure.close()


async def test_the_index_lists_the_types_the_caller_may_read(index: SearchIndex) -> None:
    public = frozenset({PUBLIC})
    assert await index.paper_types(COUNCIL, public) == {
        "Antrag",
        "Haushalt THH 6600",
        "Beschlussvorlage",
        "Informationsvorlage",
    }
    member = await index.paper_types(COUNCIL, frozenset({PUBLIC, FACTION}))
    assert "Änderungs-/Ergänzungsantrag" in member
    assert await index.paper_types("policies", public) == set()


async def test_a_type_set_filters_on_any_of_its_types(index: SearchIndex) -> None:
    query = SearchQuery(text="Fahrradstraße", collection=COUNCIL, paper_types=MOTIONS, top=50)
    found = await index.search(query)
    types = {h.chunk.paper_type for h in found.hits}
    assert types == set(MOTIONS)
    papers = {h.chunk.doc_id for h in found.hits}
    assert {f"{PAPERS}{BUDGET}", f"{PAPERS}{MOTION}"} <= papers
    # The exact type alone misses the budget motion: what the family filter is for.
    exact = await index.search(replace(query, paper_types=(), paper_type="Antrag"))
    assert f"{PAPERS}{BUDGET}" not in {h.chunk.doc_id for h in exact.hits}


async def test_a_type_set_keeps_the_access_trimming(index: SearchIndex) -> None:
    amendment = ("Änderungs-/Ergänzungsantrag",)
    query = SearchQuery(text="Radwege", collection=COUNCIL, paper_types=amendment, top=50)
    assert (await index.search(query)).hits == ()
    member = await index.search(replace(query, access=frozenset({PUBLIC, FACTION})))
    assert {h.chunk.doc_id for h in member.hits} == {f"{PAPERS}{AMENDMENT}"}


def test_the_odata_type_set_is_one_search_in_with_a_delimiter_no_type_has() -> None:
    expression = type_set_filter(["Antrag", "Haushalt THH 6600", "Änderungs-/Ergänzungsantrag"])
    assert expression.startswith("(search.in(paper_type_key, '")
    assert expression.endswith("', '|'))")
    keep = compile_filter(expression)
    assert keep({"paper_type_key": "antrag"})
    assert not keep({"paper_type_key": "beschlussvorlage"})
    # A delimiter inside a type name is compared on its own, not split.
    odd = compile_filter(type_set_filter(["A|B"]))
    assert odd({"paper_type_key": "a|b"}) and not odd({"paper_type_key": "a"})
