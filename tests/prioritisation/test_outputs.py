"""`kiw prioritise`: the files, their content, reproducibility, and no partial output."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from pathlib import Path

import pypdfium2
import pytest
from openpyxl import load_workbook
from PIL import Image

from bot.cli import main
from tests.conftest import REPO

SAMPLE = REPO / "samples" / "inventory.csv"
EXPECTED = {
    "bericht.md",
    "bericht.pdf",
    "matrix.png",
    "matrix.svg",
    "rangliste.csv",
    "rangliste.xlsx",
    "zeitplan.png",
    "zeitplan.svg",
}


def run(*args: str) -> int:
    return main(["--env-file", "/dev/null", "prioritise", *args])


def pdf_text(path: Path) -> str:
    pdf = pypdfium2.PdfDocument(str(path))
    try:
        return "\n".join(page.get_textpage().get_text_range() for page in pdf)
    finally:
        pdf.close()


def test_cli_writes_every_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "ergebnis"
    assert (
        run(str(SAMPLE), "--out", str(out), "--capacity", "40", "--start", "2027-Q1", "--json") == 0
    )
    result = json.loads(capsys.readouterr().out)
    assert {p.name for p in out.iterdir()} == EXPECTED
    ranking = result["ranking"]
    assert len(ranking) == 31
    assert [r["rank"] for r in ranking] == list(range(1, 32))
    scores = [r["score"] for r in ranking]
    assert scores == sorted(scores, reverse=True)

    # CSV: German Excel dialect, same order as the JSON
    rows = list(
        csv.reader(io.StringIO((out / "rangliste.csv").read_text("utf-8-sig")), delimiter=";")
    )
    assert rows[0][:2] == ["Rang", "Prozess"]
    assert [r[1] for r in rows[1:]] == [r["name"] for r in ranking]

    # XLSX, read back with openpyxl: numbers stay numbers, parameters on the second sheet
    wb = load_workbook(out / "rangliste.xlsx", read_only=True)
    sheet = list(wb["Rangliste"].iter_rows(values_only=True))
    assert sheet[1][1] == ranking[0]["name"]
    assert sheet[1][10] == pytest.approx(ranking[0]["potential_fte"], abs=1e-3)
    params = dict(wb["Parameter"].iter_rows(values_only=True))
    assert params["Kapazität (Personentage pro Quartal)"] == "40,0"
    assert params["SHA-256 der Eingabedatei"] == hashlib.sha256(SAMPLE.read_bytes()).hexdigest()
    wb.close()

    # Charts are real images
    for stem in ("matrix", "zeitplan"):
        with Image.open(out / f"{stem}.png") as img:
            assert img.size[0] > 600 and img.size[1] > 200
        assert "<svg" in (out / f"{stem}.svg").read_text()[:1000]

    # The report states method, formula, parameters and inputs
    md = (out / "bericht.md").read_text()
    for needed in (
        "Vorgehen in einfachen Worten",
        "96.000 Minuten",
        "Risikofaktor",
        "Quick Wins",
        "Q1/2027",
        "inventory.csv",
    ):
        assert needed in md
    text = pdf_text(out / "bericht.pdf")
    assert "Formeln" in text and "Einsparpotenzial" in text and "1.600" in text


def test_outputs_are_reproducible(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for name in ("a", "b"):
        assert run(str(SAMPLE), "--out", str(tmp_path / name), "--start", "2027-Q1") == 0
    capsys.readouterr()
    for file in (
        "rangliste.csv",
        "bericht.md",
        "bericht.pdf",
        "matrix.svg",
        "zeitplan.svg",
        "matrix.png",
    ):
        a, b = (tmp_path / d / file for d in ("a", "b"))
        assert a.read_bytes() == b.read_bytes(), file


def test_zero_capacity_writes_no_timeline(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "ergebnis"
    assert run(str(SAMPLE), "--out", str(out), "--capacity", "40") == 0
    assert (out / "zeitplan.png").exists()
    assert run(str(SAMPLE), "--out", str(out), "--capacity", "0") == 0
    printed = capsys.readouterr().out
    assert "Kapazität ist 0" in printed
    assert not (out / "zeitplan.png").exists() and not (out / "zeitplan.svg").exists()
    assert "Kein Zeitplan" in (out / "bericht.md").read_text()


def test_bad_inventory_writes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "kaputt.csv"
    lines = SAMPLE.read_text("utf-8").splitlines()
    lines[3] = lines[3].replace(";12;70;", ";-12;170;")
    bad.write_text("\n".join(lines), encoding="utf-8")
    out = tmp_path / "ergebnis"
    assert run(str(bad), "--out", str(out)) == 1
    err = capsys.readouterr().err
    assert "Zeile 4, Spalte „Minuten pro Fall“: -12 ist negativ." in err
    assert "Zeile 4, Spalte „Automatisierbarer Anteil (%)“: 170 % liegt über 100 %." in err
    assert not out.exists()
    assert list(tmp_path.iterdir()) == [bad]  # no temp folder left behind either


def test_bad_arguments_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(str(SAMPLE), "--out", str(tmp_path / "o"), "--capacity", "-1") == 2
    assert run(str(SAMPLE), "--out", str(tmp_path / "o"), "--start", "2027-Q9") == 2
    assert run(str(SAMPLE), "--out", str(tmp_path / "o"), "--net-hours", "0") == 2
    capsys.readouterr()
    assert not (tmp_path / "o").exists()


def test_xlsx_inventory_and_json_problems(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from openpyxl import Workbook

    rows = list(csv.reader(io.StringIO(SAMPLE.read_text("utf-8")), delimiter=";"))
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    for row in rows[:6]:
        ws.append([float(c) if c.replace(".", "").isdigit() else c for c in row])
    good = tmp_path / "inventar.xlsx"
    wb.save(good)
    assert run(str(good), "--out", str(tmp_path / "ok"), "--json") == 0
    assert json.loads(capsys.readouterr().out)["processes"] == 5

    ws["D3"] = -4  # minutes per case of the second process
    bad = tmp_path / "kaputt.xlsx"
    wb.save(bad)
    assert run(str(bad), "--out", str(tmp_path / "bad"), "--json") == 1
    answer = json.loads(capsys.readouterr().out)
    assert answer == {
        "ok": False,
        "file": str(bad),
        "problems": ["Zeile 3, Spalte „Minuten pro Fall“: -4 ist negativ."],
    }
    assert not (tmp_path / "bad").exists()
