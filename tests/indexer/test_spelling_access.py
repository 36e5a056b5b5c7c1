"""Spelling correction respects access: a typo is corrected only towards words of chunks the
caller may read (indexer/corpus_words.py's visibility keys), in both backends; a store written
before the keys is cleared and filled again."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from indexer import corpus_words
from indexer.azure_search import AzureSearchIndex
from indexer.corpus_words import STORE_FILE, CorpusWords
from indexer.embedded import EmbeddedIndex
from indexer.model import COUNCIL, POLICIES, PUBLIC, Chunk, SearchQuery
from tests.indexer import search_corpus as corpus
from tests.indexer.azure_search_server import FakeSearchService, serve

GROUP = "fraktion-x"
PUBLIC_ONLY = frozenset({PUBLIC})
MEMBER = frozenset({PUBLIC, GROUP})
# Only a faction-internal paper speaks of it.
HIDDEN = corpus.paper(
    90,
    "Falkenstein-Gutachten zur Rheinbrücke",
    ["Das Falkenstein-Gutachten empfiehlt, die Sanierung der Rheinbrücke vorzuziehen."],
    reference="2025/0990",
    access=(GROUP,),
)
TYPO = "Was empfiehlt das Falkenstien-Gutachten?"
FIXED = "Was empfiehlt das Falkenstein-Gutachten?"


def _chunk(n: int, text: str, access: tuple[str, ...], collection: str = COUNCIL) -> Chunk:
    return Chunk(
        id=f"d{n}#0",
        doc_id=f"d{n}",
        collection=collection,
        title="Papier",
        text=text,
        access=access,
    )


def test_the_store_counts_words_by_who_may_read_them(tmp_path: Path) -> None:
    store = CorpusWords(tmp_path)
    store.record(
        [
            _chunk(1, "Der Haushaltsplan steht fest.", (PUBLIC,)),
            _chunk(2, "Das Falkenstein-Gutachten bleibt intern.", (GROUP, "ausschuss-bau")),
            _chunk(3, "Die Vorgabe gilt.", ("personalrat",), collection=POLICIES),
        ]
    )
    public = store.spelling(COUNCIL, PUBLIC_ONLY)
    assert "falkenstein" not in public.counts and public.counts["haushaltsplan"] == 1
    assert public.correction("falkenstien") is None
    # A word used anywhere is no typo, whoever may read it: left as typed, nothing shown.
    assert public.correction("falkenstein") is None
    assert store.spelling(COUNCIL, MEMBER).correction("falkenstien") == "falkenstein"
    assert store.spelling(COUNCIL, frozenset({"ausschuss-bau"})).counts["falkenstein"] == 1
    # A group of the other collection adds nothing here: the public corrector, shared.
    assert store.spelling(COUNCIL, frozenset({PUBLIC, "personalrat"})) is public
    assert store.spelling(POLICIES, PUBLIC_ONLY).correction("vorgbe") is None
    assert store.spelling(POLICIES, frozenset({"personalrat"})).correction("vorgbe") == "vorgabe"
    # Every collection together: still only the caller's words.
    assert "falkenstein" not in store.spelling(None, PUBLIC_ONLY).counts
    assert store.spelling(None, MEMBER).counts["falkenstein"] == 1
    # A chunk made public later counts under the collection; its group key is emptied.
    store.record([_chunk(2, "Das Falkenstein-Gutachten ist veröffentlicht.", (PUBLIC,))])
    assert store.spelling(COUNCIL, PUBLIC_ONLY).correction("falkenstien") == "falkenstein"
    store.delete_documents(["d2"])
    assert "falkenstein" not in store.spelling(COUNCIL, MEMBER).counts
    store.close()


async def test_embedded_corrects_towards_words_the_caller_may_read(tmp_path: Path) -> None:
    index = EmbeddedIndex(tmp_path / "index")
    await index.upsert([*corpus.ALL_CHUNKS, *HIDDEN])
    try:
        public = await index.corrected(TYPO, COUNCIL, PUBLIC_ONLY)
        everywhere = await index.corrected(TYPO, None, PUBLIC_ONLY)
        member = await index.corrected(TYPO, COUNCIL, MEMBER)
        found = await index.search(SearchQuery(text="Falkenstien", access=MEMBER))
        hidden = await index.search(SearchQuery(text="Falkenstien"))
    finally:
        await index.close()
    assert public == TYPO and everywhere == TYPO
    assert member == FIXED
    assert [h.chunk.doc_id for h in found.hits] == [HIDDEN[0].doc_id]
    assert not hidden.hits


async def test_azure_query_is_corrected_only_for_the_group(tmp_path: Path) -> None:
    service = FakeSearchService()
    async with serve(service) as endpoint:
        index = AzureSearchIndex(
            endpoint, service.api_key, "kiw-spelling", item_retry_delay=0.01, words_folder=tmp_path
        )
        await index.upsert([*corpus.ALL_CHUNKS, *HIDDEN])
        try:
            await index.search(SearchQuery(text="Falkenstien Rheinbrücke"))
            member = await index.search(SearchQuery(text="Falkenstien Rheinbrücke", access=MEMBER))
        finally:
            await index.close()
    sent = [s["search"] for s in service.searches()]
    assert sent[0] == "Falkenstien Rheinbrücke"
    assert not any("Falkenstein" in s for s in sent[:-1])  # the public user's attempts
    assert sent[-1] == "Falkenstein Rheinbrücke"
    assert [h.chunk.doc_id for h in member.hits] == [HIDDEN[0].doc_id]


async def test_a_store_without_visibility_is_filled_again(tmp_path: Path) -> None:
    folder = tmp_path / "index"
    index = EmbeddedIndex(folder)
    await index.upsert([*corpus.ALL_CHUNKS, *HIDDEN])
    await index.close()
    # The store as written before the visibility keys: every word under its collection.
    (folder / STORE_FILE).unlink()
    old = sqlite3.connect(folder / STORE_FILE)
    old.executescript(
        "CREATE TABLE chunk_words (chunk_id TEXT PRIMARY KEY, doc_id TEXT, collection TEXT,"
        " words TEXT);"
        "CREATE TABLE counts (collection TEXT, word TEXT, n INTEGER, PRIMARY KEY (collection,"
        " word)) WITHOUT ROWID;"
        "INSERT INTO counts VALUES ('council', 'falkenstein', 1);"
    )
    old.commit()
    old.close()
    index = EmbeddedIndex(folder)
    try:
        assert await index.corrected(TYPO, COUNCIL, PUBLIC_ONLY) == TYPO  # cleared, not leaked
        await index.embed_pending()  # what `kiw index` runs after writing
        assert await index.corrected(TYPO, COUNCIL, PUBLIC_ONLY) == TYPO
        assert await index.corrected(TYPO, COUNCIL, MEMBER) == FIXED
        assert await index.corrected("Radverkers", COUNCIL, PUBLIC_ONLY) == "Radverkehrs"
    finally:
        await index.close()


def test_a_full_cache_drops_a_group_corrector_not_the_public_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(corpus_words, "_MAX_SPELLINGS", 3)
    store = CorpusWords(tmp_path)
    groups = [f"fraktion-{n}" for n in range(4)]
    store.record(
        [_chunk(1, "Der Haushaltsplan steht fest.", (PUBLIC,))]
        + [_chunk(10 + n, f"Das Gutachten {g} bleibt intern.", (g,)) for n, g in enumerate(groups)]
    )
    public = store.spelling(COUNCIL, PUBLIC_ONLY)
    first = store.spelling(COUNCIL, frozenset({PUBLIC, groups[0]}))
    for g in groups[1:]:
        store.spelling(COUNCIL, frozenset({PUBLIC, g}))
    # The public corrector every turn reads is kept; the oldest group corrector made room.
    assert store.spelling(COUNCIL, PUBLIC_ONLY) is public
    assert store.spelling(COUNCIL, frozenset({PUBLIC, groups[0]})) is not first
    store.close()
