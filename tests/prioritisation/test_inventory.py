"""Bad inventories get a precise list of problems (row, column, what is wrong)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from openpyxl import Workbook

from prioritisation.inventory import (
    MAX_INVENTORY_BYTES,
    DataProtectionClass,
    InventoryError,
    parse_inventory,
    read_inventory_file,
)

HEADER = (
    "Prozess;Organisationseinheit;Fälle pro Jahr;Minuten pro Fall;Automatisierbarer Anteil (%);"
    "Umsetzungsaufwand (Personentage);Datenschutzklasse;Rechtsgrundlage\n"
)


def problems_of(data: bytes, name: str = "inventar.csv") -> list[str]:
    with pytest.raises(InventoryError) as info:
        parse_inventory(data, name)
    return [str(p) for p in info.value.problems]


def test_every_problem_is_listed_with_row_and_column() -> None:
    text = HEADER + (
        "Wohngeld;Wohngeldstelle;6500;-5;35;120;personenbezogen;WoGG\n"
        "Anwohnerparken;Verkehr;14000;12;120;15;personenbezogen;StVO\n"
        "Gewerbe;Gewerbeamt;3800;25;60;18;geheim;GewO\n"
        ";Amt;zehn;25;60;0;keine;\n"
    )
    assert problems_of(text.encode()) == [
        "Zeile 2, Spalte „Minuten pro Fall“: -5 ist negativ.",
        "Zeile 3, Spalte „Automatisierbarer Anteil (%)“: 120 % liegt über 100 %.",
        "Zeile 4, Spalte „Datenschutzklasse“: „geheim“ ist keine bekannte Datenschutzklasse "
        "(erlaubt: „keine personenbezogenen Daten“ / „personenbezogen“ / "
        "„besondere Kategorien (Art. 9 DSGVO)“).",
        "Zeile 5, Spalte „Prozess“: Name des Prozesses fehlt.",
        "Zeile 5, Spalte „Fälle pro Jahr“: „zehn“ ist keine Zahl.",
        "Zeile 5, Spalte „Umsetzungsaufwand (Personentage)“: muss größer als 0 sein.",
    ]


def test_missing_columns_are_named() -> None:
    text = "Prozess;Organisationseinheit;Fälle pro Jahr;Datenschutzklasse\nA;B;1;keine\n"
    assert problems_of(text.encode()) == [
        "Zeile 1, Spalte „Minuten pro Fall“: Spalte fehlt.",
        "Zeile 1, Spalte „Automatisierbarer Anteil (%)“: Spalte fehlt.",
        "Zeile 1, Spalte „Umsetzungsaufwand (Personentage)“: Spalte fehlt.",
        "Zeile 1, Spalte „Rechtsgrundlage“: Spalte fehlt.",
    ]


@pytest.mark.parametrize("data", [b"", b"\n\n  \n", "\ufeff".encode()])
def test_empty_file(data: bytes) -> None:
    assert problems_of(data)[0].startswith("Die Datei ist leer")


def test_header_only() -> None:
    assert problems_of(HEADER.encode()) == ["Die Datei enthält keine Prozesse (nur die Kopfzeile)."]


def test_fifty_megabyte_file_is_refused_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "riesig.csv"
    with path.open("wb") as fh:
        fh.truncate(50 * 1024 * 1024)  # sparse: costs no disk, has the size
    with pytest.raises(InventoryError) as info:
        read_inventory_file(path)
    (problem,) = info.value.problems
    assert "50.0 MB zu groß" in problem.message
    assert len(b"x" * (MAX_INVENTORY_BYTES + 1)) > MAX_INVENTORY_BYTES
    assert "zu groß" in problems_of(b"x" * (MAX_INVENTORY_BYTES + 1))[0]


def test_personal_data_needs_a_legal_basis() -> None:
    text = HEADER + "Wohngeld;Wohngeldstelle;6500;95;35;120;personenbezogen;\n"
    assert problems_of(text.encode()) == [
        "Zeile 2, Spalte „Rechtsgrundlage“: Für personenbezogene Verarbeitung muss eine "
        "Rechtsgrundlage angegeben sein."
    ]


def test_duplicate_process_in_same_unit() -> None:
    row = "Wohngeld;Wohngeldstelle;6500;95;35;120;keine;\n"
    assert problems_of((HEADER + row + row).encode()) == [
        "Zeile 3, Spalte „Prozess“: „Wohngeld“ (Wohngeldstelle) steht schon in Zeile 2."
    ]


def test_not_a_spreadsheet() -> None:
    assert "weder CSV noch XLSX" in problems_of(b"%PDF-1.7 ...", "inventar.pdf")[0]
    assert "keine lesbare Excel-Datei" in problems_of(b"PK\x03\x04broken", "inventar.xlsx")[0]


def test_german_excel_csv_windows_1252_decimal_comma_and_aliases() -> None:
    text = (
        "Verfahren;OE;Fallzahl;Minuten/Fall;Anteil automatisierbar;Aufwand (PT);Datenschutz;"
        "Rechtsgrundlage;Bemerkung\n"
        "Gebührenbescheid;Kämmerei;12.000;7,5;40 %;12,5;Personenbezogen;KAG SH;egal\n"
    )
    (p,) = parse_inventory(text.encode("cp1252"), "export.csv")
    assert (p.name, p.unit) == ("Gebührenbescheid", "Kämmerei")
    assert (p.cases_per_year, p.minutes_per_case, p.automatable_percent) == (12000, 7.5, 40)
    assert p.effort_person_days == 12.5
    assert p.data_protection is DataProtectionClass.personal


def test_comma_separated_utf8_with_bom() -> None:
    text = (
        "\ufeffname,unit,cases per year,minutes per case,share automatable (%),"
        "implementation effort (person-days),data-protection class,legal basis\n"
        "Meldebescheinigung,Bürgerservice,30000,6,80,10,personenbezogen,§ 18 BMG\n"
    )
    (p,) = parse_inventory(text.encode("utf-8"), "inventory.csv")
    assert p.cases_per_year == 30000 and p.legal_basis == "§ 18 BMG"


def test_xlsx_with_percent_formatted_share() -> None:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(
        [
            "Prozess",
            "Organisationseinheit",
            "Fälle pro Jahr",
            "Minuten pro Fall",
            "Automatisierbarer Anteil (%)",
            "Umsetzungsaufwand (Personentage)",
            "Datenschutzklasse",
            "Rechtsgrundlage",
        ]
    )
    ws.append(["Hundesteuer", "Steueramt", 5200, 10, 0.75, 6, "personenbezogen", "Satzung"])
    ws["E2"].number_format = "0%"
    ws.append(["Presseschau", "Presse", 250, 120, 50, 5, "keine personenbezogenen Daten", None])
    ws.append(["Kaputt", "Presse", 250, -1, 150, 5, "keine personenbezogenen Daten", None])
    buffer = io.BytesIO()
    wb.save(buffer)
    with pytest.raises(InventoryError) as info:
        parse_inventory(buffer.getvalue(), "inventar.xlsx")
    assert [str(p) for p in info.value.problems] == [
        "Zeile 4, Spalte „Minuten pro Fall“: -1 ist negativ.",
        "Zeile 4, Spalte „Automatisierbarer Anteil (%)“: 150 % liegt über 100 %.",
    ]
    ws.delete_rows(4)
    buffer = io.BytesIO()
    wb.save(buffer)
    dog, press = parse_inventory(buffer.getvalue(), "inventar.xlsx")
    assert dog.automatable_percent == pytest.approx(75)
    assert press.automatable_percent == 50
    assert dog.row == 2 and press.row == 3


def test_xlsx_with_a_million_declared_rows_is_read_quickly() -> None:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(
        [
            "Prozess",
            "Organisationseinheit",
            "Fälle pro Jahr",
            "Minuten pro Fall",
            "Automatisierbarer Anteil (%)",
            "Umsetzungsaufwand (Personentage)",
            "Datenschutzklasse",
            "Rechtsgrundlage",
        ]
    )
    ws.append(["Presseschau", "Presse", 250, 120, 50, 5, "keine personenbezogenen Daten", None])
    ws.cell(row=1_048_576, column=8).number_format = "0%"  # Excel's "used range" to the last row
    buffer = io.BytesIO()
    wb.save(buffer)
    (p,) = parse_inventory(buffer.getvalue(), "inventar.xlsx")
    assert p.name == "Presseschau"
