"""A faction-internal document never reaches someone outside the faction, on both backends:
not in hits, totals, facets, snippets, document_chunks or find_reference."""

from __future__ import annotations

from dataclasses import replace

import pytest

from indexer.model import PUBLIC, SearchIndex, SearchQuery
from tests.indexer import search_corpus as corpus

INTERNAL = corpus.FACTION_INTERNAL[0]
OUTSIDERS = [frozenset({PUBLIC}), frozenset({PUBLIC, "fraktion-spd", "bauausschuss"})]
MEMBER = frozenset({PUBLIC, corpus.FACTION})


@pytest.fixture
def index(corpus_index: SearchIndex) -> SearchIndex:
    return corpus_index  # both backends (tests/indexer/conftest.py)


def leaks(results: object) -> list[str]:
    """Every trace of the internal document in a result set."""
    found = []
    for hit in results.hits:  # type: ignore[attr-defined]
        if hit.chunk.doc_id == INTERNAL.doc_id:
            found.append(f"hit {hit.chunk.id}")
        if corpus.SECRET_WORD.casefold() in hit.snippet.casefold() or "Vertraulich" in hit.snippet:
            found.append(f"snippet {hit.snippet!r}")
    for name, counts in results.facets.items():  # type: ignore[attr-defined]
        if "Fraktion Grüne" in counts:
            found.append(f"facet {name}")
    return found


@pytest.mark.parametrize("access", OUTSIDERS, ids=["public", "other-groups"])
async def test_outsider_never_sees_the_faction_document(
    index: SearchIndex, access: frozenset[str]
) -> None:
    for text in [
        corpus.SECRET_WORD,  # only in the internal document
        "Geheimplan Radverkehr",  # falls back to fuzzy / any word
        "Geheimplam",  # a typo of it (fuzzy)
        "2026/0777",  # its reference
        "Radverkehrsförderung Straßenbahn",
        "Radverkehr",
        "Fraktionsinterne Strategie",
    ]:
        results = await index.search(SearchQuery(text=text, access=access))
        assert leaks(results) == [], text
        assert all(h.chunk.access != INTERNAL.access for h in results.hits)
    secret = await index.search(SearchQuery(text=corpus.SECRET_WORD, access=access))
    assert secret.total == 0 and secret.hits == ()
    by_id = await index.search(
        SearchQuery(text="Radverkehr", access=access, doc_id=INTERNAL.doc_id)
    )
    assert by_id.total == 0
    assert await index.document_chunks(INTERNAL.doc_id, access) == []
    assert await index.find_reference("2026/0777", access) is None


async def test_totals_and_facets_count_only_visible_chunks(index: SearchIndex) -> None:
    outsider = await index.search(SearchQuery(text="Radverkehr", access=OUTSIDERS[0]))
    member = await index.search(SearchQuery(text="Radverkehr", access=MEMBER))
    assert member.total == outsider.total + 1
    assert member.facets["organization"].get("Fraktion Grüne") == 1
    assert "Fraktion Grüne" not in outsider.facets["organization"]
    assert sum(outsider.facets["paper_type"].values()) == outsider.total


async def test_chunk_without_groups_is_visible_to_nobody(index: SearchIndex) -> None:
    orphan = replace(corpus.POLICY[0], id="orphan#0", doc_id="orphan", access=())
    await index.upsert([orphan])
    for access in [*OUTSIDERS, MEMBER]:
        assert await index.document_chunks("orphan", access) == []
        results = await index.search(SearchQuery(text="Geltungsbereich", access=access))
        assert "orphan" not in {h.chunk.doc_id for h in results.hits}


async def test_member_sees_it_everywhere(index: SearchIndex) -> None:
    results = await index.search(SearchQuery(text=corpus.SECRET_WORD, access=MEMBER))
    assert [h.chunk.doc_id for h in results.hits] == [INTERNAL.doc_id]
    assert corpus.SECRET_WORD in results.hits[0].snippet
    assert await index.document_chunks(INTERNAL.doc_id, MEMBER) == corpus.FACTION_INTERNAL
    assert await index.find_reference("2026/0777", MEMBER) == INTERNAL.doc_id


async def test_allris_web_link_finds_its_paper_only_for_those_entitled(index: SearchIndex) -> None:
    """A pasted ALLRIS link carries ALLRIS's row id (VOLFDNR), not the OParl id or reference."""
    public = replace(
        INTERNAL,
        id="https://ris.example/papers/1664#0",
        doc_id="https://ris.example/papers/1664",
        access=(PUBLIC,),
        source_ids=("VOLFDNR=1664", "reference=VO/2026/1664"),
    )
    internal = replace(INTERNAL, source_ids=("VOLFDNR=1665",))
    await index.upsert([public, internal])
    link = "https://ratsinfo.luebeck.de/bi/vo020.asp?VOLFDNR=1664&options=4"
    assert await index.find_reference(link, OUTSIDERS[0]) == public.doc_id
    assert await index.find_reference("volfdnr=01664", OUTSIDERS[0]) == public.doc_id
    for access in OUTSIDERS:
        assert await index.find_reference("vo020.asp?VOLFDNR=1665", access) is None
    assert await index.find_reference("vo020.asp?VOLFDNR=1665", MEMBER) == internal.doc_id
    assert await index.find_reference("VOLFDNR=9999", MEMBER) is None
