"""A full OParl run deletes only on complete evidence; failures give a non-zero exit code.

The loopback OParl server serves the Karlsruhe corpus; a bad page is put in the middle of the
paper list (HTTP 200 with an empty page, `"data": "oops"`, HTTP 500, truncated JSON, HTML).
The run must not delete anything, must exit non-zero with one plain line saying why, and must
leave the checkpoint as it was (documents known, incremental window).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import re
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from bot.cli import main
from indexer.embedded import EmbeddedIndex
from indexer.jobs import index_oparl
from indexer.oparl.client import Page
from indexer.oparl.listing import IncompleteList, ListTally
from tests.conftest import shared_path
from tests.indexer.oparl_server import OParlTestServer, ServerThread

PAPERS_PAGE_2 = "/ris/oparl/bodies/0001/papers?page=2"
EXIT_INCOMPLETE = 3


@pytest.fixture(scope="module")
def pdf_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    shared_path("data", "karlsruhe", "texts.tar.gz")
    return tmp_path_factory.mktemp("pdf-cache")


@pytest.fixture(autouse=True)
def _no_env_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("KIW_DATA_DIR", raising=False)


def crawl(server: OParlTestServer, data_dir: Path, **kw: Any) -> Any:
    async def go() -> Any:
        index = EmbeddedIndex(data_dir / "index")
        try:
            return await index_oparl(server.system_url, index, data_dir, backoff_seconds=0.01, **kw)
        finally:
            await index.close()

    return asyncio.run(go())


def doc_ids(data_dir: Path) -> set[str]:
    async def read() -> set[str]:
        index = EmbeddedIndex(data_dir / "index")
        try:
            return await index.document_ids()
        finally:
            await index.close()

    return asyncio.run(read())


def checkpoint(data_dir: Path) -> dict[str, Any]:
    """The checkpoint's JSON state, with the documents the source has written as `known`."""
    (path,) = (data_dir / "index-state").glob("oparl-*.json")
    data = json.loads(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    with contextlib.closing(sqlite3.connect(path.with_suffix(".sqlite"))) as db:
        data["known"] = {k for (k,) in db.execute("SELECT key FROM map_known")}
    return data


def real_page_2(server: OParlTestServer) -> bytes:
    """The first bytes of the real page: what a connection cut mid-answer leaves."""

    async def fetch() -> bytes:
        import aiohttp

        async with (
            aiohttp.ClientSession() as session,
            session.get(server.base + PAPERS_PAGE_2) as resp,
        ):
            return await resp.read()

    return asyncio.run(fetch())[:300]


BAD_PAGES: dict[str, tuple[int, bytes, str]] = {
    "empty page, no links": (200, b'{"data": [], "links": {}}', "application/json"),
    "data is a string": (200, b'{"data": "oops", "links": {}}', "application/json"),
    "HTTP 500": (500, b"Interner Fehler", "text/plain"),
    "HTML maintenance page": (
        200,
        b"<html><body><h1>Wartungsarbeiten</h1></body></html>",
        "text/html",
    ),
    "truncated JSON": (200, b"", "application/json"),  # filled with the real page's start
}


@pytest.mark.parametrize("kind", list(BAD_PAGES))
def test_a_bad_page_mid_list_deletes_nothing_and_exits_non_zero(
    kind: str, pdf_cache: Path, data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    served = OParlTestServer(papers=30, page_size=10, cache_dir=pdf_cache)
    with ServerThread(served) as server:
        first = crawl(server, data_dir)
        assert first.complete and not first.failures
        before_ids = doc_ids(data_dir)
        before = checkpoint(data_dir)
        status, body, content_type = BAD_PAGES[kind]
        if kind == "truncated JSON":
            body = real_page_2(server)
        server.faults.replace[PAPERS_PAGE_2] = (status, body, content_type)

        code = main(["index", "oparl", server.system_url, "--full", "--data-dir", str(data_dir)])
        out, err = capsys.readouterr()

    assert code == EXIT_INCOMPLETE
    reason = [line for line in err.splitlines() if "incomplete" in line]
    assert len(reason) == 1 and "papers?page=2" in reason[0], err
    assert "nothing was deleted" in reason[0]
    deleted = re.search(r", deleted (\d+),", out)
    assert deleted and int(deleted.group(1)) <= 2  # at most the tombstones, which say so
    assert doc_ids(data_dir) == before_ids
    after = checkpoint(data_dir)
    assert after["known"] == before["known"]
    assert after["last_complete_start"] == before["last_complete_start"]
    assert "run" not in after  # the run ended; the next one starts a fresh listing


def test_the_next_full_run_after_a_bad_page_completes(pdf_cache: Path, data_dir: Path) -> None:
    served = OParlTestServer(papers=30, page_size=10, cache_dir=pdf_cache)
    with ServerThread(served) as server:
        crawl(server, data_dir)
        server.faults.replace[PAPERS_PAGE_2] = BAD_PAGES["empty page, no links"]
        bad = crawl(server, data_dir, full=True)
        assert not bad.complete and bad.failures
        server.faults.replace.clear()
        victim = next(p for p in server.papers.values() if not p.get("deleted"))
        server.depublish_paper(victim["id"])
        good = crawl(server, data_dir, full=True)
    assert good.complete and not good.failures
    assert good.deleted == 3  # the depublished paper and the two tombstones
    assert server.emitted(victim["id"]) not in doc_ids(data_dir)


def _depublish(server: OParlTestServer, data_dir: Path, share: float) -> list[str]:
    known = len(checkpoint(data_dir)["known"])
    live = sorted(p["id"] for p in server.papers.values() if not p.get("deleted"))
    victims = live[: math.ceil(share * known)]
    for paper_id in victims:
        server.depublish_paper(paper_id)
    return [server.emitted(v) for v in victims]


def test_mass_delete_needs_allow_mass_delete(
    pdf_cache: Path, data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    served = OParlTestServer(papers=30, page_size=10, cache_dir=pdf_cache)
    with ServerThread(served) as server:
        crawl(server, data_dir)
        victims = _depublish(server, data_dir, share=0.2)  # a legitimately shrunken list
        code = main(["index", "oparl", server.system_url, "--full", "--data-dir", str(data_dir)])
        err = capsys.readouterr().err
        assert code == EXIT_INCOMPLETE and "--allow-mass-delete" in err
        assert set(victims) <= doc_ids(data_dir)  # nothing removed

        code = main(
            [
                "index",
                "oparl",
                server.system_url,
                "--full",
                "--allow-mass-delete",
                "--data-dir",
                str(data_dir),
            ]
        )
        capsys.readouterr()
    assert code == 0
    ids = doc_ids(data_dir)
    assert not set(victims) & ids
    assert {server.emitted(p) for p, v in served.papers.items() if not v.get("deleted")} <= ids


def test_max_delete_share_is_configurable(
    pdf_cache: Path, data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    served = OParlTestServer(papers=30, page_size=10, cache_dir=pdf_cache)
    with ServerThread(served) as server:
        crawl(server, data_dir)
        victims = _depublish(server, data_dir, share=0.2)
        argv = ["index", "oparl", server.system_url, "--full", "--data-dir", str(data_dir)]
        assert main([*argv, "--max-delete-share", "150"]) == 2
        assert main([*argv, "--max-delete-share", "30"]) == 0
        capsys.readouterr()
    assert not set(victims) & doc_ids(data_dir)


def test_a_failed_file_makes_the_exit_code_non_zero(
    pdf_cache: Path, data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    served = OParlTestServer(papers=5, page_size=10, cache_dir=pdf_cache)
    paper = next(p for p in served.papers.values() if p.get("auxiliaryFile"))
    bad = paper["auxiliaryFile"][0]
    for key in ("downloadUrl", "accessUrl"):
        served.faults.fail_paths.add(
            bad[key].replace("https://web1.karlsruhe.de/oparl", "/ris/oparl")
        )
    with ServerThread(served) as server:
        code = main(["index", "oparl", server.system_url, "--data-dir", str(data_dir), "--json"])
        out, err = capsys.readouterr()
    summary = json.loads(out)
    assert code == EXIT_INCOMPLETE
    assert summary["complete"] and summary["failure_count"] == 1
    assert "fetched again on the next run" in err and "HTTP 500" in err


# ---------------------------------------------------------------- the tally on its own


def page(entries: int, *, next_url: str | None, **pagination: int) -> Page:
    return Page(
        url="http://ris/papers",
        items=[{}] * entries,
        next_url=next_url,
        total=pagination.get("total"),
        entries=entries,
        current_page=pagination.get("current"),
        total_pages=pagination.get("pages"),
    )


def test_tally_accepts_complete_lists() -> None:
    tally = ListTally()
    tally.check(page(10, next_url="n", total=15))
    tally.check(page(5, next_url=None, total=15))
    empty_last = ListTally()
    empty_last.check(page(10, next_url="n", total=10))
    empty_last.check(page(0, next_url=None, total=10))
    ListTally().check(page(0, next_url=None))  # an empty incremental list
    ListTally().check(page(0, next_url=None, total=0))
    ListTally().check(page(3, next_url=None))  # no pagination at all


@pytest.mark.parametrize(
    "second",
    [
        page(0, next_url=None),  # empty, no links
        page(0, next_url=None, total=0),  # a broken page claiming an empty list
        page(0, next_url="n"),  # empty with a link onwards
        page(4, next_url=None, total=15),  # ends short of the announced total
    ],
)
def test_tally_refuses_pages_that_contradict_the_list(second: Page) -> None:
    tally = ListTally()
    tally.check(page(10, next_url="n", total=15))
    with pytest.raises(IncompleteList):
        tally.check(second)


def test_tally_refuses_a_last_page_before_the_last_page() -> None:
    with pytest.raises(IncompleteList, match="page 2 of 4"):
        ListTally(listed=10, pages=1).check(page(10, next_url=None, current=2, pages=4))


def test_tally_survives_a_resume() -> None:
    tally = ListTally()
    tally.check(page(10, next_url="n", total=25))
    resumed = ListTally.from_state(json.loads(json.dumps(tally.state())))
    resumed.check(page(10, next_url="n"))
    with pytest.raises(IncompleteList, match="read 20 of 25"):
        resumed.check(page(0, next_url=None))
