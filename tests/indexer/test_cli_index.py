"""`kiw index …` end to end: argument handling, JSON summaries, exit codes, idempotent samples."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from bot.cli import main
from indexer.embedded import EmbeddedIndex
from indexer.model import PUBLIC
from tests.conftest import shared_path
from tests.indexer.oparl_server import OParlTestServer, ServerThread


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, object, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, (json.loads(out) if out.strip().startswith(("{", "[")) else out), err


def doc_ids(data_dir: Path) -> set[str]:
    async def read() -> set[str]:
        index = EmbeddedIndex(data_dir / "index")
        try:
            return await index.document_ids()
        finally:
            await index.close()

    return asyncio.run(read())


@pytest.fixture(autouse=True)
def _no_env_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)  # no stray .env; relative paths resolve under tmp
    monkeypatch.delenv("KIW_DATA_DIR", raising=False)


def test_index_samples_is_idempotent(capsys: pytest.CaptureFixture[str], data_dir: Path) -> None:
    from bot.cli.index import samples_root

    expected = {
        f"file:samples/{c}/{p.name}"
        for c in ("policies", "council")
        for p in (samples_root() / "samples" / c).glob("*.md")
        if p.name.lower() != "readme.md"
    }
    code, first, _ = run_json(capsys, "index", "samples", "--data-dir", str(data_dir), "--json")
    assert code == 0 and isinstance(first, list) and len(first) == 2
    assert sum(s["changed"] for s in first) == len(expected)
    assert doc_ids(data_dir) == expected
    code, second, _ = run_json(capsys, "index", "samples", "--data-dir", str(data_dir), "--json")
    assert code == 0 and isinstance(second, list)
    assert [s["changed"] for s in second] == [0, 0]
    assert sum(s["unchanged"] for s in second) == len(expected)


def test_index_samples_without_samples_says_nothing_to_index(
    capsys: pytest.CaptureFixture[str],
    data_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import bot.cli.index as cli_index

    (tmp_path / "repo" / "samples" / "policies").mkdir(parents=True)
    monkeypatch.setattr(cli_index, "REPO", tmp_path / "repo")
    code = main(["index", "samples", "--data-dir", str(data_dir)])
    out = capsys.readouterr().out
    assert code == 0
    assert out.count("nothing to index") == 2


def test_index_files_with_access_groups(
    capsys: pytest.CaptureFixture[str], data_dir: Path, tmp_path: Path
) -> None:
    doc = tmp_path / "leitlinie.md"
    doc.write_text(
        "---\ntitle: KI-Leitlinie\n---\n# § 1 Zweck\nDie Leitlinie regelt den Einsatz von KI.\n"
    )
    code, summary, err = run_json(
        capsys,
        "index",
        "files",
        str(doc),
        "--collection",
        "policies",
        "--access",
        "personalrat",
        "--data-dir",
        str(data_dir),
        "--json",
    )
    assert code == 0 and isinstance(summary, dict)
    assert summary["changed"] == 1 and summary["chunks"] == 1
    assert "Dateien" not in err  # no progress bar outside a terminal

    async def visible(groups: frozenset[str]) -> int:
        index = EmbeddedIndex(data_dir / "index")
        try:
            return len(await index.document_chunks("file:leitlinie.md", groups))
        finally:
            await index.close()

    assert asyncio.run(visible(frozenset({PUBLIC}))) == 0
    assert asyncio.run(visible(frozenset({PUBLIC, "personalrat"}))) == 1


def test_index_files_rejects_unknown_collection(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["index", "files", "x.md", "--collection", "geheim"])
    assert exc.value.code == 2


def test_index_oparl_end_to_end(
    capsys: pytest.CaptureFixture[str], data_dir: Path, tmp_path: Path
) -> None:
    shared_path("data", "karlsruhe", "papers.jsonl.gz")
    with ServerThread(OParlTestServer(papers=8, page_size=5, cache_dir=tmp_path / "pdf")) as server:
        code, summary, _ = run_json(
            capsys, "index", "oparl", server.system_url, "--data-dir", str(data_dir), "--json"
        )
        assert code == 0 and isinstance(summary, dict)
        assert summary["complete"] and summary["changed"] > 8 and summary["chunks"] > 8
        assert {
            "fetched",
            "changed",
            "deleted",
            "skipped",
            "skip_reasons",
            "elapsed_seconds",
        } <= set(summary)
        code, again, _ = run_json(
            capsys, "index", "oparl", server.system_url, "--data-dir", str(data_dir), "--json"
        )
        assert code == 0 and isinstance(again, dict)
        assert (again["fetched"], again["changed"], again["files"]) == (0, 0, 0)
        code = main(["index", "oparl", server.system_url, "--data-dir", str(data_dir)])
        text = capsys.readouterr().out
        assert code == 0 and "fetched 0, changed 0" in text


def test_index_oparl_errors_have_exit_codes(
    capsys: pytest.CaptureFixture[str], data_dir: Path, tmp_path: Path
) -> None:
    assert main(["index", "oparl", "ftp://example.org/oparl", "--data-dir", str(data_dir)]) == 2
    assert "Not an http(s) URL" in capsys.readouterr().err
    assert main(["index", "oparl", "http://127.0.0.1:1/x", "--max-papers", "0"]) == 2
    shared_path("data", "karlsruhe", "papers.jsonl.gz")
    with ServerThread(OParlTestServer(papers=1, cache_dir=tmp_path / "pdf")) as server:
        code = main(
            ["index", "oparl", f"{server.base}/kein/oparl/system", "--data-dir", str(data_dir)]
        )
    assert code == 1
    err = capsys.readouterr().err
    assert "failed" in err and "HTTP 404" in err
