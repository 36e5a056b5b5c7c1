"""The OParl parser on real responses of ALLRIS, SessionNet and STERNBERG servers."""

from __future__ import annotations

import json
import socket
from datetime import UTC, datetime, timedelta, timezone

import aiohttp
import pytest

from indexer.extract import sniff_mime
from indexer.oparl.client import OParlClient, OParlError, Rewrites, with_query
from indexer.oparl.documents import Lookups, files_of, paper_document, placeholder_meeting
from indexer.oparl.quirks import (
    OParlFormatError,
    as_list,
    clean,
    last_change,
    parse_datetime,
    parse_json,
    text,
)
from kiw_common.references import allris_ids_in_url
from tests.conftest import shared_path


def _sample(*parts: str) -> bytes:
    return shared_path("data", "oparl", *parts).read_bytes()


def test_braunschweig_invalid_json_is_repaired() -> None:
    raw = _sample("allris", "braunschweig_paper_1664.broken_json")
    with pytest.raises(json.JSONDecodeError):
        json.loads(raw)  # the file really is broken
    paper = parse_json(raw)
    assert text(paper, "name") == (
        "Volkshochschule Braunschweig e. V. Umwandlung in eine Gesellschaft mit "
        "beschränkter Haftung (GmbH)"
    )
    assert paper["reference"] == "1664/99"
    assert allris_ids_in_url(paper["web"]) == ("VOLFDNR=1664",)


def test_hopeless_json_raises_a_format_error() -> None:
    with pytest.raises(OParlFormatError):
        parse_json(b'{"id": "x", "name": ')


def test_leipzig_na_and_empty_values_mean_missing() -> None:
    system = parse_json(_sample("allris", "leipzig_allris-net_system.json"))
    body = parse_json(_sample("allris", "leipzig_allris-net_body.json"))
    assert text(system, "name") is None and clean(system["website"]) is None
    assert text(body, "shortName") is None
    assert parse_datetime(body["created"]) is None
    assert parse_datetime(body["modified"]) == datetime(
        2018, 12, 17, 14, 48, 52, tzinfo=timezone(timedelta(hours=1))
    )


def test_bonn_double_colon_timestamps() -> None:
    body = parse_json(_sample("allris", "bonn_allris4_body_raw_double-colon.json"))
    fixed = parse_json(_sample("allris", "bonn_allris4_body_normalized_by_mst.json"))
    assert body["created"].endswith("+01::00")
    assert parse_datetime(body["created"]) == datetime(
        2019, 12, 15, 5, 1, 23, tzinfo=timezone(timedelta(hours=1))
    )
    term = body["legislativeTerm"][0]
    assert parse_datetime(term["startDate"]) is not None
    assert parse_datetime(fixed["created"]) == parse_datetime(body["created"])


def test_created_after_modified_uses_the_later() -> None:
    obj = {"created": "2026-07-02T10:00:00+02:00", "modified": "2026-07-01T10:00:00+02:00"}
    assert last_change(obj) == parse_datetime(obj["created"])
    assert parse_datetime("2026-07-02") == datetime(2026, 7, 2, tzinfo=UTC)
    assert parse_datetime("kein Datum") is None


def test_bonn_sammeldatum_meetings_are_placeholders() -> None:
    page = parse_json(_sample("allris", "bonn_allris4_meetings_page1.json"))
    assert all(placeholder_meeting(m) for m in page["data"])  # the whole first page is
    real = parse_json(_sample("sternberg_huertgenwald", "body", "1", "meeting.json"))["data"]
    assert not any(placeholder_meeting(m) for m in real)
    assert page["links"]["next"].endswith("page=2")


def test_auxiliary_file_as_object_and_empty_download_url() -> None:
    paper = parse_json(_sample("spec_examples_synthetic", "Paper-01.json"))
    single = (
        dict(paper["auxiliaryFile"][0]) if isinstance(paper.get("auxiliaryFile"), list) else None
    )
    assert single is not None
    single["downloadUrl"] = ""
    broken = {**paper, "auxiliaryFile": single}  # ALLRIS 4 sends one object, not a list
    assert as_list(broken["auxiliaryFile"]) == [single]
    refs, missing = files_of(broken, ("mainFile", "auxiliaryFile"))
    aux = next(r for r in refs if r.file_id == single["id"])
    assert aux.urls == (single["accessUrl"],)  # empty downloadUrl → accessUrl
    assert missing == []


