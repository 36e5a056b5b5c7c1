from __future__ import annotations

import asyncio
import subprocess
import sys
import textwrap
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from indexer.embedded import EmbeddedIndex
from indexer.embedded_writer import IndexBusyError
from indexer.model import COUNCIL, POLICIES, PUBLIC, SearchQuery
from tests.conftest import REPO
from tests.indexer import search_corpus as corpus


@pytest.fixture
async def index(tmp_path: Path) -> AsyncIterator[EmbeddedIndex]:
    idx = EmbeddedIndex(tmp_path / "index")
    await idx.upsert(corpus.ALL_CHUNKS)
    yield idx
    await idx.close()


def doc_ids(results: object) -> list[str]:
    hits = results.hits  # type: ignore[attr-defined]
    return list(dict.fromkeys(h.chunk.doc_id for h in hits))


async def search(index: EmbeddedIndex, text: str, **kw: object) -> list[str]:
    return doc_ids(await index.search(SearchQuery(text=text, **kw)))  # type: ignore[arg-type]


RAD_ANTRAG = corpus.RAD_ANTRAG[0].doc_id
RAD_VORLAGE = corpus.RAD_VORLAGE[0].doc_id
POLICY = corpus.POLICY[0].doc_id
BAEDER = corpus.BAEDER[0].doc_id


async def test_inflected_query_finds_base_form(index: EmbeddedIndex) -> None:
    assert (await search(index, "Dienstvereinbarungen"))[0] == POLICY


async def test_compound_query_finds_split_form_and_vice_versa(index: EmbeddedIndex) -> None:
    compound = await search(index, "Radverkehrsförderung")
    assert RAD_ANTRAG in compound and RAD_VORLAGE in compound
    split = await search(index, "Förderung des Radverkehrs")
    assert RAD_VORLAGE in split and RAD_ANTRAG in split
    # The part "Verwaltung" is found inside "Stadtverwaltung".
    assert POLICY in await search(index, "Künstliche Intelligenz Verwaltung")


async def test_compound_with_an_unknown_part_falls_back_to_the_known_one(
    index: EmbeddedIndex,
) -> None:
    # "Planung" occurs nowhere: the last resort searches the known part "Radverkehr".
    results = await index.search(SearchQuery(text="Radverkehrsplanung"))
    assert RAD_ANTRAG in doc_ids(results)
    assert any("**Radverkehr" in h.snippet for h in results.hits)
    assert (await index.search(SearchQuery(text="Quallenplanung"))).total == 0


async def test_umlaut_spellings(index: EmbeddedIndex) -> None:
    assert (await search(index, "Aenderung Oeffnungszeiten Baeder"))[0] == BAEDER
    assert BAEDER in await search(index, "strassenbahn")


async def test_reference_with_or_without_prefix(index: EmbeddedIndex) -> None:
    for typed in ("VO/2025/12345", "2025/12345", "2025/012345", "vo / 2025 / 12345"):
        assert (await search(index, typed))[0] == RAD_VORLAGE, typed
    assert (await search(index, "2026/541"))[0] == BAEDER
    # Prefix matters when two papers share the number.
    assert (await search(index, "DHH/2026/0012"))[0] == corpus.HAUSHALT_DHH[0].doc_id
    assert (await search(index, "2026/0012"))[0] == corpus.HAUSHALT_PLAIN[0].doc_id


async def test_find_reference(index: EmbeddedIndex) -> None:
    public = frozenset({PUBLIC})
    assert await index.find_reference("VO/2025/12345", public) == RAD_VORLAGE
    assert await index.find_reference("2025/12345", public) == RAD_VORLAGE
    assert await index.find_reference("2026/0012", public) == corpus.HAUSHALT_PLAIN[0].doc_id
    assert await index.find_reference("DHH/2026/12", public) == corpus.HAUSHALT_DHH[0].doc_id
    assert await index.find_reference("2099/1", public) is None
    assert await index.find_reference("kein Aktenzeichen", public) is None


async def test_typo_falls_back_to_fuzzy(index: EmbeddedIndex) -> None:
    results = await index.search(SearchQuery(text="Dienstvereinbarnug"))
    assert doc_ids(results)[0] == POLICY
    assert "**Dienstvereinbarung**" in results.hits[0].snippet


