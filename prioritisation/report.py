"""The outputs: ranked table (CSV, XLSX), charts (PNG, SVG) and a German report (Markdown, PDF).

The report is written for a Vorlage to the Bürgerschaft: the method in plain words, the inputs
(file name and SHA-256), every parameter and the formula, so any figure can be recomputed.
All files are first written into a temporary folder next to the target and moved into place
only when every file is complete: a failure never leaves half a result behind.

Longer than the ~400 lines the project aims at: a third of it is the report's German prose
(`report_blocks`), written once for both Markdown and PDF; each output format is one function.
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from kiw_common.wording import count_of
from prioritisation import Analysis, charts
from prioritisation.inventory import DataProtectionClass
from prioritisation.scoring import Scored

RANKING_CSV = "rangliste.csv"
RANKING_XLSX = "rangliste.xlsx"
MATRIX = "matrix"  # .png / .svg
GANTT = "zeitplan"  # .png / .svg
REPORT_MD = "bericht.md"
REPORT_PDF = "bericht.pdf"

TABLE_HEADERS = (
    "Rang",
    "Prozess",
    "Organisationseinheit",
    "Fälle pro Jahr",
    "Minuten pro Fall",
    "Automatisierbarer Anteil (%)",
    "Umsetzungsaufwand (Personentage)",
    "Datenschutzklasse",
    "Rechtsgrundlage",
    "Gebundene Kapazität (VZÄ)",
    "Einsparpotenzial (VZÄ)",
    "Risikofaktor",
    "Prioritätswert",
    "Quick Win",
    "Welle",
    "Zeile in der Eingabe",
)


def de(value: float, digits: int = 2) -> str:
    """German number format: 1.234,56."""
    text = f"{value:,.{digits}f}"
    return text.replace(",", "\u2009").replace(".", ",").replace("\u2009", ".")


def _waves(analysis: Analysis) -> dict[int, str]:
    if analysis.plan is None:
        return {}
    return {s.candidate.rank: str(analysis.plan.quarter(s.wave)) for s in analysis.plan.slots}


def table_rows(analysis: Analysis) -> list[list[object]]:
    waves = _waves(analysis)
    rows: list[list[object]] = []
    for s in analysis.ranked:
        p = s.process
        rows.append(
            [
                s.rank,
                p.name,
                p.unit,
                p.cases_per_year,
                p.minutes_per_case,
                p.automatable_percent,
                p.effort_person_days,
                p.data_protection.value,
                p.legal_basis,
                round(s.staffing_fte, 3),
                round(s.potential_fte, 3),
                s.risk_factor,
                round(s.score, 3),
                "ja" if s.quick_win else "nein",
                waves.get(s.rank, ""),
                p.row,
            ]
        )
    return rows


def ranking_csv(analysis: Analysis) -> str:
    # Semicolon and decimal comma: the file opens correctly in a German Excel by double click.
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(TABLE_HEADERS)
    for row in table_rows(analysis):
        writer.writerow(
            [de(v, 3).rstrip("0").rstrip(",") if isinstance(v, float) else v for v in row]
        )
    return out.getvalue()


def write_ranking_xlsx(analysis: Analysis, path: Path) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Rangliste"
    ws.append(list(TABLE_HEADERS))
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in table_rows(analysis):
        ws.append(row)
    ws.freeze_panes = "C2"
    for index, header in enumerate(TABLE_HEADERS, start=1):
        ws.column_dimensions[get_column_letter(index)].width = max(10, min(40, len(header) + 2))
    params = wb.create_sheet("Parameter")
    for label, value in parameter_rows(analysis):
        params.append([label, value])
    params.column_dimensions["A"].width = 60
    params.column_dimensions["B"].width = 70
    wb.save(path)


def parameter_rows(analysis: Analysis) -> list[tuple[str, str]]:
    p = analysis.params
    rows = [
        ("Eingabedatei", analysis.source.name),
        ("SHA-256 der Eingabedatei", analysis.source.sha256),
        ("Anzahl Prozesse", str(len(analysis.ranked))),
        ("Netto-Jahresarbeitszeit je Vollzeitäquivalent (Stunden)", de(p.net_hours_per_fte, 0)),
    ]
    for cls in DataProtectionClass:
        rows.append((f"Risikofaktor „{cls.value}“", de(p.risk_factors[cls], 2)))
    rows += [
        ("Quick Win: Einsparpotenzial mindestens (VZÄ)", de(p.quick_win_min_potential_fte, 2)),
        (
            "Quick Win: Umsetzungsaufwand höchstens (Personentage)",
            de(p.quick_win_max_effort_days, 0),
        ),
        (
            "Quick Win: zulässige Datenschutzklassen",
            ", ".join(c.value for c in DataProtectionClass if c in p.quick_win_classes),
        ),
        ("Kapazität (Personentage pro Quartal)", de(analysis.capacity, 1)),
        ("Erstes Quartal des Zeitplans", str(analysis.start)),
        ("Erstellt am", analysis.created.strftime("%d.%m.%Y")),
    ]
    return rows


# ---------------------------------------------------------------- report content


@dataclass(frozen=True)
class Block:
    kind: str  # "h1" | "h2" | "p" | "ul" | "table" | "img" | "code"
    text: str = ""
    items: tuple[str, ...] = ()
    header: tuple[str, ...] = ()
    rows: tuple[tuple[str, ...], ...] = ()


def report_blocks(analysis: Analysis, images: bool = True) -> list[Block]:
    p = analysis.params
    net_minutes = de(p.net_minutes_per_fte, 0)
    top = analysis.ranked[:10]
    b: list[Block] = [
        Block("h1", "Priorisierung von Verwaltungsprozessen für KI und Automatisierung"),
        Block(
            "p",
            f"Erstellt am {analysis.created.strftime('%d.%m.%Y')} mit dem KI-Werkstatt Assistenten "
            f"der Hansestadt Lübeck aus der Inventarliste „{analysis.source.name}“ "
            f"({count_of(len(analysis.ranked), 'Prozess', 'Prozesse')}). Alle Zahlen lassen sich mit den unten genannten "
            "Eingaben, Parametern und Formeln nachrechnen.",
        ),
        Block("h2", "Ergebnis in Kürze"),
        Block(
            "ul",
            items=(
                f"Die bewerteten Prozesse ({count_of(len(analysis.ranked), 'Prozess', 'Prozesse')}) "
                "binden zusammen rechnerisch "
                f"{de(analysis.total_staffing_fte)} Vollzeitäquivalente (VZÄ).",
                f"Davon sind nach Einschätzung der Fachbereiche {de(analysis.total_potential_fte)} VZÄ "
                "automatisierbar (Einsparpotenzial; frei werdende Zeit, kein Stellenabbau).",
                f"Quick Wins: {len(analysis.quick_wins)}"
                + (
                    " – " + ", ".join(s.process.name for s in analysis.quick_wins[:8])
                    if analysis.quick_wins
                    else ""
                )
                + ("…" if len(analysis.quick_wins) > 8 else "")
                + ".",
                _plan_summary(analysis),
            ),
        ),
        Block("h2", "Vorgehen in einfachen Worten"),
        Block(
            "p",
            "Für jeden Prozess wird zuerst berechnet, wie viel Arbeitszeit er im Jahr bindet: "
            "Fallzahl mal Bearbeitungsminuten, umgerechnet in Vollzeitstellen. Der Anteil, den die "
            "Fachbereiche als automatisierbar einschätzen, ergibt das Einsparpotenzial. Dieses "
            "Potenzial wird durch den Umsetzungsaufwand geteilt: Ein Prozess, der mit wenig Aufwand "
            "viel Zeit frei macht, steht oben. Prozesse mit personenbezogenen Daten bekommen einen "
            "Abschlag, Prozesse mit besonderen Kategorien (Art. 9 DSGVO, z. B. Gesundheitsdaten) "
            "einen größeren, weil dort Datenschutz-Folgenabschätzung, Beteiligung und Betrieb mehr "
            "Sorgfalt verlangen.",
        ),
        Block(
            "p",
            "Quick Wins sind Vorhaben mit hohem Potenzial, geringem Aufwand und geringem Risiko. "
            "Der Zeitplan nimmt die Vorhaben in der Reihenfolge der Rangliste nacheinander auf: "
            "Jedes Quartal steht dieselbe Kapazität zur Verfügung; ein Vorhaben beginnt, wo das "
            "vorige endet, und was nicht mehr in das laufende Quartal passt, läuft im nächsten "
            "weiter. Die Welle eines Vorhabens ist das Quartal, in dem es beginnt.",
        ),
        Block("h2", "Formeln"),
        Block(
            "code",
            "Gebundene Kapazität (VZÄ) = Fälle pro Jahr × Minuten pro Fall / "
            f"{net_minutes} Minuten\n"
            "Einsparpotenzial (VZÄ)    = Gebundene Kapazität × automatisierbarer Anteil\n"
            "Prioritätswert            = Einsparpotenzial / Umsetzungsaufwand (Personentage)"
            " × 100 × Risikofaktor\n"
            f"Quick Win                 = Einsparpotenzial ≥ {de(p.quick_win_min_potential_fte)} VZÄ\n"
            f"                            und Aufwand ≤ {de(p.quick_win_max_effort_days, 0)} Personentage\n"
            "                            und keine besonderen Kategorien (Art. 9 DSGVO)",
        ),
        Block(
            "p",
            "Der Prioritätswert bedeutet: eingesparte Vollzeitäquivalente je 100 Personentage "
            "Umsetzungsaufwand, gewichtet mit dem Risikofaktor. Bei gleichem Prioritätswert steht "
            "der Prozess mit dem höheren Einsparpotenzial vorn, dann der mit dem geringeren "
            "Aufwand, dann alphabetisch.",
        ),
        Block("h2", "Eingaben und Parameter"),
        Block("table", header=("Parameter", "Wert"), rows=tuple(parameter_rows(analysis))),
        Block(
            "p",
            f"Die Netto-Jahresarbeitszeit von {de(p.net_hours_per_fte, 0)} Stunden je Vollzeitstelle "
            "ist ein gerundeter Planungswert in der Größenordnung der KGSt-Normalarbeitszeit, auf "
            "der der KGSt-Bericht „Kosten eines Arbeitsplatzes“ (Ausgabe 2023/2024) für die "
            "allgemeine Verwaltung aufbaut (nach Urlaub, Feiertagen, Krankheit und Fortbildung). "
            "Hat die Stadt einen eigenen Wert, wird dieser eingesetzt.",
        ),
        Block("h2", "Rangliste (die ersten zehn)"),
        Block(
            "table",
            header=SHORT_HEADER,
            rows=tuple(_short_row(s) for s in top),
        ),
        Block("p", f"Die vollständige Rangliste steht in {RANKING_XLSX} und {RANKING_CSV}."),
        Block("h2", "Quick Wins"),
    ]
    if analysis.quick_wins:
        b.append(
            Block(
                "table",
                header=SHORT_HEADER,
                rows=tuple(_short_row(s) for s in analysis.quick_wins),
            )
        )
    else:
        b.append(Block("p", "Kein Prozess erfüllt alle drei Bedingungen eines Quick Wins."))
    b.append(Block("h2", "Zeitplan in Wellen"))
    if analysis.plan is None:
        b.append(Block("p", analysis.plan_message or "Kein Zeitplan."))
    else:
        plan = analysis.plan
        rows = tuple(
            (
                str(s.candidate.rank),
                s.candidate.process.name,
                str(plan.quarter(s.wave)),
                str(plan.quarter(s.last_quarter)),
                de(s.candidate.process.effort_person_days, 1),
            )
            for s in plan.slots
        )
        b.append(
            Block("table", header=("Rang", "Prozess", "Beginn", "Ende", "Aufwand PT"), rows=rows)
        )
        if plan.unscheduled:
            b.append(
                Block(
                    "p",
                    f"Nicht im Planungszeitraum von {plan.horizon} Quartalen: "
                    + ", ".join(f"{s.rank}. {s.process.name}" for s in plan.unscheduled)
                    + ".",
                )
            )
        if plan.no_potential:
            b.append(
                Block(
                    "p",
                    "Ohne Einsparpotenzial, daher nicht eingeplant: "
                    + ", ".join(s.process.name for s in plan.no_potential)
                    + ".",
                )
            )
    if images:
        b.append(Block("h2", "Abbildungen"))
        b.append(Block("img", f"{MATRIX}.png", items=("Aufwand und Potenzial je Prozess",)))
        if analysis.plan is not None and analysis.plan.slots:
            b.append(Block("img", f"{GANTT}.png", items=("Zeitplan in Wellen",)))
    b.append(Block("h2", "Grenzen"))
    b.append(
        Block(
            "p",
            "Die Ergebnisse sind so gut wie die Schätzungen in der Inventarliste. Das "
            "Einsparpotenzial beschreibt frei werdende Arbeitszeit, die für andere Aufgaben "
            "genutzt werden kann; es ist keine Aussage über einzelne Beschäftigte. Vor der "
            "Umsetzung prüfen Datenschutz, Informationssicherheit und Personalrat jedes Vorhaben.",
        )
    )
    return b


def _plan_summary(analysis: Analysis) -> str:
    plan = analysis.plan
    if plan is None:
        return analysis.plan_message or "Kein Zeitplan."
    if not plan.slots:
        return "Zeitplan: kein Vorhaben mit Einsparpotenzial."
    last = max(s.last_quarter for s in plan.slots)
    return (
        f"Zeitplan: {len(plan.slots)} Vorhaben von {plan.start} bis {plan.quarter(last)} "
        f"bei {de(plan.capacity, 0)} Personentagen pro Quartal"
        + (
            f"; {len(plan.unscheduled)} liegen jenseits des Planungszeitraums."
            if plan.unscheduled
            else "."
        )
    )


# The columns of the report's short tables (ranking, quick wins); `_short_row` fills them.
SHORT_HEADER = (
    "Rang",
    "Prozess",
    "OE",
    "VZÄ gebunden",
    "Potenzial VZÄ",
    "Aufwand PT",
    "Datenschutz",
    "Wert",
)


def _short_row(s: Scored) -> tuple[str, ...]:
    p = s.process
    return (
        str(s.rank),
        p.name,
        p.unit,
        de(s.staffing_fte),
        de(s.potential_fte),
        de(p.effort_person_days, 0),
        p.data_protection.value,
        de(s.score),
    )


def markdown(blocks: Sequence[Block]) -> str:
    out: list[str] = []
    for block in blocks:
        if block.kind == "h1":
            out.append(f"# {block.text}")
        elif block.kind == "h2":
            out.append(f"## {block.text}")
        elif block.kind == "p":
            out.append(block.text)
        elif block.kind == "ul":
            out.append("\n".join(f"- {item}" for item in block.items))
        elif block.kind == "code":
            out.append(f"```\n{block.text}\n```")
        elif block.kind == "table":
            lines = ["| " + " | ".join(block.header) + " |", "|" + "---|" * len(block.header)]
            lines += [
                "| " + " | ".join(c.replace("|", "/") for c in row) + " |" for row in block.rows
            ]
            out.append("\n".join(lines))
        elif block.kind == "img":
            out.append(f"![{block.items[0]}]({block.text})")
        out.append("")
    return "\n".join(out)


def write_pdf(blocks: Sequence[Block], path: Path, folder: Path) -> None:
    from xml.sax.saxutils import escape

    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.lib.units import cm
    from reportlab.platypus import (
        Image,
        ListFlowable,
        ListItem,
        Paragraph,
        Preformatted,
        SimpleDocTemplate,
        Spacer,
        Table,
        TableStyle,
    )

    sans, mono = _register_fonts()
    styles = getSampleStyleSheet()
    for name in ("Title", "Heading2", "BodyText"):
        styles[name].fontName = sans if name == "BodyText" else sans + "-Bold"
    small = styles["BodyText"].clone("small", fontSize=7, leading=8.5)
    code = styles["Code"].clone("code2", fontSize=7.5, leading=9.5, fontName=mono)
    doc = SimpleDocTemplate(
        str(path),
        pagesize=A4,
        leftMargin=1.8 * cm,
        rightMargin=1.8 * cm,
        topMargin=1.6 * cm,
        bottomMargin=1.6 * cm,
        title="Priorisierung von Verwaltungsprozessen",
        author="KI-Werkstatt Assistent, Hansestadt Lübeck",
        invariant=1,  # no creation date or random id: same input, same bytes
    )
    width = A4[0] - 3.6 * cm
    story: list[object] = []
    for block in blocks:
        if block.kind == "h1":
            story.append(Paragraph(escape(block.text), styles["Title"]))
        elif block.kind == "h2":
            story.append(Paragraph(escape(block.text), styles["Heading2"]))
        elif block.kind == "p":
            story.append(Paragraph(escape(block.text), styles["BodyText"]))
        elif block.kind == "ul":
            story.append(
                ListFlowable(
                    [ListItem(Paragraph(escape(i), styles["BodyText"])) for i in block.items],
                    bulletType="bullet",
                )
            )
        elif block.kind == "code":
            story.append(Preformatted(block.text, code))
        elif block.kind == "table":
            data = [[Paragraph(escape(h), small) for h in block.header]]
            data += [[Paragraph(escape(c), small) for c in row] for row in block.rows]
            table = Table(data, repeatRows=1, hAlign="LEFT")
            table.setStyle(
                TableStyle(
                    [
                        ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
                        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef4")),
                        ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ]
                )
            )
            story.append(table)
        elif block.kind == "img":
            image_path = folder / block.text
            image = Image(str(image_path))
            scale = min(1.0, width / image.drawWidth, 17 * cm / image.drawHeight)
            image.drawWidth *= scale
            image.drawHeight *= scale
            story.append(image)
            story.append(Paragraph(escape(block.items[0]), small))
        story.append(Spacer(1, 0.25 * cm))
    doc.build(story)


def _register_fonts() -> tuple[str, str]:
    """DejaVu (shipped with matplotlib) so „“, ≥, ≤ and × print; the PDF's base fonts lack them."""
    import matplotlib
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    folder = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    for name, file in (
        ("DejaVuSans", "DejaVuSans.ttf"),
        ("DejaVuSans-Bold", "DejaVuSans-Bold.ttf"),
        ("DejaVuSansMono", "DejaVuSansMono.ttf"),
    ):
        if name not in pdfmetrics.getRegisteredFontNames():
            pdfmetrics.registerFont(TTFont(name, str(folder / file)))
    return "DejaVuSans", "DejaVuSansMono"