def test_wuppertal_meeting_files_have_download_and_access_urls() -> None:
    meeting = parse_json(_sample("somacos_wuppertal", "meeting_19160.json"))
    refs, _ = files_of(meeting, ("invitation", "resultsProtocol", "auxiliaryFile"))
    assert [r.name for r in refs] == [
        "Einladung gesamt",
        "Niederschrift",
        "Zusammenstellung_der_amtlichen_Ergebnisse",
    ]
    assert all(len(r.urls) == 2 and "/a/" in r.urls[1] for r in refs)


def test_karlsruhe_paper_with_consultation_results() -> None:
    paper = parse_json(_sample("somacos_karlsruhe", "papers", "54719.json"))
    meeting = parse_json(_sample("somacos_karlsruhe", "meetings", "10566.json"))
    lookups = Lookups({})
    lookups.orgs["https://web1.karlsruhe.de/oparl/bodies/0001/organizations/gr/32130"] = (
        "Gemeinderat"
    )
    item = paper["consultation"][0]["agendaItem"]
    for agenda in meeting["agendaItem"]:
        if agenda["id"] == item:
            agenda["result"] = "einstimmig beschlossen"
    lookups.add_meeting(meeting)
    doc, missing = paper_document(paper, lookups)
    assert doc.meta.reference == "2026/0541" and doc.meta.paper_type == "Antrag"
    assert doc.meta.status is not None and doc.meta.status.startswith("Gemeinderat ")
    assert doc.meta.status.endswith(": einstimmig beschlossen")
    assert "Gemeinderat" in doc.meta.organizations
    assert [f.name for f in doc.files] == ["Antrag", "Stellungnahme zum Antrag"]
    assert doc.overview is not None and "Beratungsfolge" in doc.overview
    assert "reference=2026/0541" in doc.meta.source_ids
    assert missing == []


def test_sternberg_last_page_has_no_next() -> None:
    first = parse_json(_sample("sternberg_huertgenwald", "body", "1", "paper.json"))
    last = parse_json(_sample("sternberg_huertgenwald", "body", "1", "paper_page85_last.json"))
    assert "next" in first["links"] and "next" not in last["links"]


def test_mime_sniffing() -> None:
    assert sniff_mime(b"%PDF-1.4 ...", "text/html") == "application/pdf"
    assert sniff_mime(b"  <!DOCTYPE html><html>", None) == "text/html"
    assert sniff_mime(b"PK\x03\x04...", "application/octet-stream").endswith("document")
    assert sniff_mime(b"plain", "text/plain; charset=utf-8") == "text/plain"


def test_karlsruhe_prefix_rewrite_is_learned_from_the_system_id() -> None:
    rewrites = Rewrites()
    rewrites.learn(
        "https://web1.karlsruhe.de/ris/oparl/system", "https://web1.karlsruhe.de/oparl/system"
    )
    assert (
        rewrites.apply("https://web1.karlsruhe.de/oparl/bodies/0001/papers/vo/54719")
        == "https://web1.karlsruhe.de/ris/oparl/bodies/0001/papers/vo/54719"
    )
    assert (
        rewrites.apply("https://web1.karlsruhe.de/ris/oparl/x")
        == "https://web1.karlsruhe.de/ris/oparl/x"
    )
    same = Rewrites()
    same.learn(
        "https://a.example/bi/oparl/1.0/system.asp", "https://a.example/bi/oparl/1.0/system.asp"
    )
    assert same.pairs == []


def test_with_query_replaces_a_parameter() -> None:
    url = with_query(
        "https://x/papers?body=1&modified_since=old", modified_since="2026-01-01T00:00:00+00:00"
    )
    assert url.count("modified_since") == 1 and "body=1" in url


async def test_connection_errors_become_oparl_errors_after_retries() -> None:
    with socket.socket() as sock:  # a loopback port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    async with aiohttp.ClientSession() as session:
        client = OParlClient(session, attempts=3, backoff_seconds=0.01)
        with pytest.raises(OParlError, match="ClientConnectorError"):
            await client.get_entry(f"http://127.0.0.1:{port}/oparl/system")
    assert client.requests == 3 and client.retries == 2
