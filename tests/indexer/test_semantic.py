"""Semantic retrieval in the embedded index, on the production path (the real E5 encoder):
paraphrase found, security trimming on the vector leg, incremental and resumable embedding,
an older index catching up, the switch to turn it off."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import AsyncIterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from bot.services import build_index
from bot.settings import Settings
from indexer.embedded import EmbeddedIndex
from indexer.encoders import E5Encoder
from indexer.model import COUNCIL, POLICIES, PUBLIC, Chunk, SearchQuery
from indexer.vectors import STORE_FILE
from tests.skills.corpus import sample_chunks

FACTION = "fraktion-gruen"
SAMPLES = sample_chunks()  # the project's sample corpus, as `kiw index samples` indexes it


def chunk(n: int, text: str, **kw: object) -> Chunk:
    doc = str(kw.pop("doc", f"file:policies/regel-{n}.md"))
    fields: dict[str, object] = {
        "id": f"{doc}#{n}",
        "doc_id": doc,
        "collection": POLICIES,
        "title": "Dienstvereinbarung KI",
        "text": text,
    }
    fields.update(kw)
    return Chunk(**fields)  # type: ignore[arg-type]


# The nearest passage for WATCH, readable by one faction only.
INTERNAL = chunk(
    99,
    "Vorgesetzte dürfen nicht überwachen, wie oft ihre Beschäftigten die KI nutzen.",
    doc="file:policies/fraktion-intern.md",
    title="Interne Absprache zur KI-Nutzung",
    access=(FACTION,),
)
WATCH = "Kann mein Vorgesetzter meine KI-Nutzung überwachen?"
# Written for this test in everyday words: the rules say "KI-Pass", "zwei Jahre gültig".
VALIDITY = "Ab wann verfällt meine Berechtigung für die KI?"
VALIDITY_PASSAGES = {"Gültigkeit und Verlängerung", "§ 7 KI-Pass und Qualifizierung"}


def settings(data_dir: Path, *, semantic: bool = True) -> Settings:
    return Settings(_env_file=None, data_dir=data_dir, semantic=semantic)  # type: ignore[call-arg]


async def production_index(data_dir: Path, chunks: Sequence[Chunk] = SAMPLES) -> EmbeddedIndex:
    index = build_index(settings(data_dir))
    assert isinstance(index, EmbeddedIndex)
    await index.upsert(list(chunks))
    await index.embed_pending()
    return index


def ids(results: object) -> list[str]:
    return [h.chunk.id for h in results.hits]  # type: ignore[attr-defined]


def headings(results: object) -> list[str | None]:
    return [h.chunk.heading for h in results.hits]  # type: ignore[attr-defined]


@pytest.fixture
async def index(data_dir: Path) -> AsyncIterator[EmbeddedIndex]:
    idx = await production_index(data_dir, [*SAMPLES, INTERNAL])
    yield idx
    await idx.close()


async def test_the_production_index_ranks_a_paraphrase_first(index: EmbeddedIndex) -> None:
    keywords = await index.search(SearchQuery(text=VALIDITY, semantic=False))
    assert keywords.hits and keywords.hits[0].chunk.heading not in VALIDITY_PASSAGES
    hybrid = await index.search(SearchQuery(text=VALIDITY))
    assert hybrid.hits[0].chunk.heading in VALIDITY_PASSAGES
    assert hybrid.total >= keywords.total


async def test_gibberish_finds_nothing(index: EmbeddedIndex) -> None:
    """Every query has nearest neighbours; the vector leg does not answer alone."""
    results = await index.search(SearchQuery(text="xqzt vbnmq"))
    assert results.hits == () and results.total == 0


async def test_the_vector_leg_never_returns_what_the_caller_may_not_read(
    index: EmbeddedIndex,
) -> None:
    member = await index.search(SearchQuery(text=WATCH, access=frozenset({FACTION})))
    assert ids(member)[0] == INTERNAL.id  # it is the best passage for this question
    for access in (frozenset({PUBLIC}), frozenset({PUBLIC, "fraktion-spd"})):
        for text in (WATCH, VALIDITY, "Vorgesetzte überwachen", "überwachen"):
            results = await index.search(SearchQuery(text=text, access=access, top=50))
            assert INTERNAL.id not in ids(results)
            assert all("Interne Absprache" not in h.snippet for h in results.hits)
        # The hidden passage does not displace a visible one either.
        public = await index.search(SearchQuery(text=WATCH, access=access, top=1))
        assert len(public.hits) == 1


async def test_the_vector_leg_keeps_the_query_filters(index: EmbeddedIndex) -> None:
    everything = await index.search(SearchQuery(text=VALIDITY, top=50))
    keywords = await index.search(SearchQuery(text=VALIDITY, top=50, semantic=False))
    assert everything.total > keywords.total  # vector candidates took part
    checks = [
        (SearchQuery(text=VALIDITY, collection=COUNCIL), lambda c: c.collection == COUNCIL),
        (SearchQuery(text=VALIDITY, doc_id=INTERNAL.doc_id), lambda c: False),
        (
            SearchQuery(text=VALIDITY, date_from=date(2026, 4, 1)),
            lambda c: c.date is not None and c.date >= date(2026, 4, 1),
        ),
        (SearchQuery(text=VALIDITY, paper_type="Antrag"), lambda c: c.paper_type == "Antrag"),
        (
            SearchQuery(text=VALIDITY, organization="SPD-Fraktion"),
            lambda c: "SPD-Fraktion" in c.organizations,
        ),
    ]
    for query, holds in checks:
        results = await index.search(replace(query, top=50))
        assert all(holds(h.chunk) for h in results.hits), query


async def test_a_changed_access_reaches_a_reader_whose_vectors_are_older(data_dir: Path) -> None:
    """Another process makes a document internal; this reader's matrix still says public for a
    few seconds, but every vector candidate is confirmed by the engine with today's access."""
    reader = await production_index(data_dir)
    await reader.close()  # it stays usable for searching; the writer lock goes to `writer`
    writer = EmbeddedIndex(data_dir / "index")
    try:
        first = (await reader.search(SearchQuery(text=VALIDITY))).hits[0].chunk
        assert first.heading in VALIDITY_PASSAGES
        whole = [c for c in SAMPLES if c.doc_id == first.doc_id]
        await writer.upsert([replace(c, access=(FACTION,)) for c in whole])
        results = await reader.search(SearchQuery(text=VALIDITY, top=50))
        assert first.doc_id not in {h.chunk.doc_id for h in results.hits}
    finally:
        await writer.close()
        await reader.close()


