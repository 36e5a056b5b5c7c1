"""Text extraction, including the broken and hostile files that must be skipped, not crash."""

from __future__ import annotations

import io
import zipfile

import docx
import pytest
from reportlab.lib import pdfencrypt
from reportlab.pdfgen import canvas

from indexer.extract import MAX_PAGES, Unreadable, extract
from tests.conftest import shared_path
from tests.indexer.oparl_server import blank_pdf, render_pdf


def _pdf(pages: list[str], *, encrypt: str | None = None) -> bytes:
    buffer = io.BytesIO()
    enc = pdfencrypt.StandardEncryption(encrypt, canPrint=0) if encrypt else None
    pdf = canvas.Canvas(buffer, encrypt=enc, invariant=True)
    for text in pages:
        obj = pdf.beginText(72, 760)
        for line in text.split("\n"):
            obj.textLine(line)
        pdf.drawText(obj)
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def _docx(build: object = None) -> bytes:
    document = docx.Document()
    document.add_heading("Dienstvereinbarung KI", level=1)
    document.add_paragraph("Präambel der Vereinbarung.")
    document.add_heading("§ 3 Datenschutz", level=2)
    document.add_paragraph("Keine personenbezogenen Daten in externe Dienste.")
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text = "Gruppe"
    table.cell(0, 1).text = "Recht"
    table.cell(1, 0).text = "Personalrat"
    table.cell(1, 1).text = "Mitbestimmung"
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def test_pdf_keeps_page_numbers() -> None:
    extracted = extract(_pdf(["Seite eins über Klimaanlagen", "Seite zwei über Radwege"]))
    assert [p.number for p in extracted.pages] == [1, 2]
    assert "Klimaanlagen" in extracted.pages[0].text
    assert "Radwege" in extracted.pages[1].text


def test_pdf_generated_from_a_real_karlsruhe_text_keeps_its_pages() -> None:
    raw = shared_path(
        "data", "oparl", "somacos_karlsruhe", "file-contents", "679054.txt"
    ).read_text()
    extracted = extract(render_pdf(raw), mime_type="application/pdf")
    assert extracted.page_count == raw.count(" of 4 --") == 4
    assert "Wohnungslosigkeit" in extracted.pages[0].text


def test_wrong_mime_type_is_overruled_by_the_bytes() -> None:
    extracted = extract(_pdf(["Ein PDF, als HTML ausgeliefert"]), mime_type="text/html")
    assert extracted.mime_type == "application/pdf"
    assert "ausgeliefert" in extracted.pages[0].text


def test_encrypted_pdf_is_skipped_with_reason() -> None:
    with pytest.raises(Unreadable, match="encrypted"):
        extract(_pdf(["geheim"], encrypt="passwort"))


def test_empty_file_is_skipped() -> None:
    with pytest.raises(Unreadable, match="empty"):
        extract(b"", mime_type="application/pdf")


def test_truncated_pdf_is_skipped() -> None:
    with pytest.raises(Unreadable, match="broken PDF"):
        extract(_pdf(["abgeschnitten"])[:300])


def test_image_only_pdf_needs_ocr() -> None:
    with pytest.raises(Unreadable, match="OCR"):
        extract(blank_pdf())


def test_very_long_pdf_is_capped() -> None:
    extracted = extract(_pdf([f"Seite {n} Text" for n in range(1, 501)]))
    assert extracted.page_count == 500
    assert extracted.truncated
    assert len(extracted.pages) == MAX_PAGES
    assert extracted.pages[-1].number == MAX_PAGES


def test_docx_keeps_headings_and_tables() -> None:
    extracted = extract(_docx(), name="dv.docx")
    text = extracted.pages[0].text
    assert "# Dienstvereinbarung KI" in text
    assert "## § 3 Datenschutz" in text
    assert "Personalrat | Mitbestimmung" in text


def test_zip_bomb_docx_is_refused_before_parsing() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", b"\0" * 30_000_000)
    with pytest.raises(Unreadable, match="zip bomb"):
        extract(buffer.getvalue(), name="bombe.docx")


def test_not_a_word_document() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hallo.txt", "kein Word")
    with pytest.raises(Unreadable, match="not a Word document"):
        extract(buffer.getvalue(), name="x.docx")


def test_html_keeps_structure_and_drops_scripts() -> None:
    html = (
        "<html><head><script>alert('x')</script><style>p{}</style></head><body>"
        "<h2>Beschluss</h2><p>Der Rat beschließt.</p><ul><li>Punkt eins</li></ul>"
        "<table><tr><td>Ja</td><td>12</td></tr></table></body></html>"
    ).encode()
    text = extract(html, mime_type="text/html").pages[0].text
    assert "## Beschluss" in text and "- Punkt eins" in text and "Ja | 12" in text
    assert "alert" not in text


def test_windows_1252_text_is_decoded() -> None:
    text = extract("Gebäude und Straße".encode("cp1252"), name="a.txt").pages[0].text
    assert text == "Gebäude und Straße"


def test_binary_garbage_is_not_text() -> None:
    with pytest.raises(Unreadable):
        extract(b"\x00\x01\x02binary\x00" * 10, mime_type="application/octet-stream")
