"""`kiw ask` and `kiw summarise`: JSON shapes, gate and access rules as in Teams, bad input."""

from __future__ import annotations

import asyncio
import io
import json
from pathlib import Path

import pytest

from bot.cli import main
from indexer.embedded import EmbeddedIndex
from tests.conftest import REPO
from tests.skills.corpus import sample_chunks

ALEX = "alexw@example.com"  # valid KI-Pass, member of fraktion-gruene (samples/directory.yaml)
BERND = "bernd.kroeger@luebeck.de"  # KI-Pass expired


@pytest.fixture
def indexed(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    async def build() -> None:
        index = EmbeddedIndex(data_dir / "index")
        await index.upsert(sample_chunks())
        await index.close()

    asyncio.run(build())
    for name in ("KIW_GENERATOR", "KIW_INDEX_BACKEND", "KIW_DIRECTORY_BACKEND"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("KIW_DIRECTORY", str(REPO / "samples" / "directory.yaml"))
    return data_dir


def run(
    args: list[str], capsys: pytest.CaptureFixture[str], data_dir: Path
) -> tuple[int, str, str]:
    code = main(["--env-file", "/nonexistent", *args, "--data-dir", str(data_dir)])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_ask_json_answer_with_citations(indexed: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["ask", "Wie lange ist der KI-Pass gültig?", "--json"], capsys, indexed)
    data = json.loads(out)
    assert code == 0 and data["grounded"] is True
    assert "zwei Jahre gültig" in data["answer"]
    first = data["citations"][0]
    assert set(first) >= {"n", "title", "url", "doc_id", "page", "quote"}
    assert first["n"] == 1 and "zwei Jahre" in first["quote"]


def test_ask_without_support_is_ungrounded_with_no_citations(
    indexed: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(["ask", "Wie hoch ist die Hundesteuer?", "--json"], capsys, indexed)
    data = json.loads(out)
    assert code == 0 and data == {"answer": data["answer"], "citations": [], "grounded": False}
    assert "keine Aussage" in data["answer"]


def test_ask_empty_question_is_a_usage_error(
    indexed: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(["ask", "  ", "--json"], capsys, indexed)
    assert code == 2 and "Bitte stellen Sie Ihre Frage" in json.loads(out)["message"]


def test_ask_council_respects_access_groups(
    indexed: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    question = "Welche Kompromisslinie gilt für das Radverkehrsbudget?"
    code, out, _ = run(["ask", question, "--collection", "council", "--json"], capsys, indexed)
    assert code == 0 and "3 Mio" not in out
    assert json.loads(out) == {
        "answer": json.loads(out)["answer"],
        "citations": [],
        "grounded": False,
    }
    code, out, _ = run(
        ["ask", question, "--collection", "council", "--user", ALEX, "--json"], capsys, indexed
    )
    assert code == 0 and "3 Mio. Euro" in json.loads(out)["answer"]


def test_expired_kipass_is_refused_with_exit_3(
    indexed: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(
        ["ask", "Wie lange ist der KI-Pass gültig?", "--user", BERND, "--json"], capsys, indexed
    )
    assert code == 3 and json.loads(out)["error"] == "kipass_required"


def test_summarise_reference_json(indexed: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["summarise", "VO/2026/14311", "--json"], capsys, indexed)
    data = json.loads(out)
    assert code == 0
    assert set(data) >= {
        "summary",
        "key_points",
        "decision_proposal",
        "financial_impact",
        "deadlines",
        "citations",
    }
    assert "14,8 Mio. Euro" in data["financial_impact"]["text"]
    assert "beschließt" in data["decision_proposal"]["text"]


def test_summarise_faction_paper_is_not_found_for_others(
    indexed: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(["summarise", "GR-INTERN/2026/07", "--json"], capsys, indexed)
    assert code == 1 and "nicht gefunden" in json.loads(out)["message"]
    assert "Haushaltsstrategie" not in out
    code, out, _ = run(
        ["summarise", "GR-INTERN/2026/07", "--user", ALEX, "--json"], capsys, indexed
    )
    assert code == 0 and "4,5 Mio. Euro" in out


def test_summarise_from_stdin_and_file(
    indexed: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    text = (
        (REPO / "samples" / "council" / "antrag-linke-sozialticket.md")
        .read_text(encoding="utf-8")
        .split("---", 2)[2]
    )
    monkeypatch.setattr("sys.stdin", io.StringIO(text))
    code, out, _ = run(["summarise", "-", "--json"], capsys, indexed)
    assert code == 0 and "1,9 Mio. Euro" in json.loads(out)["financial_impact"]["text"]
    path = tmp_path / "antrag.txt"
    path.write_text(text, encoding="utf-8")
    code, out, _ = run(["summarise", str(path), "--json"], capsys, indexed)
    assert code == 0 and "19 Euro" in json.loads(out)["decision_proposal"]["text"]


def test_summarise_scanned_pdf_file_says_ocr_is_needed(
    indexed: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from reportlab.pdfgen import canvas

    path = tmp_path / "scan.pdf"
    doc = canvas.Canvas(str(path))
    doc.rect(100, 400, 300, 200, fill=1)  # an image-like shape, no text
    doc.showPage()
    doc.save()
    code, out, _ = run(["summarise", str(path), "--json"], capsys, indexed)
    data = json.loads(out)
    assert code == 2 and data["error"] == "no_text" and "OCR" in data["message"]
