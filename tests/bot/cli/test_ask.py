"""`kiw ask` and `kiw summarise`: JSON shapes, gate and access rules as in Teams, bad input."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from tests.bot.cli.conftest import KiwRun
from tests.conftest import REPO

ALEX = "alexw@example.com"  # valid KI-Pass, member of fraktion-gruene (samples/directory.yaml)
BERND = "bernd.kroeger@luebeck.de"  # KI-Pass expired


def test_ask_json_answer_with_citations(corpus_data: Path, kiw: KiwRun) -> None:
    code, out, _ = kiw(corpus_data, "ask", "Wie lange ist der KI-Pass gültig?", "--json")
    data = json.loads(out)
    assert code == 0 and data["grounded"] is True
    assert "zwei Jahre gültig" in data["answer"]
    first = data["citations"][0]
    assert set(first) >= {"n", "title", "url", "doc_id", "page", "quote"}
    assert first["n"] == 1 and "zwei Jahre" in first["quote"]


def test_ask_without_support_is_ungrounded_with_no_citations(
    corpus_data: Path, kiw: KiwRun
) -> None:
    code, out, _ = kiw(corpus_data, "ask", "Wie hoch ist die Hundesteuer?", "--json")
    data = json.loads(out)
    assert code == 0 and data["grounded"] is False and data["citations"] == []
    assert "keine Aussage" in data["answer"]
    assert data["pointers"] == []  # off the rules' topic: no places to point to


def test_ask_on_an_empty_index_says_so_on_stderr(
    data_dir: Path, sample_env: None, kiw: KiwRun
) -> None:
    """A newcomer's `kiw ask` before anything is indexed: "keine Aussage" alone would read as
    if the rules said nothing; the operator is told the collection is empty and what to run."""
    code, out, err = kiw(data_dir, "ask", "Wie lange ist der KI-Pass gültig?")
    assert code == 0 and "keine Aussage" in out
    assert "Die Sammlung „policies“" in err and "ist leer" in err
    assert "kiw index samples" in err


def test_ask_on_an_indexed_collection_gives_no_empty_note(corpus_data: Path, kiw: KiwRun) -> None:
    code, out, err = kiw(corpus_data, "ask", "Wie hoch ist die Hundesteuer?")
    assert code == 0 and "keine Aussage" in out
    assert "ist leer" not in err


def test_ask_json_lists_the_places_to_check_when_no_answer_is_sure(
    corpus_data: Path, kiw: KiwRun
) -> None:
    code, out, _ = kiw(corpus_data, "ask", "Wer bezahlt die Schulung für den KI-Pass?", "--json")
    data = json.loads(out)
    assert code == 0 and data["grounded"] is False and data["citations"] == []
    assert data["answer"].startswith("Eine sichere Antwort finde ich in den Regelungen nicht.")
    first = data["pointers"][0]
    assert first["heading"] == "§ 7 KI-Pass und Qualifizierung"
    assert first["url"] == "https://intranet.luebeck.de/ki/dienstvereinbarung-beispiel"
    assert first["snippet"].startswith("Der KI-Pass ist zwei Jahre gültig")


def test_ask_empty_question_is_a_usage_error(corpus_data: Path, kiw: KiwRun) -> None:
    code, out, _ = kiw(corpus_data, "ask", "  ", "--json")
    assert code == 2 and "Bitte stellen Sie Ihre Frage" in json.loads(out)["message"]


def test_ask_council_respects_access_groups(corpus_data: Path, kiw: KiwRun) -> None:
    question = "Welche Kompromisslinie gilt für das Radverkehrsbudget?"
    code, out, _ = kiw(corpus_data, "ask", question, "--collection", "council", "--json")
    assert code == 0 and "3 Mio" not in out
    assert json.loads(out) == {
        "answer": json.loads(out)["answer"],
        "citations": [],
        "grounded": False,
        "pointers": [],  # the faction paper is no place to point the public to either
    }
    code, out, _ = kiw(
        corpus_data, "ask", question, "--collection", "council", "--user", ALEX, "--json"
    )
    assert code == 0 and "3 Mio. Euro" in json.loads(out)["answer"]


def test_expired_kipass_is_refused_with_exit_3(corpus_data: Path, kiw: KiwRun) -> None:
    code, out, _ = kiw(
        corpus_data, "ask", "Wie lange ist der KI-Pass gültig?", "--user", BERND, "--json"
    )
    assert code == 3 and json.loads(out)["error"] == "kipass_required"


def test_summarise_reference_json(corpus_data: Path, kiw: KiwRun) -> None:
    code, out, _ = kiw(corpus_data, "summarise", "VO/2026/14311", "--json")
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


def test_summarise_faction_paper_is_not_found_for_others(corpus_data: Path, kiw: KiwRun) -> None:
    code, out, _ = kiw(corpus_data, "summarise", "GR-INTERN/2026/07", "--json")
    assert code == 1 and "nicht gefunden" in json.loads(out)["message"]
    assert "Haushaltsstrategie" not in out
    code, out, _ = kiw(corpus_data, "summarise", "GR-INTERN/2026/07", "--user", ALEX, "--json")
    assert code == 0 and "4,5 Mio. Euro" in out


def test_summarise_from_stdin_and_file(
    corpus_data: Path,
    kiw: KiwRun,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    text = (
        (REPO / "samples" / "council" / "antrag-linke-sozialticket.md")
        .read_text(encoding="utf-8")
        .split("---", 2)[2]
    )
    monkeypatch.setattr("sys.stdin", io.StringIO(text))
    code, out, _ = kiw(corpus_data, "summarise", "-", "--json")
    assert code == 0 and "1,9 Mio. Euro" in json.loads(out)["financial_impact"]["text"]
    path = tmp_path / "antrag.txt"
    path.write_text(text, encoding="utf-8")
    code, out, _ = kiw(corpus_data, "summarise", str(path), "--json")
    assert code == 0 and "19 Euro" in json.loads(out)["decision_proposal"]["text"]


def test_summarise_scanned_pdf_file_says_ocr_is_needed(
    corpus_data: Path, kiw: KiwRun, tmp_path: Path
) -> None:
    from reportlab.pdfgen import canvas

    path = tmp_path / "scan.pdf"
    doc = canvas.Canvas(str(path))
    doc.rect(100, 400, 300, 200, fill=1)  # an image-like shape, no text
    doc.showPage()
    doc.save()
    code, out, _ = kiw(corpus_data, "summarise", str(path), "--json")
    data = json.loads(out)
    assert code == 2 and data["error"] == "no_text" and "OCR" in data["message"]
