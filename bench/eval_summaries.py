"""How well `zusammenfassen` summarises real council papers: proposal, money, dates, pages.

    .venv/bin/python bench/eval_summaries.py [--split dev|test|all] [--details] [--keep-pdfs DIR]

The set is bench/summaries/karlsruhe.yaml: 33 real Karlsruhe papers with facts written by hand
before the summariser ran on them, split dev/test by paper. Each paper is rendered to one PDF
(main document, then Stellungnahme, then Anlagen; one PDF page per page of the extracted text,
so page numbers are the real ones) and sent to the skill as a file, as in the 1:1 chat.

Printed per split:
- proposal found: the hand-written core phrase appears in the summary;
- amounts found / dates found: share of expected euro amounts / consultation dates in it;
- citations on page: share of citations whose quote stands on the page they name;
- statements on page: share of summary points whose words stand on one of their pages
  (extracts only: a model's prose is not verbatim);
- invented amounts: euro amounts in the summary whose value is nowhere in the source (must be 0);
- length ratio: summary characters / source characters (mean, max, papers over 40 %);
- seconds per page, and the time for the largest (100+ page) paper.

Per-paper misses are printed for the dev split only (--details): tune on dev, report test.
Over 400 lines on purpose: one experiment, read top to bottom (render, run, score, print).
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import io
import json
import re
import sys
import tarfile
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bot.render.text import result_text  # noqa: E402
from indexer.embedded import EmbeddedIndex  # noqa: E402
from indexer.extract import extract  # noqa: E402
from skills import summarise  # noqa: E402
from skills.context import SkillConfig, SkillContext  # noqa: E402
from skills.generator.extractive import ExtractiveGenerator  # noqa: E402
from skills.types import Attachment, SkillRequest, SkillResult  # noqa: E402

KARLSRUHE = REPO.parent / "shared" / "data" / "karlsruhe"
SET = REPO / "bench" / "summaries" / "karlsruhe.yaml"
FONT_CANDIDATES = (
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
    Path("/usr/share/fonts/dejavu/DejaVuSans.ttf"),
)
LATER_FILES = re.compile(r"Protokoll|Abstimmungsergebnis|Niederschrift", re.IGNORECASE)
MAIN_FILE = re.compile(
    r"^(?:Beschlussvorlage|Antrag|Anfrage|Informationsvorlage|Änderungs|Ergänzungs|Offenlage|"
    r"Interfraktionell|BV_|GR-Vorlage)",
    re.IGNORECASE,
)
PAGE_MARKER = re.compile(r"^[ \t]*--[ \t]*\d+[ \t]+of[ \t]+\d+[ \t]*--[ \t]*$", re.MULTILINE)
LINES_PER_PAGE = 95
UNPAGED_LINES_PER_PAGE = 60  # texts without page markers (Haushalt motions): about one A4 page


# ---------------------------------------------------------------- the set and its PDFs


def load_papers(references: Iterable[str]) -> dict[str, dict[str, Any]]:
    wanted = set(references)
    found: dict[str, dict[str, Any]] = {}
    with gzip.open(KARLSRUHE / "papers.jsonl.gz", "rt", encoding="utf-8") as lines:
        for line in lines:
            paper = json.loads(line)
            if paper.get("reference") in wanted:
                found[paper["reference"]] = paper
    missing = wanted - set(found)
    if missing:
        raise SystemExit(f"papers not in the corpus: {sorted(missing)}")
    return found


def file_order(name: str) -> int:
    """Main document first, then the administration's Stellungnahme, then the Anlagen."""
    if MAIN_FILE.search(name):
        return 0
    if "stellungnahme" in name.lower():
        return 1
    return 2


def paper_files(paper: dict[str, Any]) -> list[tuple[str, str]]:
    """(file name, text file id) in reading order, without later protocol excerpts."""
    files = [f for f in paper.get("auxiliaryFile", []) if not LATER_FILES.search(f["name"])]
    files.sort(key=lambda f: file_order(f["name"]))
    return [(f["name"], f["id"].rsplit("/", 1)[1]) for f in files]


def read_texts(ids: set[str]) -> dict[str, str]:
    texts: dict[str, str] = {}
    with tarfile.open(KARLSRUHE / "texts.tar.gz") as tar:
        for member in tar:
            file_id = Path(member.name).stem
            if file_id in ids:
                extracted = tar.extractfile(member)
                if extracted is not None:
                    texts[file_id] = extracted.read().decode("utf-8", errors="replace")
    return texts