async def test_a_query_naming_a_reference_is_left_to_the_keywords(index: EmbeddedIndex) -> None:
    paper = next(c for c in SAMPLES if c.reference and c.collection == COUNCIL)
    keywords = await index.search(SearchQuery(text=f"{paper.reference} {VALIDITY}", semantic=False))
    hybrid = await index.search(SearchQuery(text=f"{paper.reference} {VALIDITY}"))
    assert ids(hybrid) == ids(keywords) and hybrid.hits[0].chunk.doc_id == paper.doc_id


# ---------------------------------------------------------------- embedding: incremental

LOGS = chunk(1, "Protokolldaten werden nach 90 Tagen gelöscht.", heading="§ 5 Protokollierung")
PASS = chunk(
    2, "Beschäftigte dürfen KI-Anwendungen erst nutzen, wenn sie den KI-Pass erworben haben."
)
BAU = chunk(
    3,
    "Der Bauausschuss tagt monatlich im Rathaus.",
    doc="https://ris.example.test/papers/3",
    collection=COUNCIL,
    title="Sitzungsplan",
)
CORPUS = [LOGS, PASS, BAU, INTERNAL]


class RenamedE5(E5Encoder):
    name = "e5-small-q4/renamed"


class Interrupted(Exception):
    pass


class StopsAfter(E5Encoder):
    """The real encoder, killed (an exception) on its `calls`+1-th batch."""

    def __init__(self, calls: int) -> None:
        super().__init__()
        self.calls = calls

    def embed_passages(self, texts: Sequence[str]) -> list[list[float]]:
        if self.calls == 0:
            raise Interrupted
        self.calls -= 1
        return super().embed_passages(texts)


async def test_embedding_is_incremental(data_dir: Path) -> None:
    index = await production_index(data_dir, CORPUS)
    try:
        assert (await index.embed_pending()).embedded == 0  # nothing changed
        # A replaced document keeps the vectors of its unchanged passages.
        await index.delete_documents([LOGS.doc_id, PASS.doc_id])
        await index.upsert([LOGS, replace(PASS, text=PASS.text + " Der Pass gilt zwei Jahre.")])
        again = await index.embed_pending()
        assert again.embedded == 1 and again.pruned == 1 and again.vectors == len(CORPUS)
    finally:
        await index.close()
    renamed = EmbeddedIndex(data_dir / "index", encoder=RenamedE5())
    try:
        report = await renamed.embed_pending()
        assert report.embedded == len(CORPUS) and report.pruned == len(CORPUS)
        assert report.vectors == len(CORPUS)
    finally:
        await renamed.close()


async def test_an_interrupted_embedding_run_resumes(data_dir: Path) -> None:
    more = [
        chunk(10 + n, f"Regel {n}: Dienstreisen sind {n} Tage vorher zu beantragen.")
        for n in range(6)
    ]
    index = EmbeddedIndex(data_dir / "index", encoder=StopsAfter(calls=2))
    await index.upsert(CORPUS + more)
    with pytest.raises(Interrupted):
        await index.embed_pending(batch_size=3)
    await index.close()
    resumed = EmbeddedIndex(data_dir / "index", encoder=E5Encoder())
    try:
        report = await resumed.embed_pending(batch_size=3)
        assert report.embedded == len(CORPUS) + len(more) - 6 and report.vectors == 10
    finally:
        await resumed.close()


