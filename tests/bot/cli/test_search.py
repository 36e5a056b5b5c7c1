"""`kiw search`, run in-process through `kiw`'s main() on an embedded index in a temp data dir."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.cli import main
from indexer.azure_search import AzureSearchIndex
from indexer.embedded import EmbeddedIndex
from tests.indexer import search_corpus as corpus
from tests.indexer.azure_search_server import FakeSearchService, serve

DIRECTORY = f"""
tenant: t-1
users:
  - {{id: member-1, name: Grete, upn: grete@luebeck.de, groups: [{corpus.FACTION}],
      kipass_valid_until: 2099-06-30}}
  - {{id: outsider-1, name: Otto, upn: otto@luebeck.de, groups: [fraktion-cdu],
      kipass_valid_until: 2099-06-30}}
  - id: nopass-1
    name: Clara
    kipass_steps: {{schulung: true, dienstvereinbarung: false, leitlinien: false, checkliste: false}}
  - {{id: nopass-member, name: Nils, groups: [{corpus.FACTION}]}}
  - {{id: foreign-1, name: Fremd, tenant: t-2, groups: [{corpus.FACTION}],
      kipass_valid_until: 2099-06-30}}
"""


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "directory.yaml"
    directory.write_text(DIRECTORY, encoding="utf-8")
    data = tmp_path / "data"
    monkeypatch.setenv("KIW_DIRECTORY", str(directory))
    monkeypatch.setenv("KIW_DIRECTORY_BACKEND", "local")
    monkeypatch.setenv("KIW_INDEX_BACKEND", "embedded")
    monkeypatch.setenv("KIW_DATA_DIR", str(data))
    monkeypatch.delenv("MicrosoftAppId", raising=False)

    async def fill() -> None:
        index = EmbeddedIndex(data / "index")
        await index.upsert(corpus.ALL_CHUNKS)
        await index.close()

    asyncio.run(fill())
    return data


def kiw(*argv: str) -> int:
    return main(["--env-file", "/nonexistent/.env", *argv])


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, Any]:
    code = kiw(*argv, "--json")
    return code, json.loads(capsys.readouterr().out)


def ok_hits(capsys: pytest.CaptureFixture[str], *argv: str) -> list[dict[str, Any]]:
    code, hits = run_json(capsys, *argv)
    assert code == 0
    assert isinstance(hits, list)
    return hits


def test_json_hits_have_the_promised_fields(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, hits = run_json(capsys, "search", "Radverkehrsförderung")
    assert code == 0 and hits
    for key in ("id", "title", "reference", "url", "score", "snippet", "paper_id", "page"):
        assert key in hits[0]
    assert {h["doc_id"] for h in hits} >= {
        corpus.RAD_ANTRAG[0].doc_id,
        corpus.RAD_VORLAGE[0].doc_id,
    }
    assert hits[0]["score"] >= hits[-1]["score"]
    assert any("**" in h["snippet"] for h in hits)


def test_human_output_lists_the_facts(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert kiw("search", "VO/2025/12345", "--top", "1") == 0
    out = capsys.readouterr().out
    for fact in (
        "Radverkehrsförderung im Stadtteil Durlach",
        "VO/2025/12345",
        "Beschlussvorlage",
        "01.06.2025",
        "Bauausschuss",
        "https://ris.example.test/vo020?VOLFDNR=2",
        "S. 1",
    ):
        assert fact in out, fact
    assert "**Radverkehrsförderung**" in out or "Radverkehrsförderung" in out


def test_without_user_only_public_documents(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, hits = run_json(capsys, "search", corpus.SECRET_WORD)
    assert code == 0 and hits == []


def test_user_access_groups_apply(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, hits = run_json(capsys, "search", corpus.SECRET_WORD, "--user", "grete@luebeck.de")
    assert code == 0 and [h["doc_id"] for h in hits] == [corpus.FACTION_INTERNAL[0].doc_id]
    code, hits = run_json(capsys, "search", corpus.SECRET_WORD, "--user", "outsider-1")
    assert code == 0 and hits == []


def test_search_needs_no_kipass_the_directory_groups_still_apply(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Searching council papers is a lookup, no AI: no KI-Pass needed (docs/identity.md)."""
    for user in ("nopass-1", "nobody@luebeck.de"):
        code, hits = run_json(capsys, "search", "Radverkehrsförderung", "--user", user)
        assert code == 0 and hits, user
        code, hits = run_json(capsys, "search", corpus.SECRET_WORD, "--user", user)
        assert code == 0 and hits == [], user
    code, hits = run_json(capsys, "search", corpus.SECRET_WORD, "--user", "nopass-member")
    assert code == 0 and [h["doc_id"] for h in hits] == [corpus.FACTION_INTERNAL[0].doc_id]