async def test_highlights_inflections_and_compounds(index: EmbeddedIndex) -> None:
    results = await index.search(SearchQuery(text="Radverkehrsförderung", doc_id=RAD_ANTRAG))
    snippet = results.hits[0].snippet
    assert "**Förderung**" in snippet and "**Radverkehrs**" in snippet
    vorlage = await index.search(SearchQuery(text="Förderung Radverkehr", doc_id=RAD_VORLAGE))
    assert "**Radverkehrsförderung**" in vorlage.hits[0].snippet


async def test_filters(index: EmbeddedIndex) -> None:
    assert await search(index, "Förderung", collection=POLICIES) == []
    assert await search(index, "Künstliche Intelligenz", collection=POLICIES) == [POLICY]
    assert await search(index, "Radverkehr", paper_type="beschlussvorlage") == [RAD_VORLAGE]
    assert await search(index, "Radverkehr", organization="bauausschuss") == [RAD_VORLAGE]
    internal = frozenset({PUBLIC, corpus.FACTION})
    by_word = await search(index, "Radverkehr", organization="Grüne", access=internal)
    assert by_word == [corpus.FACTION_INTERNAL[0].doc_id]  # "Fraktion Grüne" by one word
    assert await search(index, "Radverkehr", organization="Sportausschuss Bau") == []
    ranged = await search(
        index, "Radverkehr", date_from=date(2025, 1, 1), date_to=date(2025, 3, 10)
    )
    assert ranged == [RAD_ANTRAG]
    assert await search(index, "Radverkehr", doc_id=RAD_VORLAGE) == [RAD_VORLAGE]
    results = await index.search(SearchQuery(text="Radverkehr", collection=COUNCIL))
    assert results.facets["paper_type"] == {"Antrag": 3, "Beschlussvorlage": 1}
    assert results.total == 4


async def test_any_query_string_is_safe(index: EmbeddedIndex) -> None:
    for text in ['Rad* AND "(" OR ) ~ ^2 \\ : [a TO b] {', "", "   ", "x" * 2000, "Rad " * 500]:
        results = await index.search(SearchQuery(text=text))
        assert results.total >= 0
    assert (await index.search(SearchQuery(text=""))).total == 0


async def test_paging_top_and_offset(index: EmbeddedIndex) -> None:
    first = await index.search(SearchQuery(text="Radverkehr", top=2))
    second = await index.search(SearchQuery(text="Radverkehr", top=2, offset=2))
    assert len(first.hits) == 2 and first.total == second.total == 4
    assert {h.chunk.id for h in first.hits}.isdisjoint({h.chunk.id for h in second.hits})


async def test_upsert_replaces_and_delete_removes(index: EmbeddedIndex) -> None:
    changed = replace(corpus.BAEDER[0], text="Das Hallenbad schließt wegen Sanierung.")
    await index.upsert([changed])
    assert await search(index, "Hallenbad") == [BAEDER]
    assert await search(index, "Mai") == []  # the old text is gone
    await index.delete_documents([BAEDER])
    assert await search(index, "Hallenbad") == []
    assert BAEDER not in await index.document_ids()
    assert await index.document_ids(POLICIES) == {POLICY}


async def test_document_chunks_in_reading_order(index: EmbeddedIndex) -> None:
    chunks = await index.document_chunks(POLICY, frozenset({PUBLIC}))
    assert [c.id for c in chunks] == [c.id for c in corpus.POLICY]
    assert chunks == corpus.POLICY  # every field survives the round trip
    assert await index.document_chunks("https://nope.example.test/1", frozenset({PUBLIC})) == []


async def test_empty_index_answers(tmp_path: Path) -> None:
    idx = EmbeddedIndex(tmp_path / "fresh")
    await idx.ping()
    assert (await idx.search(SearchQuery(text="Radverkehr"))).total == 0
    assert await idx.document_ids() == set()
    await idx.close()


