"""The real crawler and pipeline against the local OParl server serving the Karlsruhe corpus.

Over 400 lines on purpose: every test shares the one server and corpus fixtures above, and
the crawl's cases (paging, resume, faults, deletions, checkpoints) read best side by side.
"""

from __future__ import annotations

import asyncio
import copy
import json
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from indexer.embedded import EmbeddedIndex
from indexer.jobs import index_oparl
from indexer.model import PUBLIC, Chunk
from tests.conftest import shared_path
from tests.indexer.oparl_server import OParlTestServer, RunningServer, loopback_only_session

PUBLIC_ONLY = frozenset({PUBLIC})


@pytest.fixture(scope="session")
def pdf_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    shared_path("data", "karlsruhe", "texts.tar.gz")
    return tmp_path_factory.mktemp("pdf-cache")


@pytest.fixture
async def server(pdf_cache: Path) -> AsyncIterator[OParlTestServer]:
    async with RunningServer(OParlTestServer(papers=30, page_size=10, cache_dir=pdf_cache)) as s:
        yield s


@pytest.fixture
async def index(tmp_path: Path) -> AsyncIterator[EmbeddedIndex]:
    idx = EmbeddedIndex(tmp_path / "index")
    yield idx
    await idx.close()


async def crawl(server: OParlTestServer, index: Any, data_dir: Path, **kw: Any) -> Any:
    return await index_oparl(server.system_url, index, data_dir, backoff_seconds=0.01, **kw)


def emitted(server: OParlTestServer, original_id: str) -> str:
    return server.emitted(original_id)


def live_papers(server: OParlTestServer) -> list[dict[str, Any]]:
    return [p for p in server.papers.values() if not p.get("deleted")]


def paper_with_text_files(server: OParlTestServer) -> dict[str, Any]:
    for p in live_papers(server):
        numbers = [f["id"].rsplit("/", 1)[1] for f in p.get("auxiliaryFile", [])]
        if len(numbers) >= 2 and all(len(server.texts.get(n, "").strip()) > 500 for n in numbers):
            return p
    pytest.fail("no paper with two text files among the served papers")


def downloads(server: OParlTestServer) -> int:
    return sum(n for path, n in server.requests.items() if "/downloadfiles/" in path)


async def chunks_of(index: EmbeddedIndex, doc_id: str) -> list[Chunk]:
    return await index.document_chunks(doc_id, PUBLIC_ONLY)


async def test_full_crawl_indexes_papers_meetings_files_and_metadata(
    server: OParlTestServer, index: EmbeddedIndex, data_dir: Path
) -> None:
    summary = await crawl(server, index, data_dir)
    ids = await index.document_ids("council")
    papers = live_papers(server)
    assert {emitted(server, p["id"]) for p in papers} <= ids
    assert not any(
        emitted(server, p["id"]) in ids for p in server.papers.values() if p.get("deleted")
    )
    assert {emitted(server, m) for m in server.meetings} <= ids
    assert summary.complete and summary.changed == len(ids) and summary.deleted == 2  # tombstones
    # Karlsruhe emits /oparl/ URLs but answers under /ris/oparl/: every fetch was rewritten.
    assert server.requests and all(path.startswith("/ris/oparl/") for path in server.requests)
    # Scanned vote sheets have no text: skipped with the reason an admin needs.
    assert summary.skip_reasons().get("image-only PDF: kein Text, OCR nötig", 0) > 0

    paper = paper_with_text_files(server)
    chunks = await chunks_of(index, emitted(server, paper["id"]))
    overview, body = chunks[0], chunks[1:]
    assert overview.reference == paper["reference"] and paper["reference"] in overview.text
    assert overview.paper_type == paper["paperType"] and overview.title == paper["name"]
    assert overview.access == (PUBLIC,)
    assert "Beratungsfolge" in overview.text
    assert {c.file_id for c in body} == {emitted(server, f["id"]) for f in paper["auxiliaryFile"]}
    assert all(c.page is not None and c.page >= 1 for c in body)
    assert all(c.reference == paper["reference"] and c.date == overview.date for c in body)
    assert overview.organizations, "consultation committees and the responsible office by name"
    assert f"reference={paper['reference']}" in overview.source_ids


