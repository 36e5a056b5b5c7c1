"""Read a process inventory (CSV or XLSX) and validate every row before anything is computed.

The inventory is filled in by people in the Fachbereiche, so headers come in German (and in a
few spellings), numbers may carry a decimal comma, and CSV files come from German Excel
(semicolons, Windows-1252). Every problem is collected with its row and column, so the sender
gets one precise list instead of one error per attempt. Nothing is computed from an inventory
that has a single problem: partial results would be misleading in a Vorlage.

Longer than the ~400 lines the project aims at, on purpose: reading (CSV, XLSX) and validating
share one column table (`COLUMNS`, about 80 lines of it) and one problem list; apart, each half
would need the other's internals.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from kiw_common.wording import count_of

# An inventory of a whole city administration is a few hundred rows (kilobytes). The limits
# keep a wrong upload (a 50 MB export, a zip bomb disguised as XLSX) from tying up the service.
MAX_INVENTORY_BYTES = 5 * 1024 * 1024
MAX_ROWS = 5000
MAX_REPORTED_PROBLEMS = 50
MAX_BLANK_RUN = 1000


class DataProtectionClass(StrEnum):
    none = "keine personenbezogenen Daten"
    personal = "personenbezogen"
    special = "besondere Kategorien (Art. 9 DSGVO)"


@dataclass(frozen=True)
class Process:
    row: int  # spreadsheet row (header = row 1), so results can be traced back
    name: str
    unit: str  # Organisationseinheit
    cases_per_year: float
    minutes_per_case: float
    automatable_percent: float  # 0..100
    effort_person_days: float
    data_protection: DataProtectionClass
    legal_basis: str


@dataclass(frozen=True)
class Problem:
    row: int | None  # None: the file as a whole
    column: str | None
    message: str  # German, for the sender of the file

    def __str__(self) -> str:
        where = []
        if self.row is not None:
            where.append(f"Zeile {self.row}")
        if self.column:
            where.append(f"Spalte „{self.column}“")
        return f"{', '.join(where)}: {self.message}" if where else self.message


class InventoryError(Exception):
    """The inventory cannot be used; `problems` lists every reason found."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))

    def lines(self, limit: int = MAX_REPORTED_PROBLEMS) -> list[str]:
        return problem_lines([str(p) for p in self.problems], limit)


def problem_lines(problems: Sequence[str], limit: int = MAX_REPORTED_PROBLEMS) -> list[str]:
    """The first `limit` problems, one line each, then how many more ("… und 3 weitere
    Probleme.")."""
    shown = list(problems[:limit])
    if len(problems) > limit:
        more = count_of(len(problems) - limit, "weiteres Problem", "weitere Probleme")
        shown.append(f"… und {more}.")
    return shown


@dataclass(frozen=True)
class Column:
    field: str
    label: str  # the German header the template uses
    aliases: tuple[str, ...]


# The German label first; aliases are compared after normalising (lower case, umlauts
# spelled out, punctuation dropped), so "Fälle/Jahr" and "faelle pro jahr" both match.
COLUMNS: tuple[Column, ...] = (
    Column("name", "Prozess", ("prozess", "name", "prozessname", "verfahren", "process")),
    Column(
        "unit",
        "Organisationseinheit",
        (
            "organisationseinheit",
            "oe",
            "fachbereich",
            "amt",
            "bereich",
            "organisational unit",
            "unit",
        ),
    ),
    Column(
        "cases_per_year",
        "Fälle pro Jahr",
        (
            "fälle pro jahr",
            "fälle/jahr",
            "fallzahl",
            "fallzahl pro jahr",
            "fälle",
            "cases per year",
        ),
    ),
    Column(
        "minutes_per_case",
        "Minuten pro Fall",
        (
            "minuten pro fall",
            "minuten/fall",
            "bearbeitungszeit (minuten)",
            "bearbeitungszeit pro fall (minuten)",
            "minutes per case",
        ),
    ),
    Column(
        "automatable_percent",
        "Automatisierbarer Anteil (%)",
        (
            "automatisierbarer anteil (%)",
            "automatisierbarer anteil",
            "anteil automatisierbar (%)",
            "anteil automatisierbar",
            "automatisierbar (%)",
            "share automatable (%)",
            "share automatable",
        ),
    ),
    Column(
        "effort_person_days",
        "Umsetzungsaufwand (Personentage)",
        (
            "umsetzungsaufwand (personentage)",
            "umsetzungsaufwand (pt)",
            "umsetzungsaufwand",
            "aufwand (personentage)",
            "aufwand (pt)",
            "implementation effort (person-days)",
            "implementation effort",
        ),
    ),
    Column(
        "data_protection",
        "Datenschutzklasse",
        (
            "datenschutzklasse",
            "datenschutz",
            "schutzklasse",
            "data-protection class",
            "data protection class",
        ),
    ),
    Column("legal_basis", "Rechtsgrundlage", ("rechtsgrundlage", "legal basis")),
)

