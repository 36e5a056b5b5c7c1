"""Spelling's tables are built before the first question (`CorpusWords.warm`, called when the
bot starts), and rebuilt in the background after another process's commit: a turn gets the
correctors it had meanwhile, then the new ones."""

from __future__ import annotations

from pathlib import Path

import pytest

from indexer import corpus_words
from indexer.corpus_words import CorpusWords
from indexer.embedded import EmbeddedIndex
from indexer.model import COUNCIL, POLICIES, PUBLIC, Chunk
from tests.indexer import search_corpus as corpus

TABLES = ("_stems", "_everyday", "_by_length", "_parts")


def _chunk(n: int, text: str) -> Chunk:
    return Chunk(id=f"d{n}#0", doc_id=f"d{n}", collection=COUNCIL, title="Papier", text=text)


def built(spelling: object) -> bool:
    """Whether the corrector's lazy tables are there (cached_property keeps them in vars)."""
    return all(name in vars(spelling) for name in TABLES)


async def test_warm_up_builds_the_tables_of_every_collection(tmp_path: Path) -> None:
    index = EmbeddedIndex(tmp_path / "index")
    await index.upsert(corpus.ALL_CHUNKS)
    await index.close()
    index = EmbeddedIndex(tmp_path / "index")  # a fresh process, as the bot starts
    try:
        words = index._words
        assert not built(words.spelling(COUNCIL))
        await index.warm_up()
        council, policies = words.spelling(COUNCIL), words.spelling(POLICIES)
        assert built(council) and built(policies)
        assert await index.corrected("Radverkers", COUNCIL, frozenset({PUBLIC})) == "Radverkehrs"
        assert words.spelling(COUNCIL) is council  # the turn used the warmed corrector
    finally:
        await index.close()


def test_another_process_commit_is_rebuilt_in_the_background(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bot, indexer = CorpusWords(tmp_path), CorpusWords(tmp_path)
    indexer.record([_chunk(1, "Die Haushaltsplanung beginnt.")])
    bot.warm([COUNCIL])
    before = bot.spelling(COUNCIL)
    assert before.correction("rheinbrueke") is None
    indexer.record([_chunk(2, "Die Rheinbrücke wird saniert.")])
    monkeypatch.setattr(corpus_words, "RELOAD_SECONDS", 0.0)
    during = bot.spelling(COUNCIL)  # notices the commit, does not wait for the rebuild
    bot.wait_for_refresh(timeout=30)
    after = bot.spelling(COUNCIL)
    assert during is before
    assert after is not before and built(after)
    assert after.correction("rheinbrueke") == "rheinbruecke"  # folded
    # A write of this process itself drops its correctors at once (no stale answer).
    bot.record([_chunk(3, "Der Stadtpark wird erweitert.")])
    assert bot.spelling(COUNCIL).correction("stadpark") == "stadtpark"
    bot.close()
    indexer.close()
