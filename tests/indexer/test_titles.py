"""A document is cited by the title it gives itself (H1, PDF/DOCX metadata, first heading),
and only without one by its file name."""

from __future__ import annotations

import io
from pathlib import Path

import docx
import pytest
from reportlab.pdfgen import canvas

from indexer.embedded import EmbeddedIndex
from indexer.jobs import index_files
from indexer.model import POLICIES, PUBLIC
from indexer.titles import document_title


def _pdf(*, title: str | None = None, bookmark: str | None = None) -> bytes:
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, invariant=True)  # reportlab's own default title: "untitled"
    if title is not None:
        pdf.setTitle(title)
    pdf.drawString(72, 760, "Stadt Lübeck – Der Bürgermeister")  # a letterhead, not a title
    pdf.drawString(72, 740, "Regeln für den Einsatz generativer KI in den Ämtern.")
    if bookmark is not None:
        pdf.bookmarkPage("start")
        pdf.addOutlineEntry(bookmark, "start", level=0)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def _docx(*, core_title: str = "", heading: str | None = None, level: int = 1) -> bytes:
    document = docx.Document()
    document.core_properties.title = core_title
    document.add_paragraph("Vorbemerkung ohne Überschrift.")
    if heading is not None:
        document.add_heading(heading, level=level)
    document.add_paragraph("Text der Regelung.")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            "# Dienstanweisung zur KI-Nutzung (Version 2)\n\nText.",
            "Dienstanweisung zur KI-Nutzung (Version 2)",
        ),
        (
            "Vorwort.\n\n## Abschnitt\n\n# Die eigentliche Überschrift #\n",
            "Die eigentliche Überschrift",
        ),
        ("```\n# kein Titel, nur Code\n```\nText ohne Überschrift.", None),
        ("## Nur zweite Ebene\n\nText.", None),
        ("#Kein Leerzeichen, keine Überschrift\n", None),
    ],
)
def test_markdown_h1(body: str, expected: str | None) -> None:
    assert document_title(body.encode(), name="dienstanweisung-ki-v2.md") == expected


def test_pdf_title_metadata_then_first_bookmark() -> None:
    assert document_title(_pdf(title="KI-Richtlinie der Hansestadt"), name="x.pdf") == (
        "KI-Richtlinie der Hansestadt"
    )
    # A converter's or the default "title" is no title: the outline's first heading is.
    junk = _pdf(title="Microsoft Word - ki_richtlinie_v2.docx", bookmark="KI-Richtlinie 2026")
    assert document_title(junk, name="x.pdf") == "KI-Richtlinie 2026"
    assert document_title(_pdf(), name="x.pdf") is None  # "untitled", no outline


def test_docx_core_title_then_first_heading() -> None:
    assert document_title(_docx(core_title="Dienstanweisung KI"), name="x.docx") == (
        "Dienstanweisung KI"
    )
    assert document_title(_docx(heading="Regeln für KI-Werkzeuge"), name="x.docx") == (
        "Regeln für KI-Werkzeuge"
    )
    assert document_title(
        _docx(core_title="Dokument1", heading="Anlage", level=2), name="x.docx"
    ) == ("Anlage")
    assert document_title(_docx(), name="x.docx") is None


def test_html_h1() -> None:
    page = b"<html><head><title>Intranet</title></head><body><h1>KI-Leitfaden</h1></body></html>"
    assert document_title(page, name="leitfaden.html") == "KI-Leitfaden"


@pytest.mark.parametrize(
    ("data", "name"),
    [(b"%PDF-1.7 kaputt", "x.pdf"), (b"PK\x03\x04kaputt", "x.docx"), (b"\xff\xfe\x00", "x.md")],
)
def test_unreadable_files_give_no_title_and_no_error(data: bytes, name: str) -> None:
    assert document_title(data, name=name) is None


async def test_indexed_files_are_cited_by_their_own_title(tmp_path: Path, data_dir: Path) -> None:
    folder = tmp_path / "regeln"
    folder.mkdir()
    (folder / "dienstanweisung-ki-v2.md").write_text(
        "# Dienstanweisung zur KI-Nutzung\n\nBeschäftigte prüfen KI-Ergebnisse vor der Verwendung.\n"
    )
    (folder / "richtlinie.pdf").write_bytes(_pdf(title="KI-Richtlinie der Hansestadt"))
    (folder / "anweisung.docx").write_bytes(_docx(heading="Regeln für KI-Werkzeuge"))
    (folder / "ohne-titel.md").write_text("Nur Text, keine Überschrift.\n")
    (folder / "mit-front-matter.md").write_text(
        "---\ntitle: Titel aus dem Front Matter\n---\n# Überschrift im Text\n\nText.\n"
    )
    index = EmbeddedIndex(tmp_path / "index")
    try:
        await index_files([folder], index, data_dir, collection=POLICIES, root=tmp_path)
        titles = {}
        for doc_id in await index.document_ids():
            [title] = {c.title for c in await index.document_chunks(doc_id, frozenset({PUBLIC}))}
            titles[doc_id.removeprefix("file:regeln/")] = title
    finally:
        await index.close()
    assert titles == {
        "dienstanweisung-ki-v2.md": "Dienstanweisung zur KI-Nutzung",
        "richtlinie.pdf": "KI-Richtlinie der Hansestadt",
        "anweisung.docx": "Regeln für KI-Werkzeuge",
        "ohne-titel.md": "ohne titel",
        "mit-front-matter.md": "Titel aus dem Front Matter",
    }