_DP_ALIASES: dict[str, DataProtectionClass] = {
    "keine personenbezogenen daten": DataProtectionClass.none,
    "keine": DataProtectionClass.none,
    "nicht personenbezogen": DataProtectionClass.none,
    "personenbezogen": DataProtectionClass.personal,
    "personenbezogene daten": DataProtectionClass.personal,
    "besondere kategorien (art. 9 dsgvo)": DataProtectionClass.special,
    "besondere kategorien": DataProtectionClass.special,
    "besondere kategorien personenbezogener daten": DataProtectionClass.special,
    "art. 9 dsgvo": DataProtectionClass.special,
}


def normalise_header(text: str) -> str:
    text = text.strip().lower()
    for a, b in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss")):
        text = text.replace(a, b)
    return re.sub(r"[^a-z0-9%]+", "", text)


_HEADER_LOOKUP: dict[str, str] = {
    normalise_header(alias): col.field
    for col in COLUMNS
    for alias in (col.label, *col.aliases, col.field)
}
_LABEL = {col.field: col.label for col in COLUMNS}


def template_headers() -> list[str]:
    return [col.label for col in COLUMNS]


# ---------------------------------------------------------------- reading raw rows


@dataclass(frozen=True)
class RawCell:
    value: Any
    is_percent_format: bool = False  # XLSX cell formatted as "%": 0.35 means 35 %