def text_pages(text: str) -> list[str]:
    """The text's own pages (`-- n of m --` markers), else pages of UNPAGED_LINES_PER_PAGE."""
    if PAGE_MARKER.search(text):
        pages = PAGE_MARKER.split(text)
        if not pages[-1].strip():
            pages.pop()
        return pages
    lines = text.split("\n")
    return [
        "\n".join(lines[i : i + UNPAGED_LINES_PER_PAGE])
        for i in range(0, max(len(lines), 1), UNPAGED_LINES_PER_PAGE)
    ]


def render_pdf(pages: list[str]) -> bytes:
    """One PDF page per text page; DejaVu Sans keeps ☐/☒ and umlauts as real PDFs have them."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen import canvas

    font = "Helvetica"
    for candidate in FONT_CANDIDATES:
        if candidate.exists():
            if "DejaVuSans" not in pdfmetrics.getRegisteredFontNames():
                pdfmetrics.registerFont(TTFont("DejaVuSans", str(candidate)))
            font = "DejaVuSans"
            break
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4, invariant=True)
    _width, height = A4
    for page in pages:
        lines: list[str] = []
        for raw in page.strip("\n").split("\n"):
            if font == "Helvetica":  # Windows-1252 only: keep the boxes readable
                raw = raw.replace("☒", "[x]").replace("☐", "[ ]")
                raw = raw.encode("cp1252", "replace").decode("cp1252")
            while len(raw) > 130:
                lines.append(raw[:130])
                raw = raw[130:]
            lines.append(raw)
        for start in range(0, max(len(lines), 1), LINES_PER_PAGE):
            text = pdf.beginText(36, height - 40)
            text.setFont(font, 7, leading=8)
            for line in lines[start : start + LINES_PER_PAGE]:
                text.textLine(line)
            pdf.drawText(text)
            pdf.showPage()
    pdf.save()
    return buffer.getvalue()


# ---------------------------------------------------------------- normalising facts

_SCALE = {"mio": 1e6, "millionen": 1e6, "million": 1e6, "mrd": 1e9, "milliarden": 1e9}
_NUMBER = r"-?\d{1,3}(?:[.  ]\d{3})+(?:,\d{1,2})?|-?\d+(?:,\d{1,2})?"
_AMOUNT = re.compile(
    rf"(?P<n>{_NUMBER})\s*(?P<scale>Mio\.?|Millionen|Million|Mrd\.?|Milliarden)?\s*"
    r"(?:€|Euro\b|EUR\b)"
    rf"|(?:€|EUR)\s*(?P<n2>{_NUMBER})",
    re.IGNORECASE,
)
_ANY_NUMBER = re.compile(rf"(?<![\d,.])(?P<n>{_NUMBER})(?:\s*(?P<scale>Mio\.?|Millionen|Mrd\.?))?")
_MONTHS = {
    m: i
    for i, m in enumerate(
        (
            "Januar",
            "Februar",
            "März",
            "April",
            "Mai",
            "Juni",
            "Juli",
            "August",
            "September",
            "Oktober",
            "November",
            "Dezember",
        ),
        start=1,
    )
}
_DATE = re.compile(
    r"\b(\d{1,2})\.\s?(\d{1,2})\.\s?(\d{4})\b|\b(\d{1,2})\.\s("
    + "|".join(_MONTHS)
    + r")\s(\d{4})\b"
)


def _value(number: str, scale: str | None) -> float:
    digits = re.sub(r"[.  ]", "", number.lstrip("-")).replace(",", ".")
    value = float(digits) * _SCALE.get((scale or "").lower().rstrip("."), 1.0)
    return round(value, 2)


def amounts_in(text: str) -> set[float]:
    """Values of the euro amounts in `text` (signs dropped: "-5.000.000" is 5 million)."""
    out = set()
    for m in _AMOUNT.finditer(text):
        out.add(_value(m.group("n") or m.group("n2"), m.group("scale")))
    return out


def numbers_in(text: str) -> set[float]:
    return {_value(m.group("n"), m.group("scale")) for m in _ANY_NUMBER.finditer(text)}


def dates_in(text: str) -> set[str]:
    out = set()
    for m in _DATE.finditer(text):
        if m.group(1):
            out.add(f"{int(m.group(1)):02d}.{int(m.group(2)):02d}.{m.group(3)}")
        else:
            out.add(f"{int(m.group(4)):02d}.{_MONTHS[m.group(5)]:02d}.{m.group(6)}")
    return out


def squeeze(text: str) -> str:
    """Letters and digits only, case-folded: a quote found here stands on the page even when
    the PDF broke its lines or hyphenated its words."""
    return re.sub(r"[^0-9a-zäöüß]", "", text.casefold())


def phrase_in(phrase: str, text: str) -> bool:
    return " ".join(phrase.casefold().split()) in " ".join(text.casefold().split())


# ---------------------------------------------------------------- scoring one paper


@dataclass
class Score:
    reference: str
    split: str
    pages: int
    source_chars: int
    summary_chars: int
    seconds: float
    proposal: bool
    amounts: tuple[int, int]  # found, expected
    dates: tuple[int, int]
    citations: tuple[int, int]  # on the page, checked
    statements: tuple[int, int]
    invented: list[str] = field(default_factory=list)
    misses: list[str] = field(default_factory=list)


def score(
    spec: dict[str, Any], result: SkillResult, page_texts: dict[int, str], seconds: float
) -> Score:
    summary = result_text(result)  # what `kiw summarise` prints
    source = "\n".join(page_texts.values())
    misses: list[str] = []
    proposal = phrase_in(spec["proposal"], summary)
    if not proposal:
        misses.append(f"proposal „{spec['proposal']}“")
    found_amounts = 0
    summary_amounts = amounts_in(summary)
    for expected in spec["amounts"]:
        values = amounts_in(expected) or numbers_in(expected)
        if values & summary_amounts or phrase_in(expected, summary):
            found_amounts += 1
        else:
            misses.append(f"amount {expected}")
    found_dates = 0
    summary_dates = dates_in(summary)
    for expected in spec["dates"]:
        if expected in summary_dates:
            found_dates += 1
        else:
            misses.append(f"date {expected}")
    for problem in check_spec(spec, source):
        misses.append(f"SET ERROR: {problem}")
    squeezed_pages = {page: squeeze(text) for page, text in page_texts.items()}
    on_page = 0
    for citation in result.citations:
        pieces = [squeeze(p) for p in re.split(r"…|\.\.\.", citation.quote) if squeeze(p)]
        page = squeezed_pages.get(citation.page or 0, "")
        if pieces and all(p in page for p in pieces):
            on_page += 1
        else:
            misses.append(f"citation [{citation.n}] not on p. {citation.page}")
    statements_on_page = statements = 0
    for point in _points(result.as_json()):
        if "quotes" in point:  # the verbatim words a statement stands on, page by page
            on = all(
                squeeze(q["text"]) in squeezed_pages.get(q["page"] or 0, "")
                for q in point["quotes"]
            )
        elif not result.ai_generated:  # an extract without quotes: its own words
            pieces = [squeeze(p) for p in re.split(r"…", point["text"]) if squeeze(p)]
            on = any(all(p in squeezed_pages.get(pg, "") for p in pieces) for pg in point["pages"])
        else:
            continue  # a model's prose without quotes cannot be checked word for word
        statements += 1
        if on:
            statements_on_page += 1
        else:
            misses.append(f"statement not on p. {point['pages']}: {point['text'][:60]}")
    source_values = numbers_in(source)
    invented = sorted(f"{v:,.2f}" for v in summary_amounts if v not in source_values and v != 0)
    return Score(
        reference=spec["reference"],
        split=spec["split"],
        pages=len(page_texts),
        source_chars=len(source),
        summary_chars=len(summary),
        seconds=seconds,
        proposal=proposal,
        amounts=(found_amounts, len(spec["amounts"])),
        dates=(found_dates, len(spec["dates"])),
        citations=(on_page, len(result.citations)),
        statements=(statements_on_page, statements),
        invented=invented,
        misses=misses,
    )


def check_spec(spec: dict[str, Any], source: str) -> list[str]:
    """Facts of the set that are not in the source at all (a typo in the YAML)."""
    problems = []
    if squeeze(spec["proposal"]) not in squeeze(source):
        problems.append(f"proposal „{spec['proposal']}“ not in the source")
    values = numbers_in(source)
    for amount in spec["amounts"]:
        if not (amounts_in(amount) or numbers_in(amount)) <= values:
            problems.append(f"amount {amount} not in the source")
    problems.extend(
        f"date {d} not in the source" for d in spec["dates"] if d not in dates_in(source)
    )
    return problems


def _points(data: dict[str, Any]) -> list[dict[str, Any]]:
    points: list[dict[str, Any]] = []
    for value in data.values():
        if isinstance(value, dict) and "pages" in value and "text" in value:
            points.append(value)
        elif isinstance(value, list):
            points.extend(v for v in value if isinstance(v, dict) and "pages" in v and "text" in v)
    points = [p for p in points if p["pages"]]
    if any("quotes" in p for p in points):  # derived points (financial_impact) have none
        points = [p for p in points if "quotes" in p]
    return points


# ---------------------------------------------------------------- running


async def run_paper(
    spec: dict[str, Any], pdf: bytes, ctx: SkillContext
) -> tuple[SkillResult, dict[int, str], float]:
    pages = {p.number or 0: p.text for p in extract(pdf, mime_type="application/pdf").pages}
    name = spec["reference"].replace("/", "-") + ".pdf"
    request = SkillRequest(text="", attachments=(Attachment(name, "application/pdf", pdf),))
    started = time.perf_counter()
    result = await summarise.run(request, ctx)
    return result, pages, time.perf_counter() - started


def _share(pairs: Iterable[tuple[int, int]]) -> str:
    found = expected = 0
    for f, e in pairs:
        found += f
        expected += e
    return f"{found / expected:.2f} ({found}/{expected})" if expected else "– (0/0)"


def report(split: str, scores: list[Score]) -> None:
    if not scores:
        return
    ratios = [s.summary_chars / max(s.source_chars, 1) for s in scores]
    pages = sum(s.pages for s in scores)
    biggest = max(scores, key=lambda s: s.pages)
    print(f"\n== {split}: {len(scores)} papers, {pages} pages")
    print(f"proposal found       {_share((int(s.proposal), 1) for s in scores)}")
    print(f"amounts found        {_share(s.amounts for s in scores)}")
    print(f"dates found          {_share(s.dates for s in scores)}")
    print(f"citations on page    {_share(s.citations for s in scores)}")
    print(f"statements on page   {_share(s.statements for s in scores)}")
    print(f"invented amounts     {sum(len(s.invented) for s in scores)}")
    print(
        f"length ratio         mean {sum(ratios) / len(ratios):.2f}, max {max(ratios):.2f}, "
        f"over 40 %: {sum(r > 0.4 for r in ratios)}"
    )
    print(f"seconds per page     {sum(s.seconds for s in scores) / max(pages, 1):.4f}")
    print(
        f"largest paper        {biggest.reference}: {biggest.pages} pages in {biggest.seconds:.2f} s"
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--split", choices=("dev", "test", "all"), default="all")
    parser.add_argument("--details", action="store_true", help="per-paper misses (dev only)")
    parser.add_argument("--keep-pdfs", type=Path, help="write the rendered PDFs here")
    parser.add_argument("--only", help="one reference (dev papers only with --details)")
    args = parser.parse_args()
    specs = yaml.safe_load(SET.read_text(encoding="utf-8"))["papers"]
    specs = [s for s in specs if args.split in ("all", s["split"])]
    if args.only:
        specs = [s for s in specs if s["reference"] == args.only]
    papers = load_papers(s["reference"] for s in specs)
    files = {ref: paper_files(paper) for ref, paper in papers.items()}
    texts = read_texts({file_id for fs in files.values() for _name, file_id in fs})
    scores: list[Score] = []
    with tempfile.TemporaryDirectory() as tmp:
        index = EmbeddedIndex(Path(tmp) / "index")
        ctx = SkillContext(
            index=index,
            generator=ExtractiveGenerator(),
            directory=None,  # type: ignore[arg-type]  # a file summary looks nobody up
            config=SkillConfig(),
        )
        try:
            for spec in specs:
                pages = [
                    page
                    for _name, file_id in files[spec["reference"]]
                    for page in text_pages(texts.get(file_id, ""))
                ]
                pdf = render_pdf(pages)
                if args.keep_pdfs:
                    args.keep_pdfs.mkdir(parents=True, exist_ok=True)
                    (args.keep_pdfs / (spec["reference"].replace("/", "-") + ".pdf")).write_bytes(
                        pdf
                    )
                result, page_texts, seconds = await run_paper(spec, pdf, ctx)
                scores.append(score(spec, result, page_texts, seconds))
        finally:
            await index.close()
    for split in ("dev", "test"):
        report(split, [s for s in scores if s.split == split])
    if args.details:
        print("\n== dev misses")
        for s in scores:
            if s.split == "dev" and (s.misses or s.invented):
                print(f"{s.reference} ({s.pages} p.): " + "; ".join(s.misses))
                if s.invented:
                    print(f"  invented: {s.invented}")


if __name__ == "__main__":
    asyncio.run(main())