# ---------------------------------------------------------------- writing everything


def write_outputs(analysis: Analysis, out_dir: Path) -> list[Path]:
    """Write all files into out_dir atomically (temp folder first); returns the final paths."""
    out_dir = out_dir.resolve()
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".kiw-prioritise-", dir=out_dir.parent))
    try:
        tmp.chmod(0o755)  # mkdtemp makes it private; the result folder is an ordinary one
        render_into(analysis, tmp)
        names = sorted(p.name for p in tmp.iterdir())
        if not out_dir.exists():
            os.replace(tmp, out_dir)  # one rename: the folder appears complete or not at all
        else:
            for name in names:
                os.replace(tmp / name, out_dir / name)
            # Files of an earlier run that this run does not produce (e.g. a Gantt chart when
            # the capacity is now zero) would contradict the report: remove them.
            for stale in (f"{GANTT}.png", f"{GANTT}.svg"):
                if stale not in names and (out_dir / stale).exists():
                    (out_dir / stale).unlink()
            shutil.rmtree(tmp)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return [out_dir / name for name in names]


def render_into(analysis: Analysis, folder: Path) -> None:
    (folder / RANKING_CSV).write_text(ranking_csv(analysis), encoding="utf-8-sig")
    write_ranking_xlsx(analysis, folder / RANKING_XLSX)
    charts.save(charts.matrix_figure(analysis.ranked, analysis.params), folder / MATRIX)
    if analysis.plan is not None and analysis.plan.slots:
        charts.save(charts.gantt_figure(analysis.plan), folder / GANTT)
    blocks = report_blocks(analysis)
    (folder / REPORT_MD).write_text(markdown(blocks), encoding="utf-8")
    write_pdf(blocks, folder / REPORT_PDF, folder)