def test_a_user_of_another_tenant_reads_public_papers_only(
    data_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, hits = run_json(capsys, "search", corpus.SECRET_WORD, "--user", "foreign-1")
    assert code == 0 and len(hits) == 1  # no home tenant configured: no tenant to compare
    monkeypatch.setenv("KIW_ALLOWED_TENANTS", "t-1")
    code, hits = run_json(capsys, "search", corpus.SECRET_WORD, "--user", "foreign-1")
    assert code == 0 and hits == []
    code, hits = run_json(capsys, "search", "Radverkehrsförderung", "--user", "foreign-1")
    assert code == 0 and hits
    code, hits = run_json(capsys, "search", corpus.SECRET_WORD, "--user", "member-1")
    assert code == 0 and len(hits) == 1


def test_filters(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    hits = ok_hits(capsys, "search", "Radverkehr", "--type", "Beschlussvorlage")
    assert {h["doc_id"] for h in hits} == {corpus.RAD_VORLAGE[0].doc_id}
    hits = ok_hits(capsys, "search", "Radverkehr", "--from", "2025-01-01", "--to", "10.03.2025")
    assert {h["doc_id"] for h in hits} == {corpus.RAD_ANTRAG[0].doc_id}
    hits = ok_hits(capsys, "search", "Radverkehr", "--organization", "Bauausschuss")
    assert {h["doc_id"] for h in hits} == {corpus.RAD_VORLAGE[0].doc_id}
    hits = ok_hits(capsys, "search", "Dienstvereinbarung", "--collection", "policies")
    assert {h["doc_id"] for h in hits} == {corpus.POLICY[0].doc_id}
    hits = ok_hits(capsys, "search", "Radverkehr", "--top", "2")
    assert len(hits) == 2


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--from", "2025-13-01"], "is not a date"),
        (["--to", "gestern"], "is not a date"),
        (["--from", "2026-01-01", "--to", "2025-01-01"], "is after"),
        (["--top", "0"], "--top must be between"),
    ],
)
def test_bad_input_exits_2_in_plain_words(
    data_dir: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    assert kiw("search", "Radverkehr", *argv) == 2
    assert message in capsys.readouterr().err


def test_empty_index_says_what_to_do(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("KIW_DATA_DIR", str(tmp_path / "empty"))
    monkeypatch.setenv("KIW_INDEX_BACKEND", "embedded")
    assert kiw("search", "Radverkehr") == 0
    captured = capsys.readouterr()
    assert "No hits." in captured.out and "kiw index samples" in captured.err


def test_syntax_characters_do_not_break_the_cli(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, hits = run_json(capsys, "search", 'Rad* AND "(" ) ~2 ^ \\ [')
    assert code == 0 and isinstance(hits, list)


@pytest.fixture
def azure_env(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeSearchService]:
    """The local Azure AI Search fake in a thread of its own: `kiw` runs its own event loop."""
    service = FakeSearchService()
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    context = serve(service)
    endpoint = asyncio.run_coroutine_threadsafe(context.__aenter__(), loop).result(10)

    async def fill() -> None:
        index = AzureSearchIndex(endpoint, service.api_key, "kiw-cli")
        await index.upsert(corpus.ALL_CHUNKS)
        await index.close()

    asyncio.run_coroutine_threadsafe(fill(), loop).result(30)
    monkeypatch.setenv("KIW_INDEX_BACKEND", "azure")
    monkeypatch.setenv("KIW_AZURE_SEARCH_ENDPOINT", endpoint)
    monkeypatch.setenv("KIW_AZURE_SEARCH_KEY", service.api_key)
    monkeypatch.setenv("KIW_AZURE_SEARCH_INDEX", "kiw-cli")
    yield service
    asyncio.run_coroutine_threadsafe(context.__aexit__(None, None, None), loop).result(10)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(10)
    loop.close()


def test_search_through_azure_backend(
    azure_env: FakeSearchService, capsys: pytest.CaptureFixture[str]
) -> None:
    hits = ok_hits(capsys, "search", "Dienstvereinbarung", "--collection", "policies")
    assert {h["doc_id"] for h in hits} == {corpus.POLICY[0].doc_id}
    assert hits[0]["snippet"].count("**") >= 2
    hits = ok_hits(capsys, "search", corpus.SECRET_WORD, "--user", "member-1")
    assert [h["doc_id"] for h in hits] == [corpus.FACTION_INTERNAL[0].doc_id]
    assert ok_hits(capsys, "search", corpus.SECRET_WORD) == []
    sent = [b["filter"] for b in azure_env.searches() if b.get("search") == corpus.SECRET_WORD]
    assert sent[-1].startswith("access/any(g: search.in(g, 'public', ','))")


def test_one_row_per_paper_with_its_best_passages_beneath(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Several chunks of one paper match; Teams shows the paper once, so does the CLI.
    code, rows = run_json(capsys, "search", "Radverkehr", "--top", "5")
    assert code == 0 and rows
    ids = [r["doc_id"] for r in rows]
    assert len(ids) == len(set(ids))
    assert all(1 <= len(r["passages"]) <= 3 for r in rows)
    assert rows[0]["passages"][0]["id"] == rows[0]["id"]
    assert kiw("search", "Radverkehr") == 0
    out = capsys.readouterr().out
    assert "documents:" in out and "   – " in out
