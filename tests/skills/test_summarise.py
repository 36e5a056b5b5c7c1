"""Summaries: by reference, pasted text, files (PDF, scan, password), long documents, access."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Sequence
from pathlib import Path

from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from bot.render.text import result_text
from indexer.model import COUNCIL, Chunk
from skills import summarise
from skills.generator.base import Generator, Passage, Summary
from skills.generator.extractive import ExtractiveGenerator
from skills.types import Attachment, Citation, SkillOptions, SkillRequest, SkillResult
from tests.conftest import REPO
from tests.skills.helpers import member_of, sample_context

PDF = "application/pdf"


def pdf(pages: Sequence[Sequence[str]], *, password: str | None = None) -> bytes:
    buffer = io.BytesIO()
    doc = canvas.Canvas(buffer, pagesize=A4, encrypt=password)
    for lines in pages:
        y = 800
        for line in lines:
            doc.drawString(50, y, line)
            y -= 16
        if not lines:
            doc.rect(100, 400, 300, 200, fill=1)  # an "image": no text on the page
        doc.showPage()
    doc.save()
    return buffer.getvalue()


VORLAGE_PAGES = [
    [
        "Beschlussvorlage: Fahrradparkhaus am Hauptbahnhof",
        "Beratungsfolge",
        "Bauausschuss 19.10.2026 (Vorberatung)",
        "Bürgerschaft 26.11.2026 (Entscheidung)",
    ],
    [
        "Beschlussvorschlag",
        "Die Bürgerschaft beschließt den Bau eines Fahrradparkhauses mit 1.200 Stellplätzen.",
    ],
    [
        "Finanzielle Auswirkungen",
        "Die Kosten betragen 6,1 Mio. Euro und werden im Haushalt 2027 veranschlagt.",
        "Die Fertigstellung ist bis zum 31.12.2028 vorgesehen.",
    ],
    [
        "Sachverhalt",
        "Am Hauptbahnhof fehlen seit Jahren sichere Abstellplätze für Fahrräder und Lastenräder.",
        "Die vorhandenen 600 Bügel sind an Werktagen ab acht Uhr vollständig belegt.",
        "Viele Räder werden deshalb an Geländern, Laternen und in Fluchtwegen abgestellt.",
        "Eine Zählung im Mai 2026 ergab 940 abgestellte Räder auf dem Bahnhofsvorplatz.",
        "Das Fahrradparkhaus entsteht auf der Fläche des bisherigen Kurzzeitparkplatzes.",
        "Es erhält eine Servicestation, Ladepunkte für Pedelecs und abschließbare Boxen.",
        "Die Deutsche Bahn hat der Nutzung der Fläche im Rahmen eines Vertrags zugestimmt.",
        "Der Betrieb soll an einen gemeinnützigen Träger vergeben werden.",
        "Die Nutzung ist für Inhaberinnen und Inhaber eines Deutschlandtickets kostenfrei.",
    ],
    [
        "Alternativen",
        "Geprüft wurde auch eine Erweiterung der Bügelanlage entlang der Bahnhofstraße.",
        "Sie hätte nur 300 zusätzliche Plätze geschaffen und den Gehweg weiter verengt.",
        "Eine Tiefgaragenlösung scheiterte an den Leitungen unter dem Vorplatz.",
        "Ein Parkhaus in Modulbauweise kann dagegen in zwölf Monaten errichtet werden.",
        "Die Bauzeit fällt in die Sommerferien, um den Pendelverkehr wenig zu stören.",
        "Während der Bauzeit stehen 200 mobile Bügel auf dem Busparkplatz bereit.",
        "Der Seniorenbeirat und der Behindertenbeirat wurden im Juni 2026 beteiligt.",
        "Beide Beiräte begrüßen die ebenerdige Zufahrt und die breiten Fahrgassen.",
        "Die Polizei empfiehlt Videoüberwachung am Eingang und eine helle Beleuchtung.",
    ],
]


async def run(
    tmp_path: Path,
    request: SkillRequest,
    *,
    generator: Generator | None = None,
    extra: list[Chunk] | None = None,
) -> SkillResult:
    async with sample_context(tmp_path, generator, extra) as ctx:
        return await summarise.run(request, ctx)


async def test_reference_summary_keeps_proposal_money_and_dates_within_40_percent(
    tmp_path: Path,
) -> None:
    result = await run(tmp_path, SkillRequest(text="VO/2026/14311"))
    data = result.as_json()
    assert result.outcome == "ok" and result.ai_generated is False
    assert "Bürgerschaft beschließt die Sanierung" in data["decision_proposal"]["text"]
    assert "31.03.2027" in data["decision_proposal"]["text"]  # the deadline is part of it
    assert "14,8 Mio. Euro" in data["financial_impact"]["text"]
    assert any("Hauptausschuss 13.10.2026" in c["text"] for c in data["consultation"])
    points = [data["decision_proposal"], *data["finance"], *data["consultation"]]
    numbers = {c["n"] for c in data["citations"]}
    assert all(p["citations"] and set(p["citations"]) <= numbers for p in points)
    assert "nicht KI-formuliert" in data["summary"]
    # A paper of 1,300 characters: key points give way to the proposal, money and dates.
    assert data["key_points"] == []


async def test_pdf_attachment_points_carry_their_pages(tmp_path: Path) -> None:
    attachment = Attachment("vorlage.pdf", PDF, pdf(VORLAGE_PAGES))
    result = await run(tmp_path, SkillRequest(text="", attachments=(attachment,)))
    data = result.as_json()
    assert data["decision_proposal"]["pages"] == [2]
    assert (
        data["financial_impact"]["pages"] == [3]
        and "6,1 Mio. Euro" in data["financial_impact"]["text"]
    )
    assert any("31.12.2028" in d["text"] and d["pages"] == [3] for d in data["deadlines"])


async def test_scanned_pdf_asks_for_ocr(tmp_path: Path) -> None:
    attachment = Attachment("scan.pdf", PDF, pdf([[], []]))
    result = await run(tmp_path, SkillRequest(text="", attachments=(attachment,)))
    assert result.outcome == "bad_input"
    assert "keinen Text (Scan?)" in result_text(result) and "OCR" in result_text(result)


async def test_password_protected_pdf_gets_a_clear_message(tmp_path: Path) -> None:
    attachment = Attachment("geheim.pdf", PDF, pdf(VORLAGE_PAGES, password="geheim"))
    result = await run(tmp_path, SkillRequest(text="", attachments=(attachment,)))
    assert result.outcome == "bad_input" and "Passwort" in result_text(result)


async def test_broken_file_and_empty_request(tmp_path: Path) -> None:
    broken = await run(
        tmp_path, SkillRequest(text="", attachments=(Attachment("x.pdf", PDF, b"%PDF-1.7 kaputt"),))
    )
    empty = await run(tmp_path, SkillRequest(text=""))
    assert broken.outcome == "bad_input" and "nicht lesen" in result_text(broken)
    assert empty.outcome == "bad_input" and "Aktenzeichen" in result_text(empty)


async def test_unknown_and_forbidden_references_read_the_same(tmp_path: Path) -> None:
    unknown = await run(tmp_path, SkillRequest(text="VO/2099/12345"))
    forbidden = await run(tmp_path, SkillRequest(text="GR-INTERN/2026/07"))
    allowed = await run(
        tmp_path, SkillRequest(text="GR-INTERN/2026/07", user=member_of("fraktion-gruene"))
    )
    assert unknown.outcome == forbidden.outcome == "not_found"
    assert (
        result_text(forbidden)
        == "„GR-INTERN/2026/07“ habe ich nicht gefunden. Bitte prüfen Sie das Aktenzeichen."
    )
    assert "Haushaltsstrategie" not in result_text(forbidden)
    assert allowed.outcome == "ok"


async def test_link_to_an_indexed_paper(tmp_path: Path) -> None:
    oparl_id = "https://ratsinfo.example/oparl/bodies/0001/papers/vo/777"
    paper = Chunk(
        id=f"{oparl_id}#0", doc_id=oparl_id, collection=COUNCIL, title="Antrag Sitzbänke",
        text="Beschlussvorschlag\nDie Bürgerschaft beschließt, 40 neue Sitzbänke in der Altstadt aufzustellen.",
        reference="2026/0777", page=1,
    )  # fmt: skip
    result = await run(tmp_path, SkillRequest(text=oparl_id), extra=[paper])
    unknown = await run(
        tmp_path, SkillRequest(text="https://allris.luebeck.de/public/vo020?VOLFDNR=999999")
    )
    assert result.outcome == "ok"
    assert "40 neue Sitzbänke" in result.as_json()["decision_proposal"]["text"]
    assert unknown.outcome == "not_found" and "nicht gefunden" in result_text(unknown)


async def test_pasted_text_of_50000_characters_is_summarised(tmp_path: Path) -> None:
    base = (
        (REPO / "samples" / "council" / "beschlussvorlage-klimaschutz.md")
        .read_text(encoding="utf-8")
        .split("---", 2)[2]
    )
    filler = "Die Verwaltung prüft weitere Maßnahmen zur Wärmewende in den Stadtteilen. " * 700
    text = base + "\n\n" + filler
    assert len(text) >= 50_000
    result = await run(tmp_path, SkillRequest(text=text))
    assert result.outcome == "ok"
    assert "350.000 Euro" in result.as_json()["financial_impact"]["text"]


async def test_too_short_paste(tmp_path: Path) -> None:
    result = await run(tmp_path, SkillRequest(text="Bitte kurz zusammenfassen."))
    assert result.outcome == "bad_input" and "zu kurz" in result_text(result)


def long_pdf(pages: int) -> bytes:
    content = []
    for n in range(1, pages + 1):
        lines = [
            f"Abschnitt {n}, Zeile {i}: Der Radweg auf der Strecke {n} wird verbreitert, beleuchtet und neu markiert."
            for i in range(1, 16)
        ]
        if n == 117:
            lines = ["Beschlussvorschlag", "Die Bürgerschaft beschließt den Radverkehrsplan 2030."]
        if n == 118:
            lines = ["Die Kosten betragen 9,5 Mio. Euro im Haushalt 2027."]
        content.append(lines)
    return pdf(content)


class RecordedProgress:
    def __init__(self) -> None:
        self.lines: list[str] = []

    async def inform(self, text: str) -> None:
        self.lines.append(text)

    async def preview(self, text: str, citations: Sequence[Citation] = ()) -> None:
        raise AssertionError("a summary has no answer text to preview")


async def test_long_document_is_summarised_map_reduce_with_late_pages(tmp_path: Path) -> None:
    attachment = Attachment("radverkehrsplan.pdf", PDF, await asyncio.to_thread(long_pdf, 120))
    progress = RecordedProgress()
    request = SkillRequest(text="", attachments=(attachment,), progress=progress)
    result = await run(tmp_path, request)
    data = result.as_json()
    assert data["pages"] >= 118 and data["partial"] is False
    assert data["decision_proposal"]["pages"] == [117]
    assert data["financial_impact"]["pages"][0] in (117, 118)  # a passage starts on 117
    assert request.trace.step("map") is not None
    # What a 1:1 chat shows meanwhile (Teams streaming): the document, then each part read.
    groups = request.trace.step("map").details["groups"]  # type: ignore[union-attr]
    assert progress.lines[0].startswith("Ich fasse „") and len(progress.lines) == groups + 1
    assert progress.lines[-1] == f"Ich lese das Dokument: Teil {groups} von {groups} …"


class SlowGenerator(ExtractiveGenerator):
    async def summarise(
        self, passages: Sequence[Passage], *, title: str = "", language: str = "de"
    ) -> Summary:
        if passages[0].chunk.page and passages[0].chunk.page > 1:
            await asyncio.sleep(5)  # only the first group is quick
        return await super().summarise(passages, title=title)


async def test_time_budget_gives_a_partial_summary_that_says_so(tmp_path: Path) -> None:
    attachment = Attachment("radverkehrsplan.pdf", PDF, await asyncio.to_thread(long_pdf, 120))
    request = SkillRequest(
        text="", attachments=(attachment,), options=SkillOptions(budget_seconds=0.5)
    )
    result = await run(tmp_path, request, generator=SlowGenerator())
    data = result.as_json()
    assert data["partial"] is True and "ersten" in data["summary"]
    assert data["key_points"]


async def test_the_summary_comes_back_typed_as_well(tmp_path: Path) -> None:
    """Front ends draw the summary from `DocumentSummary` (skills/results.py), not from the
    JSON the CLI prints: the same statements, with the same sources."""
    from skills.results import DocumentSummary

    result = await run(tmp_path, SkillRequest(text="VO/2026/14311"))
    summary = result.payload
    assert isinstance(summary, DocumentSummary)
    data = result.as_json()
    assert summary.decision_proposal is not None
    assert summary.decision_proposal.text == data["decision_proposal"]["text"]
    assert summary.decision_proposal.citations == tuple(data["decision_proposal"]["citations"])
    assert [p.text for p in summary.finance] == [f["text"] for f in data["finance"]]
    assert [p.text for p in summary.consultation] == [c["text"] for c in data["consultation"]]
    assert summary.points()[0] == summary.decision_proposal and not summary.partial