def _run_writer(path: Path, body: str) -> subprocess.CompletedProcess[str]:
    """Run `body` (async code using `idx`) in a separate Python process."""
    head = [
        "import asyncio, sys",
        "from pathlib import Path",
        "from indexer.embedded import EmbeddedIndex",
        "from indexer.embedded_writer import IndexBusyError",
        "from indexer.model import Chunk",
        "async def main():",
        f"    idx = EmbeddedIndex(Path({str(path)!r}))",
        "    try:",
    ]
    tail = ["    finally:", "        await idx.close()", "asyncio.run(main())"]
    code = textwrap.indent(textwrap.dedent(body).strip("\n"), " " * 8)
    script = "\n".join([*head, code, *tail])
    return subprocess.run(
        [sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=60
    )


async def test_second_writer_is_refused_in_plain_words_and_readers_see_commits(
    index: EmbeddedIndex, tmp_path: Path
) -> None:
    # This process holds the writer (it indexed the corpus): another process cannot write.
    busy = _run_writer(
        tmp_path / "index",
        """
        try:
            await idx.upsert([Chunk(id="x#0", doc_id="x", collection="council", title="t", text="t")])
        except IndexBusyError as exc:
            print(exc)
            sys.exit(7)
        """,
    )
    assert busy.returncode == 7, busy.stderr
    assert "another process" in busy.stdout and "Only one writer" in busy.stdout
    await index.close()  # releases the lock; this instance keeps serving reads

    assert await search(index, "Zeppelinlandeplatz") == []
    wrote = _run_writer(
        tmp_path / "index",
        """
        await idx.upsert([Chunk(id="z#0", doc_id="z", collection="council",
                                title="Zeppelinlandeplatz", text="Ein Zeppelinlandeplatz.")])
        """,
    )
    assert wrote.returncode == 0, wrote.stderr
    assert await search(index, "Zeppelinlandeplatz") == ["z"]


async def test_busy_error_in_same_process(index: EmbeddedIndex, tmp_path: Path) -> None:
    other = EmbeddedIndex(tmp_path / "index")
    with pytest.raises(IndexBusyError):
        await other.upsert(corpus.POLICY)
    await other.close()


async def test_searches_run_while_the_same_process_writes(index: EmbeddedIndex) -> None:
    new = [
        replace(corpus.POLICY[0], id=f"neu{i}#0", doc_id=f"neu{i}", text=f"Zusatzregel {i}")
        for i in range(20)
    ]

    async def write() -> None:
        for chunk in new:
            await index.upsert([chunk])

    async def read() -> list[int]:
        return [(await index.search(SearchQuery(text="Radverkehr"))).total for _ in range(20)]

    _, totals = await asyncio.gather(write(), read())
    assert set(totals) == {4}  # readers were never disturbed
    assert (await index.search(SearchQuery(text="Zusatzregel", top=50))).total == 20


async def test_compounds_of_early_chunks_are_split_once_the_vocabulary_grew(
    tmp_path: Path,
) -> None:
    idx = EmbeddedIndex(tmp_path / "grow")
    await idx.upsert(corpus.RAD_VORLAGE)  # alone: "Radverkehrsförderung" cannot be split yet
    assert await search(idx, "Förderung Radverkehr", doc_id=RAD_VORLAGE) == []
    await idx.upsert([c for c in corpus.ALL_CHUNKS if c.doc_id != RAD_VORLAGE])
    await idx.close()  # the writer session ends: early chunks are analysed again
    assert await search(idx, "Förderung Radverkehr", doc_id=RAD_VORLAGE) == [RAD_VORLAGE]
    assert await idx.document_chunks(RAD_VORLAGE, frozenset({PUBLIC})) == corpus.RAD_VORLAGE


async def test_early_chunks_are_split_again_before_the_embedding_step(tmp_path: Path) -> None:
    # The embedding step is the long part of a run and the likeliest to be stopped (Ctrl-C,
    # a deploy): the keyword index must be complete when it begins, not only at close().
    idx = EmbeddedIndex(tmp_path / "grow")
    await idx.upsert(corpus.RAD_VORLAGE)
    await idx.upsert([c for c in corpus.ALL_CHUNKS if c.doc_id != RAD_VORLAGE])
    await idx.embed_pending()  # no encoder here: the step only brings the vector store up to date
    bot = EmbeddedIndex(tmp_path / "grow")  # another process's reader, e.g. the bot
    try:
        assert await search(bot, "Förderung Radverkehr", doc_id=RAD_VORLAGE) == [RAD_VORLAGE]
    finally:
        await bot.close()
        await idx.close()