class HeldOnFirstBatch(E5Encoder):
    """The real encoder; its first batch waits until the test lets it go."""

    def __init__(self) -> None:
        super().__init__()
        self.batches = 0
        self.started = threading.Event()
        self.release = threading.Event()

    def embed_passages(self, texts: Sequence[str]) -> list[list[float]]:
        self.batches += 1
        self.started.set()
        self.release.wait()
        return super().embed_passages(texts)


async def test_a_cancelled_embedding_step_ends_after_its_batch(data_dir: Path) -> None:
    # Ctrl-C on `kiw index` cancels the run; the step's thread cannot be stopped from outside,
    # so it must notice and end after the batch it is computing (which is kept).
    executor = ThreadPoolExecutor(max_workers=1)  # a job queued behind the step runs after it
    asyncio.get_running_loop().set_default_executor(executor)
    more = [
        chunk(20 + n, f"Regel {n}: Urlaub ist {n} Wochen vorher zu beantragen.") for n in range(6)
    ]
    encoder = HeldOnFirstBatch()
    index = EmbeddedIndex(data_dir / "index", encoder=encoder)
    await index.upsert(CORPUS + more)
    step = asyncio.create_task(index.embed_pending(batch_size=3))
    with ThreadPoolExecutor(max_workers=1) as waiter:
        await asyncio.get_running_loop().run_in_executor(waiter, encoder.started.wait)
    step.cancel()
    with pytest.raises(asyncio.CancelledError):
        await step
    encoder.release.set()
    await asyncio.get_running_loop().run_in_executor(None, lambda: None)  # the step has ended
    assert encoder.batches == 1
    resumed = await index.embed_pending(batch_size=3)
    assert resumed.embedded == len(CORPUS) + len(more) - 3
    assert resumed.vectors == len(CORPUS) + len(more)
    await index.close()
    executor.shutdown()


async def test_an_index_built_before_vectors_gets_them_from_its_stored_text(
    data_dir: Path,
) -> None:
    old = EmbeddedIndex(data_dir / "index")
    await old.upsert(SAMPLES)
    await old.close()
    (data_dir / "index" / STORE_FILE).unlink()  # as an index written by the previous version
    index = build_index(settings(data_dir))
    assert isinstance(index, EmbeddedIndex)
    try:
        before = await index.search(SearchQuery(text=VALIDITY))
        assert before.hits[0].chunk.heading not in VALIDITY_PASSAGES  # keywords only
        report = await index.embed_pending()
        assert report.recorded == len(SAMPLES) and report.embedded == report.vectors > 0
        after = await index.search(SearchQuery(text=VALIDITY))
        assert after.hits[0].chunk.heading in VALIDITY_PASSAGES
    finally:
        await index.close()


async def test_semantic_off_means_keywords_only(data_dir: Path) -> None:
    await (await production_index(data_dir)).close()
    index = build_index(settings(data_dir, semantic=False))
    try:
        results = await index.search(SearchQuery(text=VALIDITY))
        assert results.hits[0].chunk.heading not in VALIDITY_PASSAGES
    finally:
        await index.close()


async def test_a_store_of_the_old_layout_keeps_its_vectors(data_dir: Path) -> None:
    # Stores written before vectors moved to a rowid table (WITHOUT ROWID spilled every
    # vector to an overflow page): converted when opened, nothing embedded again.
    await (await production_index(data_dir, CORPUS)).close()
    path = data_dir / "index" / STORE_FILE
    db = sqlite3.connect(path)
    with db:
        db.execute("ALTER TABLE vectors RENAME TO v")
        db.execute(
            "CREATE TABLE vectors (text_hash TEXT NOT NULL, encoder TEXT NOT NULL, "
            "vector BLOB NOT NULL, PRIMARY KEY (text_hash, encoder)) WITHOUT ROWID"
        )
        db.execute("INSERT INTO vectors SELECT * FROM v")
        db.execute("DROP TABLE v")
    db.close()
    index = build_index(settings(data_dir))
    assert isinstance(index, EmbeddedIndex)
    try:
        report = await index.embed_pending()
        assert report.embedded == 0 and report.vectors == len(CORPUS)
        found = await index.search(SearchQuery(text=WATCH, access=frozenset({FACTION})))
        assert found.hits and found.hits[0].chunk.id == INTERNAL.id
    finally:
        await index.close()
    db = sqlite3.connect(path)
    [sql] = db.execute("SELECT sql FROM sqlite_master WHERE name = 'vectors'").fetchone()
    db.close()
    assert "WITHOUT ROWID" not in sql.upper()