async def test_consultation_results_become_status(
    server: OParlTestServer, index: EmbeddedIndex, data_dir: Path
) -> None:
    await crawl(server, index, data_dir)
    decided = 0
    for paper in live_papers(server):
        results = [
            item.get("result")
            for c in paper.get("consultation", [])
            for item in server.meetings.get(c.get("meeting"), {}).get("agendaItem", [])
            if item["id"] == c.get("agendaItem") and item.get("result")
        ]
        chunk = (await chunks_of(index, emitted(server, paper["id"])))[0]
        if results:
            decided += 1
            assert chunk.status is not None
            assert all(r in chunk.status for r in results)
    assert decided > 0


async def test_rerun_without_changes_fetches_and_downloads_nothing(
    server: OParlTestServer, index: EmbeddedIndex, data_dir: Path
) -> None:
    await crawl(server, index, data_dir)
    before_chunks, before_downloads = index.count_chunks(), downloads(server)
    again = await crawl(server, index, data_dir)
    assert (again.fetched, again.changed, again.files, again.deleted) == (0, 0, 0, 0)
    assert downloads(server) == before_downloads
    assert index.count_chunks() == before_chunks


async def test_changed_paper_is_reindexed_and_reuses_unchanged_files(
    server: OParlTestServer, index: EmbeddedIndex, data_dir: Path
) -> None:
    await crawl(server, index, data_dir)
    paper = paper_with_text_files(server)
    doc_id = emitted(server, paper["id"])
    old = await chunks_of(index, doc_id)
    before = downloads(server)
    server.touch_paper(paper["id"], name="Geänderter Titel der Vorlage")
    summary = await crawl(server, index, data_dir)
    assert summary.fetched == 1 and summary.changed == 1
    assert summary.files == 0 and summary.files_reused == len(paper["auxiliaryFile"])
    assert downloads(server) == before
    new = await chunks_of(index, doc_id)
    assert {c.title for c in new} == {"Geänderter Titel der Vorlage"}
    assert [c.text for c in new[1:]] == [c.text for c in old[1:]]


async def test_deleted_paper_disappears(
    server: OParlTestServer, index: EmbeddedIndex, data_dir: Path
) -> None:
    await crawl(server, index, data_dir)
    victim = live_papers(server)[3]
    doc_id = emitted(server, victim["id"])
    assert doc_id in await index.document_ids()
    server.delete_paper(victim["id"])
    summary = await crawl(server, index, data_dir)
    assert summary.deleted == 1
    assert doc_id not in await index.document_ids()
    assert await chunks_of(index, doc_id) == []


async def test_new_result_in_a_meeting_refreshes_the_paper(
    server: OParlTestServer, index: EmbeddedIndex, data_dir: Path
) -> None:
    await crawl(server, index, data_dir)
    for paper in live_papers(server):
        consultation = next((c for c in paper.get("consultation", []) if c.get("agendaItem")), None)
        if consultation and consultation.get("meeting") in server.meetings:
            break
    else:
        pytest.fail("no paper with a consultation in a served meeting")
    server.set_result(consultation["agendaItem"], "mehrheitlich abgelehnt (geändert)")
    summary = await crawl(server, index, data_dir)
    assert (summary.fetched, summary.changed) == (2, 2)  # the meeting, the paper it decided
    chunk = (await chunks_of(index, emitted(server, paper["id"])))[0]
    assert chunk.status is not None and "mehrheitlich abgelehnt (geändert)" in chunk.status


class Killed(BaseException):
    """Stands in for SIGKILL: nothing after it runs, not even `except Exception`."""