def read_inventory_file(path: Path) -> list[Process]:
    """Read and validate a file on disk; the size is checked before the file is opened."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise InventoryError([Problem(None, None, f"Datei nicht lesbar: {exc.strerror}")]) from None
    if size > MAX_INVENTORY_BYTES:
        raise InventoryError([_too_large(size)])
    return parse_inventory(path.read_bytes(), path.name)


def parse_inventory(data: bytes, filename: str) -> list[Process]:
    """Validate an uploaded inventory; raise InventoryError with every problem found."""
    if len(data) > MAX_INVENTORY_BYTES:
        raise InventoryError([_too_large(len(data))])
    if not data.strip():
        raise InventoryError([Problem(None, None, "Die Datei ist leer.")])
    kind = _kind(data, filename)
    if kind == "xlsx":
        rows = _xlsx_rows(data)
    elif kind == "csv":
        rows = _csv_rows(data)
    else:
        raise InventoryError(
            [
                Problem(
                    None,
                    None,
                    f"„{filename}“ ist weder CSV noch XLSX. Bitte senden Sie die Inventarliste "
                    "als .csv oder .xlsx (Excel).",
                )
            ]
        )
    return validate_rows(rows)


def _too_large(size: int) -> Problem:
    return Problem(
        None,
        None,
        f"Die Datei ist mit {size / 1024 / 1024:.1f} MB zu groß (höchstens "
        f"{MAX_INVENTORY_BYTES // 1024 // 1024} MB). Eine Inventarliste umfasst üblicherweise "
        "nur wenige hundert Zeilen.",
    )


def _kind(data: bytes, filename: str) -> str:
    name = filename.lower()
    if data[:4] == b"PK\x03\x04" or name.endswith((".xlsx", ".xlsm")):
        return "xlsx"
    if name.endswith((".csv", ".txt")) or not name or "." not in name:
        return "csv"
    return "other"


def _xlsx_rows(data: bytes) -> Iterator[tuple[int, list[RawCell]]]:
    from openpyxl import load_workbook

    try:
        # Guard against a zip bomb: the declared uncompressed size is checked before openpyxl
        # inflates anything.
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            inflated = sum(info.file_size for info in zf.infolist())
        if inflated > 20 * MAX_INVENTORY_BYTES:
            raise InventoryError(
                [Problem(None, None, "Die XLSX-Datei ist entpackt zu groß für eine Inventarliste.")]
            )
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except InventoryError:
        raise
    except Exception:  # openpyxl raises many types for broken files; all mean "not readable"
        raise InventoryError(
            [Problem(None, None, "Die Datei ist keine lesbare Excel-Datei (XLSX).")]
        ) from None
    try:
        sheet = workbook.worksheets[0]
        for number, row in enumerate(sheet.iter_rows(), start=1):
            cells = [
                RawCell(getattr(c, "value", None), "%" in str(getattr(c, "number_format", "")))
                for c in row
            ]
            yield number, cells
    finally:
        workbook.close()


def _csv_rows(data: bytes) -> Iterator[tuple[int, list[RawCell]]]:
    text = _decode(data)
    sample = text[:8192]
    try:
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=";,\t")
    except csv.Error:
        first = sample.splitlines()[0] if sample else ""
        dialect = _Semicolon if first.count(";") > first.count(",") else csv.excel
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    for number, row in enumerate(reader, start=1):
        yield number, [RawCell(value) for value in row]


class _Semicolon(csv.excel):
    delimiter = ";"


def _decode(data: bytes) -> str:
    # German Excel saves "CSV (Trennzeichen-getrennt)" as Windows-1252; newer Excel as UTF-8 with BOM.
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


# ---------------------------------------------------------------- validation


def validate_rows(rows: Iterable[tuple[int, list[RawCell]]]) -> list[Process]:
    problems: list[Problem] = []
    header_map: dict[int, str] | None = None
    processes: list[Process] = []
    seen: dict[tuple[str, str], int] = {}
    data_rows = 0
    blank_run = 0
    for number, cells in rows:
        if all(_blank(c.value) for c in cells):
            blank_run += 1
            if blank_run >= MAX_BLANK_RUN:
                # Excel often declares a million formatted but empty rows; nothing real
                # follows a gap this long, so stop instead of walking through them.
                break
            continue
        blank_run = 0
        if header_map is None:
            header_map, header_problems = _read_header(number, cells)
            if header_problems:
                raise InventoryError(header_problems)
            continue
        data_rows += 1
        if data_rows > MAX_ROWS:
            raise InventoryError(
                [
                    Problem(
                        None, None, f"Mehr als {MAX_ROWS} Prozesse: bitte teilen Sie die Liste auf."
                    )
                ]
            )
        process, row_problems = _read_row(number, cells, header_map)
        problems.extend(row_problems)
        if process is not None:
            key = (process.name.casefold(), process.unit.casefold())
            if key in seen:
                problems.append(
                    Problem(
                        number,
                        _LABEL["name"],
                        f"„{process.name}“ ({process.unit}) steht schon in Zeile {seen[key]}.",
                    )
                )
            else:
                seen[key] = number
                processes.append(process)
    if header_map is None:
        raise InventoryError([Problem(None, None, "Die Datei ist leer (keine Kopfzeile).")])
    if data_rows == 0 and not problems:
        problems.append(
            Problem(None, None, "Die Datei enthält keine Prozesse (nur die Kopfzeile).")
        )
    if problems:
        raise InventoryError(problems)
    return processes


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _read_header(number: int, cells: list[RawCell]) -> tuple[dict[int, str], list[Problem]]:
    header_map: dict[int, str] = {}
    problems: list[Problem] = []
    for index, cell in enumerate(cells):
        if _blank(cell.value):
            continue
        field = _HEADER_LOOKUP.get(normalise_header(str(cell.value)))
        if field is None:
            continue  # extra columns (Bemerkungen, Ansprechperson, ...) are allowed and ignored
        if field in header_map.values():
            problems.append(
                Problem(number, str(cell.value), f"Spalte für „{_LABEL[field]}“ kommt doppelt vor.")
            )
        header_map[index] = field
    for col in COLUMNS:
        if col.field not in header_map.values():
            problems.append(Problem(number, col.label, "Spalte fehlt."))
    return header_map, problems


def _read_row(
    number: int, cells: list[RawCell], header_map: dict[int, str]
) -> tuple[Process | None, list[Problem]]:
    raw = {field: cells[i] if i < len(cells) else RawCell(None) for i, field in header_map.items()}
    problems: list[Problem] = []

    def text(field: str) -> str:
        value = raw[field].value
        return "" if value is None else str(value).strip()

    def number_(
        field: str, *, minimum: float, maximum: float | None = None, strict: bool = False
    ) -> float | None:
        label = _LABEL[field]
        cell = raw[field]
        if _blank(cell.value):
            problems.append(Problem(number, label, "Wert fehlt."))
            return None
        value = _to_number(cell.value)
        if value is None:
            problems.append(Problem(number, label, f"„{cell.value}“ ist keine Zahl."))
            return None
        if field == "automatable_percent" and cell.is_percent_format:
            value *= 100
        if value < 0:
            problems.append(Problem(number, label, f"{_fmt(value)} ist negativ."))
            return None
        if value < minimum or (strict and value == minimum):
            word = "größer als" if strict else "mindestens"
            problems.append(Problem(number, label, f"muss {word} {_fmt(minimum)} sein."))
            return None
        if maximum is not None and value > maximum:
            problems.append(
                Problem(number, label, f"{_fmt(value)} % liegt über {_fmt(maximum)} %.")
            )
            return None
        return value

    name = text("name")
    if not name:
        problems.append(Problem(number, _LABEL["name"], "Name des Prozesses fehlt."))
    unit = text("unit")
    if not unit:
        problems.append(Problem(number, _LABEL["unit"], "Organisationseinheit fehlt."))
    cases = number_("cases_per_year", minimum=0)
    minutes = number_("minutes_per_case", minimum=0)
    share = number_("automatable_percent", minimum=0, maximum=100)
    # Effort 0 would make "potential per effort" infinite; the smallest real project is hours.
    effort = number_("effort_person_days", minimum=0, strict=True)
    dp_text = text("data_protection")
    dp = _DP_ALIASES.get(re.sub(r"\s+", " ", dp_text.lower()))
    if dp is None:
        allowed = " / ".join(f"„{c.value}“" for c in DataProtectionClass)
        shown = f"„{dp_text}“ ist" if dp_text else "Keine Angabe ist"
        problems.append(
            Problem(
                number,
                _LABEL["data_protection"],
                f"{shown} keine bekannte Datenschutzklasse (erlaubt: {allowed}).",
            )
        )
    legal_basis = text("legal_basis")
    if dp is not None and dp != DataProtectionClass.none and not legal_basis:
        problems.append(
            Problem(
                number,
                _LABEL["legal_basis"],
                "Für personenbezogene Verarbeitung muss eine Rechtsgrundlage angegeben sein.",
            )
        )
    if problems or None in (cases, minutes, share, effort, dp):
        return None, problems
    assert cases is not None and minutes is not None and share is not None
    assert effort is not None and dp is not None
    return (
        Process(
            row=number,
            name=name,
            unit=unit,
            cases_per_year=cases,
            minutes_per_case=minutes,
            automatable_percent=share,
            effort_person_days=effort,
            data_protection=dp,
            legal_basis=legal_basis,
        ),
        problems,
    )


_NUMBER = re.compile(r"^[+-]?(\d+([.,]\d*)?|[.,]\d+)$")


def _to_number(value: Any) -> float | None:
    """Numbers from Excel arrive as int/float; from CSV as text, possibly German ("1.234,5", "35 %")."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    text = str(value).strip().replace("\u00a0", "").replace(" ", "").rstrip("%")
    if "," in text:
        text = text.replace(".", "").replace(",", ".")  # German: dots group thousands
    elif re.fullmatch(r"[+-]?\d{1,3}(\.\d{3})+", text):
        text = text.replace(".", "")  # "12.000" in a German file is twelve thousand
    if not _NUMBER.match(text):
        return None
    try:
        return float(text)
    except ValueError:
        return None


def _fmt(value: float) -> str:
    return f"{value:g}".replace(".", ",")
