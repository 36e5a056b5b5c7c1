"""The real crawler against the real ALLRIS responses in ../shared/data/oparl, served from
loopback with their host names rewritten, broken bytes and all."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from indexer.embedded import EmbeddedIndex
from indexer.jobs import index_oparl
from indexer.model import PUBLIC
from tests.conftest import shared_path
from tests.indexer.oparl_server import OParlTestServer, RunningServer, render_pdf

LEIPZIG = "https://ratsinfo.leipzig.de"
BRAUNSCHWEIG = "https://ratsinfo.braunschweig.de"
BONN = "https://www.bonn.sitzung-online.de"
EXAMPLE = "https://oparl.example.org"
EMPTY_LIST = b'{"data": [], "links": {}, "pagination": {}}'


def _sample(*parts: str) -> bytes:
    return shared_path("data", "oparl", *parts).read_bytes()


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[OParlTestServer]:
    async with RunningServer(
        OParlTestServer(papers=0, include_tombstones=False, cache_dir=tmp_path)
    ) as s:
        yield s


@pytest.fixture
async def index(tmp_path: Path) -> AsyncIterator[EmbeddedIndex]:
    idx = EmbeddedIndex(tmp_path / "index")
    yield idx
    await idx.close()


def _list_of(*objects: bytes) -> bytes:
    return b'{"data": [' + b",".join(objects) + b'], "links": {}, "pagination": {}}'


async def test_allris_net_leipzig_system_with_broken_braunschweig_paper(
    server: OParlTestServer, index: EmbeddedIndex, data_dir: Path
) -> None:
    hosts = (LEIPZIG, BRAUNSCHWEIG)
    system = server.rewrite_sample(_sample("allris", "leipzig_allris-net_system.json"), hosts)
    body = server.rewrite_sample(_sample("allris", "leipzig_allris-net_body.json"), hosts)
    broken = server.rewrite_sample(_sample("allris", "braunschweig_paper_1664.broken_json"), hosts)
    url = server.add_raw("/bi/oparl/1.0/system.asp", system)
    server.add_raw("/bi/oparl/1.0/bodies.asp", _list_of(body))
    # The page holding the broken paper is itself invalid JSON (raw control characters).
    server.add_raw(
        "/bi/oparl/1.0/papers.asp?body=2387", _list_of(broken), "text/html; charset=utf-8"
    )
    server.add_raw("/bi/oparl/1.0/meetings.asp?body=2387", EMPTY_LIST)
    # organizations.asp is not served at all (404): that list fails, the others go on.

    summary = await index_oparl(url, index, data_dir, backoff_seconds=0.01)

    paper_id = f"{server.base}/bi/oparl/1.0/papers.asp?id=1664"
    chunks = await index.document_chunks(paper_id, frozenset({PUBLIC}))
    assert chunks, "the repaired paper is indexed"
    assert chunks[0].title == (
        "Volkshochschule Braunschweig e. V. Umwandlung in eine Gesellschaft mit "
        "beschränkter Haftung (GmbH)"
    )
    assert chunks[0].reference == "1664/99"
    assert chunks[0].source_ids == ("VOLFDNR=1664", "reference=1664/99")
    assert chunks[0].url == f"{server.base}/bi/vo020.asp?VOLFDNR=1664"
    assert not summary.complete
    assert any("organizations.asp" in s.item and "HTTP 404" in s.reason for s in summary.skipped)
    state = json.loads(next((data_dir / "index-state").glob("oparl-*.json")).read_text())
    assert "last_complete_start" not in state  # the failed list is asked for again next time


async def test_allris4_bonn_body_placeholders_and_file_quirks(
    server: OParlTestServer, index: EmbeddedIndex, data_dir: Path
) -> None:
    hosts = (BONN, EXAMPLE)
    body = server.rewrite_sample(
        _sample("allris", "bonn_allris4_body_raw_double-colon.json"), hosts
    )
    meetings = server.rewrite_sample(_sample("allris", "bonn_allris4_meetings_page1.json"), hosts)
    paper = json.loads(
        server.rewrite_sample(_sample("spec_examples_synthetic", "Paper-01.json"), hosts)
    )
    # ALLRIS 4 quirks on one paper: auxiliaryFile as an object, empty downloadUrl, wrong mimeType.
    aux = paper["auxiliaryFile"][0]
    aux.update(downloadUrl="", mimeType="text/html")
    paper["auxiliaryFile"] = aux
    paper["mainFile"]["downloadUrl"] = "N/A"
    server.add_raw(
        "/files/57739.pdf",
        render_pdf("Der Übersichtsplan zeigt alle Ebenen des Rathauses."),
        "text/html",
    )
    server.add_raw(
        "/files/57737.pdf", render_pdf("Antwort der Verwaltung auf die Anfrage zum Radverkehr.")
    )
    system = json.dumps(
        {
            "id": f"{server.base}/public/oparl/system",
            "type": "https://schema.oparl.org/1.1/System",
            "body": f"{server.base}/public/oparl/bodies",
        }
    ).encode()
    url = server.add_raw("/public/oparl/system", system)
    server.add_raw("/public/oparl/bodies", _list_of(body))
    server.add_raw("/public/oparl/meetings?body=1", meetings)
    server.add_raw("/public/oparl/meetings?body=1&page=2", EMPTY_LIST)
    server.add_raw("/public/oparl/organizations?body=1", EMPTY_LIST)
    server.add_raw("/public/oparl/papers?body=1", _list_of(json.dumps(paper).encode()))

    summary = await index_oparl(url, index, data_dir, backoff_seconds=0.01)

    # The real page 1 announces 1,331 meetings; the empty page 2 that stands in for the rest
    # is refused as the end of that list (a full run would otherwise delete on it).
    assert not summary.complete
    assert summary.failures == [
        f"meeting list: {server.base}/public/oparl/meetings?body=1&page=2: empty page in the "
        "middle of the list (read 20 of 1331 entries); nothing was deleted"
    ]
    placeholders = [s for s in summary.skipped if s.reason.startswith("placeholder meeting")]
    assert len(placeholders) == 20  # the whole real first page is "Sammeldatum"
    assert server.requests["/public/oparl/meetings"] == 2  # followed links.next to page 2
    ids = await index.document_ids()
    assert ids == {paper["id"]}  # no placeholder meeting in the index
    chunks = await index.document_chunks(paper["id"], frozenset({PUBLIC}))
    texts = {c.file_id: c.text for c in chunks if c.file_id}
    assert "Übersichtsplan" in texts[aux["id"]]
    assert "Radverkehr" in texts[paper["mainFile"]["id"]]


async def test_pagination_that_goes_round_in_circles_stops(
    server: OParlTestServer, index: EmbeddedIndex, data_dir: Path
) -> None:
    base = server.base
    body = json.dumps(
        {
            "id": f"{base}/kreis/body",
            "type": "https://schema.oparl.org/1.0/Body",
            "paper": f"{base}/kreis/papers?page=1",
        }
    ).encode()
    url = server.add_raw("/kreis/body", body)
    for page, nxt in ((1, 2), (2, 1)):
        paper = {
            "id": f"{base}/kreis/paper/{page}",
            "type": "https://schema.oparl.org/1.0/Paper",
            "name": f"Vorlage {page}",
            "reference": f"{page}/2026",
        }
        server.add_raw(
            f"/kreis/papers?page={page}",
            json.dumps(
                {"data": [paper], "links": {"next": f"{base}/kreis/papers?page={nxt}"}}
            ).encode(),
        )
    summary = await index_oparl(url, index, data_dir, backoff_seconds=0.01)
    assert summary.fetched == 2
    assert await index.document_ids() == {f"{base}/kreis/paper/1", f"{base}/kreis/paper/2"}
    # A circle is no evidence that the list ended: no deletions on it, a non-zero exit.
    assert not summary.complete
    assert [f.split(" at ")[0] for f in summary.failures] == ["paper list: pagination loop"]


async def test_pre_1_0_next_page_links_are_followed(
    server: OParlTestServer, index: EmbeddedIndex, data_dir: Path
) -> None:
    base = server.base
    body = {"id": f"{base}/alt/body", "type": "https://schema.oparl.org/1.0/Body"}
    body["paper"] = f"{base}/alt/papers"
    url = server.add_raw("/alt/body", json.dumps(body).encode())
    first = {"id": f"{base}/alt/paper/1", "type": "Paper", "name": "Erste", "reference": "1/26"}
    second = {"id": f"{base}/alt/paper/2", "type": "Paper", "name": "Zweite", "reference": "2/26"}
    server.add_raw(
        "/alt/papers",
        json.dumps({"data": [first], "nextPage": f"{base}/alt/papers?page=2"}).encode(),
    )
    server.add_raw("/alt/papers?page=2", json.dumps({"data": [second]}).encode())
    summary = await index_oparl(url, index, data_dir, backoff_seconds=0.01)
    assert summary.complete
    assert await index.document_ids() == {first["id"], second["id"]}