class CrashingIndex:
    """Dies on the n-th upsert, like a process killed in the middle of a run."""

    def __init__(self, inner: EmbeddedIndex, crash_on: int) -> None:
        self.inner, self.crash_on, self.calls = inner, crash_on, 0

    async def upsert(self, chunks: Sequence[Chunk]) -> None:
        self.calls += 1
        if self.calls == self.crash_on:
            await self.inner.upsert(list(chunks)[: len(chunks) // 2])  # half a batch written
            raise Killed()
        await self.inner.upsert(chunks)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


async def test_killed_run_resumes_without_duplicates_or_losses(
    server: OParlTestServer, index: EmbeddedIndex, data_dir: Path, tmp_path: Path
) -> None:
    with pytest.raises(Killed):
        await crawl(server, CrashingIndex(index, crash_on=4), data_dir)
    state = list((data_dir / "index-state").glob("oparl-*.json"))
    assert len(state) == 1 and '"run"' in state[0].read_text()
    resumed = await crawl(server, index, data_dir)
    assert resumed.message and "resumed" in resumed.message
    assert resumed.fetched < 97 + len(server.meetings) + len(server.papers)

    reference = EmbeddedIndex(tmp_path / "reference")
    try:
        await crawl(server, reference, tmp_path / "reference-data")
        for doc_id in await reference.document_ids():
            want = [c.id for c in await chunks_of(reference, doc_id)]
            got = [c.id for c in await chunks_of(index, doc_id)]
            assert got == want, doc_id
        assert await index.document_ids() == await reference.document_ids()
        assert index.count_chunks() == reference.count_chunks()
    finally:
        await reference.close()


async def test_http_500_and_429_are_retried(
    server: OParlTestServer, index: EmbeddedIndex, data_dir: Path
) -> None:
    server.faults.statuses = [500, 503, 429, 500]
    server.faults.match = "/papers"
    summary = await crawl(server, index, data_dir)
    assert server.faults.statuses == []
    assert summary.complete
    assert {emitted(server, p["id"]) for p in live_papers(server)} <= await index.document_ids()


async def test_next_links_that_drop_modified_since_are_repaired(
    server: OParlTestServer, index: EmbeddedIndex, data_dir: Path
) -> None:
    await crawl(server, index, data_dir)
    changed = live_papers(server)[:12]  # more than one page of 10
    for p in changed:
        server.touch_paper(p["id"], name=p["name"] + " (neu)")
    server.faults.drop_since_in_next = True
    summary = await crawl(server, index, data_dir)
    assert summary.fetched == 12, "page 2 must still be filtered by modified_since"


async def test_a_file_that_always_fails_is_skipped_and_the_run_goes_on(
    server: OParlTestServer, index: EmbeddedIndex, data_dir: Path
) -> None:
    paper = paper_with_text_files(server)
    bad = paper["auxiliaryFile"][0]
    for key in ("downloadUrl", "accessUrl"):
        server.faults.fail_paths.add(
            bad[key].replace("https://web1.karlsruhe.de/oparl", "/ris/oparl")
        )
    summary = await crawl(server, index, data_dir)
    assert summary.complete  # every list was read; the file is a failure, not a gap
    assert len(summary.failures) == 1 and emitted(server, bad["id"]) in summary.failures[0]
    assert any(
        s.item == emitted(server, bad["id"]) and "HTTP 500" in s.reason for s in summary.skipped
    )
    chunks = await chunks_of(index, emitted(server, paper["id"]))
    assert emitted(server, bad["id"]) not in {c.file_id for c in chunks}
    assert emitted(server, paper["auxiliaryFile"][1]["id"]) in {c.file_id for c in chunks}
    # The server recovers: the next run fetches that paper again although it did not change.
    server.faults.fail_paths.clear()
    again = await crawl(server, index, data_dir)
    assert again.fetched == 1 and again.files == 1 and again.files_reused >= 1
    chunks = await chunks_of(index, emitted(server, paper["id"]))
    assert emitted(server, bad["id"]) in {c.file_id for c in chunks}
    third = await crawl(server, index, data_dir)
    assert third.fetched == 0


async def test_empty_download_url_and_wrong_mime_type(
    server: OParlTestServer, index: EmbeddedIndex, data_dir: Path
) -> None:
    paper = paper_with_text_files(server)
    files = copy.deepcopy(paper["auxiliaryFile"])
    files[0]["downloadUrl"] = ""
    files[0]["mimeType"] = "text/html"
    server.touch_paper(paper["id"], auxiliaryFile=files[0])  # one object instead of a list, too
    await crawl(server, index, data_dir)
    chunks = await chunks_of(index, emitted(server, paper["id"]))
    assert emitted(server, files[0]["id"]) in {c.file_id for c in chunks}
    assert any("/downloadfiles/a/" in path for path in server.requests)


async def test_identical_texts_on_two_papers_are_indexed_once(
    server: OParlTestServer, index: EmbeddedIndex, data_dir: Path
) -> None:
    source = paper_with_text_files(server)
    target = next(p for p in live_papers(server) if p["id"] != source["id"])
    copy_of = dict(
        source["auxiliaryFile"][0],
        id=source["auxiliaryFile"][0]["id"] + "0000",
        name="Protokoll (Kopie)",
    )
    server.touch_paper(target["id"], auxiliaryFile=[*target.get("auxiliaryFile", []), copy_of])
    summary = await crawl(server, index, data_dir)
    dup = [s for s in summary.skipped if s.reason.startswith("duplicate text of")]
    assert len(dup) == 1
    holders = [
        doc
        for doc in (source, target)
        if any(
            c.text and c.file_name in ("Protokoll (Kopie)", source["auxiliaryFile"][0]["name"])
            for c in (await chunks_of(index, emitted(server, doc["id"])))[1:]
        )
    ]
    assert len(holders) == 1


async def test_max_papers_stops_early_and_next_run_starts_over(
    server: OParlTestServer, index: EmbeddedIndex, data_dir: Path
) -> None:
    summary = await crawl(server, index, data_dir, max_papers=5)
    assert not summary.complete
    papers = {i for i in await index.document_ids() if "/papers/" in i}
    first_five = sorted(server.papers)[:5]  # the server lists by id; tombstones count too
    assert papers == {emitted(server, i) for i in first_five if not server.papers[i].get("deleted")}
    full = await crawl(server, index, data_dir)
    assert full.complete
    assert {emitted(server, p["id"]) for p in live_papers(server)} <= await index.document_ids()


async def test_max_papers_within_the_last_page_is_still_incomplete(
    pdf_cache: Path, index: EmbeddedIndex, data_dir: Path
) -> None:
    served = OParlTestServer(papers=8, page_size=50, cache_dir=pdf_cache)
    async with RunningServer(served) as server:
        summary = await crawl(server, index, data_dir, max_papers=3)
        assert not summary.complete and summary.message and "--max-papers" in summary.message
        rest = await crawl(server, index, data_dir)
    assert rest.complete and rest.changed > 3  # started over, not "nothing changed"


async def test_real_karlsruhe_ids_are_fetched_from_where_the_system_answers(
    pdf_cache: Path, index: EmbeddedIndex, data_dir: Path
) -> None:
    """The server emits https://web1.karlsruhe.de/oparl/… ids (as the real one does) but lives
    on loopback: the client learns the rewrite from the System's id and never goes outside."""
    served = OParlTestServer(papers=5, cache_dir=pdf_cache, emit_origin=True)
    async with RunningServer(served) as server, loopback_only_session() as session:
        summary = await index_oparl(
            server.system_url, index, data_dir, backoff_seconds=0.01, session=session
        )
    assert summary.complete and summary.files > 0
    papers = {i for i in await index.document_ids() if "/papers/" in i}
    assert papers == {p["id"] for p in live_papers(served)}
    assert all(i.startswith("https://web1.karlsruhe.de/oparl/bodies/0001/") for i in papers)


async def test_a_body_url_works_as_entry_point(
    server: OParlTestServer, index: EmbeddedIndex, data_dir: Path
) -> None:
    summary = await index_oparl(
        f"{server.base}/ris/oparl/bodies/0001", index, data_dir, backoff_seconds=0.01
    )
    assert summary.complete
    assert {emitted(server, p["id"]) for p in live_papers(server)} <= await index.document_ids()


async def test_full_run_removes_what_the_server_stopped_listing(
    server: OParlTestServer, index: EmbeddedIndex, data_dir: Path
) -> None:
    await crawl(server, index, data_dir)
    victim = live_papers(server)[5]
    doc_id = emitted(server, victim["id"])
    server.depublish_paper(victim["id"])
    incremental = await crawl(server, index, data_dir)
    assert incremental.deleted == 0 and doc_id in await index.document_ids()  # cannot know
    full = await crawl(server, index, data_dir, full=True)
    assert full.complete and full.changed >= len(live_papers(server))  # everything listed again
    assert full.files == 0  # unchanged files come back from the index, not the server
    assert doc_id not in await index.document_ids()
    assert {emitted(server, p["id"]) for p in live_papers(server)} <= await index.document_ids()
    again = await crawl(server, index, data_dir, full=True)
    assert again.deleted == 2  # only the two tombstones, listed on every full run


class SlowThenKilled:
    """Writes slowly (so the job prepares the next page meanwhile, as on a busy machine) and
    dies, like kill -9, when a batch holds one of `fatal`'s documents."""

    def __init__(self, inner: EmbeddedIndex, fatal: set[str]) -> None:
        self.inner, self.fatal = inner, fatal

    async def upsert(self, chunks: Sequence[Chunk]) -> None:
        await asyncio.sleep(0.5)
        if any(c.doc_id in self.fatal for c in chunks):
            raise Killed()
        await self.inner.upsert(chunks)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


async def test_max_papers_run_killed_after_a_page_resumes_without_losing_it(
    server: OParlTestServer, index: EmbeddedIndex, data_dir: Path, tmp_path: Path
) -> None:
    """The paper counter used to be saved with the page before the one being written: a
    resumed run then believed the limit was reached and never indexed that page."""
    reference = EmbeddedIndex(tmp_path / "reference")
    try:
        await crawl(server, reference, tmp_path / "reference-data", max_papers=25)
        want = {i for i in await reference.document_ids() if "/papers/" in i}
    finally:
        await reference.close()
    third_page = {emitted(server, i) for i in sorted(server.papers)[20:25]}
    with pytest.raises(Killed):
        await crawl(server, SlowThenKilled(index, third_page), data_dir, max_papers=25)
    assert not third_page & await index.document_ids()
    await crawl(server, index, data_dir, max_papers=25)
    assert {i for i in await index.document_ids() if "/papers/" in i} == want
    assert want & third_page  # the page at stake holds papers, not only tombstones


async def test_the_checkpoint_json_does_not_grow_with_the_corpus(
    server: OParlTestServer, index: EmbeddedIndex, data_dir: Path
) -> None:
    """Per-file and per-document maps live in SQLite: the JSON that is rewritten after every
    page holds only the position, the lookups and the window (it was ~1 KB per paper)."""
    await crawl(server, index, data_dir, full=True)
    (state,) = (data_dir / "index-state").glob("oparl-*.json")
    data = json.loads(state.read_text(encoding="utf-8"))
    assert not {"files", "hashes", "known", "run"} & set(data)
    assert "last_complete_start" in data
    ids = await index.document_ids()
    per_document = (len(state.read_bytes()) - len(json.dumps(data["lookups"]))) / len(ids)
    assert per_document < 20, per_document
