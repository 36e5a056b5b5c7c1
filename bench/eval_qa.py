"""Evaluate policy Q&A and ALLRIS search on the project's question sets; print the figures.
(Over 400 lines on purpose: the sets share the scoring and the printing; each set is a
function of its own, and the figures in docs/ name this one script.)

    .venv/bin/python bench/eval_qa.py [--karlsruhe-papers 500] [--skip-karlsruhe]
    .venv/bin/python bench/eval_qa.py --skip-council --skip-karlsruhe --skip-summaries --split dev
    .venv/bin/python bench/eval_qa.py --skip-rules --skip-karlsruhe --skip-summaries --split dev

Rules set (bench/questions/rules.yaml): figures per split; for dev also per document (a change
must not lower any one of them) and each miss with its cause (retrieval, gate refusal, wrong
sentence, unanswerable answered). Tune with `--split dev`: the test questions are not asked.
Beside "answer contains fact": the fact in the answer's first quoted sentence and the mean
length of the answers (characters and sentences quoted), so that a longer answer that catches
the fact by its length shows as such. Below "no sure answer" (skills/pointers.py), on their own
lines and never in "answer contains fact": the refused answerable wordings whose places to
check hold the fact (the skill's order and the retrieval's), and the refused unanswerable
wordings that still get places.

Own set (bench/questions/policies.yaml over samples/policies):
  Recall@5 / MRR        the expected document among the first five retrieved passages / 1/rank
  citation precision    share of citations whose passage contains the expected fact
  answer contains fact  share of answerable questions whose answer text contains the fact
  refused (unanswerable) share of "keine Aussage" replies on questions the corpus cannot answer
  answerable answered   share of answerable questions that got a grounded answer
  latency p50/p95       one turn (retrieval, gate, generation, validation) minus the model call
Karlsruhe (bench/questions/karlsruhe.yaml over a subset of the real corpus indexed into a
temporary EmbeddedIndex: the expected papers plus distractors up to --karlsruhe-papers):
  recall@5 / mrr        title-derived searches, expected paper among the first five papers
  text_recall@5 / mrr   searches of five words from one sentence of the paper's text
  text_answer_*         the same words asked as a question (answer mode): share grounded,
                        share of grounded answers that cite the expected paper
  unanswerable_refused  Lübeck questions the Karlsruhe subset cannot answer, answer mode

Runs with the extractive backend; also with an OpenAI-compatible backend when
KIW_OPENAI_BASE_URL (and KIW_OPENAI_MODEL, optionally KIW_OPENAI_API_KEY) is set. With
--parrot the OpenAI path runs against a local stand-in model (tests/skills/openai_server.py)
to time everything around the model call: masking, budgeting, the HTTP round trip on
loopback, validation.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import io
import json
import os
import sys
import tarfile
import tempfile
import time
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from eval_council import eval_council  # noqa: E402  (bench/, beside this script)
from qa_common import (  # noqa: E402
    answer_sentences,
    by_group,
    context,
    has_fact,
    pct,
    percentile,
)
from qa_sets import (  # noqa: E402  (bench/qa_sets.py, beside this script)
    karlsruhe_texts,
    rules_chunks,
    rules_questions,
)

from indexer.chunking import split_page_markers, split_passages  # noqa: E402
from indexer.embedded import EmbeddedIndex  # noqa: E402
from indexer.encoders import E5Encoder  # noqa: E402
from indexer.model import COUNCIL, POLICIES, Chunk, SearchQuery  # noqa: E402
from skills import allris_papers, allris_search, policy_qa  # noqa: E402
from skills.allris_query import parse_council_query  # noqa: E402
from skills.context import SkillContext  # noqa: E402
from skills.generator.base import Generator  # noqa: E402
from skills.generator.extractive import ExtractiveGenerator  # noqa: E402
from skills.german import detect_language, search_terms  # noqa: E402
from skills.grounded_answer import answer_question, retrieve  # noqa: E402
from skills.pointers import Order  # noqa: E402
from skills.privacy import without_personal_data  # noqa: E402
from skills.types import SkillOptions, SkillRequest  # noqa: E402
from tests.skills.corpus import sample_chunks  # noqa: E402

KARLSRUHE = REPO.parent / "shared" / "data" / "karlsruhe"
QUESTIONS = REPO / "bench" / "questions"


async def eval_policies(
    index: EmbeddedIndex, generator: Generator, *, subtract_model: bool = True
) -> dict[str, Any]:
    spec = yaml.safe_load((QUESTIONS / "policies.yaml").read_text(encoding="utf-8"))
    ctx = context(index, generator)
    chunk_text = {(c.doc_id, c.heading): c.text for c in sample_chunks()}
    recall, rr, precision, contains, answered, latency = [], [], [], [], [], []
    failures: list[str] = []
    for item in spec["answerable"]:
        expected = f"file:samples/policies/{item['doc']}"
        fact = item["fact"].lower()
        language = detect_language(item["q"])
        terms = search_terms(without_personal_data(item["q"]), language)
        hits = (await retrieve(ctx, SearchQuery(text=terms, collection=POLICIES, top=8))).hits
        ranked = hits  # retrieval order (the gate reads sentences, not passage ranks)
        docs = list(dict.fromkeys(h.chunk.doc_id for h in ranked))
        recall.append(1.0 if expected in docs[:5] else 0.0)
        rr.append(1.0 / (docs.index(expected) + 1) if expected in docs else 0.0)
        request = SkillRequest(text=item["q"], command="frage")
        start = time.perf_counter()
        result = await policy_qa.run(request, ctx)
        total_ms = (time.perf_counter() - start) * 1000
        gen = request.trace.step("generation")
        model_ms = gen.ms if gen and generator.name != "extractive" and subtract_model else 0.0
        latency.append(total_ms - model_ms)
        answered.append(1.0 if result.grounded else 0.0)
        contains.append(1.0 if fact in result.as_json().get("answer", "").lower() else 0.0)
        for c in result.citations:
            passage = chunk_text.get((c.doc_id, c.heading), c.quote).lower()
            precision.append(1.0 if fact in passage else 0.0)
        if not result.grounded or fact not in result.as_json().get("answer", "").lower():
            failures.append(f"  missed: {item['q']}")
    refused = []
    for question in spec["unanswerable"]:
        request = SkillRequest(text=question, command="frage")
        start = time.perf_counter()
        result = await policy_qa.run(request, ctx)
        latency.append((time.perf_counter() - start) * 1000)
        refused.append(1.0 if result.outcome == "no_answer" else 0.0)
        if result.outcome != "no_answer":
            failures.append(f"  answered unanswerable: {question}")
    return {
        "questions": len(spec["answerable"]) + len(spec["unanswerable"]),
        "recall@5": pct(recall),
        "mrr": pct(rr),
        "citation_precision": pct(precision),
        "answer_contains_fact": pct(contains),
        "answerable_answered": pct(answered),
        "unanswerable_refused": pct(refused),
        "latency_ms_p50": f"{percentile(latency, 0.5):.1f}",
        "latency_ms_p95": f"{percentile(latency, 0.95):.1f}",
        "failures": failures,
    }


def _karlsruhe_chunks(limit: int, wanted: set[str]) -> list[Chunk]:
    with gzip.open(KARLSRUHE / "papers.jsonl.gz", "rt") as fh:
        papers = [json.loads(line) for line in fh]
    chosen = [p for p in papers if p["id"] in wanted]
    chosen += [p for p in papers if p["id"] not in wanted and not p.get("deleted")][
        : max(0, limit - len(chosen))
    ]
    needed = {f["id"].rsplit("/", 1)[1]: p for p in chosen for f in p.get("auxiliaryFile", [])}
    texts = karlsruhe_texts(needed)
    chunks: list[Chunk] = []
    for p in chosen:
        when = p.get("date")
        paper_date = datetime.fromisoformat(when).date() if when else None
        n = 0
        for f in p.get("auxiliaryFile", []):
            text = texts.get(f["id"].rsplit("/", 1)[1], "")
            if len(text.strip()) < 50:
                continue
            for passage in split_passages(split_page_markers(text)):
                chunks.append(
                    Chunk(
                        id=f"{p['id']}#{n}", doc_id=p["id"], collection=COUNCIL, title=p.get("name", ""),
                        text=passage.text, page=passage.page, heading=passage.heading,
                        reference=p.get("reference"), paper_id=p["id"], paper_type=p.get("paperType"),
                        date=paper_date, url=p.get("web") or p["id"], file_name=f.get("name"),
                    )
                )  # fmt: skip
                n += 1
    return chunks


async def eval_karlsruhe(tmp: Path, limit: int) -> dict[str, Any]:
    spec = yaml.safe_load((QUESTIONS / "karlsruhe.yaml").read_text(encoding="utf-8"))
    text_questions = spec.get("text_questions", [])
    wanted = {q["paper"] for q in spec["questions"] + text_questions}
    start = time.perf_counter()
    chunks = _karlsruhe_chunks(limit, wanted)
    index = EmbeddedIndex(tmp / "karlsruhe")
    await index.upsert(chunks)
    build_s = time.perf_counter() - start
    ctx = context(index, ExtractiveGenerator())
    recall, rr, latency = [], [], []
    for item in spec["questions"]:
        request = SkillRequest(text=item["q"], command="suche")
        t = time.perf_counter()
        await allris_search.run(request, ctx)
        latency.append((time.perf_counter() - t) * 1000)
        papers = await allris_papers.search(
            ctx, request, parse_council_query(item["q"], date(2026, 11, 27))
        )
        ids = [p.chunk.doc_id for p in papers]
        recall.append(1.0 if item["paper"] in ids[:5] else 0.0)
        rr.append(1.0 / (ids.index(item["paper"]) + 1) if item["paper"] in ids else 0.0)
    text_recall, text_rr, grounded, cites_paper, answer_ms = [], [], [], [], []
    for item in text_questions:
        request = SkillRequest(text=item["q"], command="suche")
        papers = await allris_papers.search(
            ctx, request, parse_council_query(item["q"], date(2026, 11, 27))
        )
        ids = [p.chunk.doc_id for p in papers]
        text_recall.append(1.0 if item["paper"] in ids[:5] else 0.0)
        text_rr.append(1.0 / (ids.index(item["paper"]) + 1) if item["paper"] in ids else 0.0)
        ask = SkillRequest(text=item["q"], command="suche", options=SkillOptions(mode="answer"))
        t = time.perf_counter()
        result = await allris_search.run(ask, ctx)
        answer_ms.append((time.perf_counter() - t) * 1000)
        grounded.append(1.0 if result.grounded else 0.0)
        if result.grounded:
            cites_paper.append(
                1.0 if any(c.doc_id == item["paper"] for c in result.citations) else 0.0
            )
    refused = []
    for question in spec.get("unanswerable", []):
        result = await allris_search.run(
            SkillRequest(text=question, command="suche", options=SkillOptions(mode="answer")), ctx
        )
        refused.append(1.0 if result.outcome == "no_answer" else 0.0)
    await index.close()
    return {
        "papers_indexed": len({c.doc_id for c in chunks}),
        "chunks": len(chunks),
        "index_build_s": f"{build_s:.1f}",
        "questions": len(spec["questions"]),
        "recall@5": pct(recall),
        "mrr": pct(rr),
        "search_turn_ms_p95": f"{percentile(latency, 0.95):.1f}",
        "text_questions": len(text_questions),
        "text_recall@5": pct(text_recall),
        "text_mrr": pct(text_rr),
        "text_answer_grounded": pct(grounded),
        "text_answer_cites_paper": pct(cites_paper),
        "text_answer_ms_p95": f"{percentile(answer_ms, 0.95):.1f}",
        "unanswerable_refused": f"{pct(refused)} of {len(refused)}",
    }


# ---------------------------------------------------------------- the dev/test sets (issue 13)


async def eval_rules(
    generator: Generator,
    *,
    subtract_model: bool = True,
    show_failures: bool = True,
    semantic: bool = True,
    splits: tuple[str, ...] = ("dev", "test"),
) -> dict[str, dict[str, Any]]:
    """Policy Q&A over the rule documents: figures per split, by wording and question type.
    Figures per document are printed for both splits (a new test document can be read alone);
    failures and their causes are listed for dev only, so that nobody tunes on test by
    reading them. `semantic`: the production index (keywords + e5 vectors); False: keywords
    only. `splits`: which questions to ask (("dev",) while tuning:
    the test figures are then not even computed)."""
    with tempfile.TemporaryDirectory() as tmp_dir:
        encoder = E5Encoder() if semantic else None
        index = EmbeddedIndex(Path(tmp_dir) / "rules", encoder=encoder)
        chunks = rules_chunks()
        await index.upsert(chunks)
        await index.embed_pending()
        passage_text = {(c.doc_id, c.heading): c.text for c in chunks}
        section_text: dict[tuple[str, str | None], str] = {}  # what a pointer's section holds
        for chunk in chunks:
            key = (chunk.doc_id, chunk.heading)
            section_text[key] = " ".join(f"{section_text.get(key, '')} {chunk.text}".split())
        ctx = context(index, generator)
        answerable, unanswerable = rules_questions()
        rows: list[dict[str, Any]] = []
        for q in answerable + unanswerable:
            if q.split not in splits:
                continue
            request = SkillRequest(text=q.text, command="frage")
            start = time.perf_counter()
            result = await policy_qa.run(request, ctx)
            total_ms = (time.perf_counter() - start) * 1000
            gen = request.trace.step("generation")
            model_ms = gen.ms if gen and generator.name != "extractive" and subtract_model else 0.0
            answer = str(result.as_json().get("answer", ""))
            row: dict[str, Any] = {"q": q, "split": q.split, "wording": q.wording, "type": q.kind}
            row["ms"] = total_ms - model_ms
            row["document"] = q.document
            if q.facts:
                row["fact"] = 1.0 if result.grounded and has_fact(answer, q.facts) else 0.0
                quoted = answer_sentences(answer) if result.grounded else []
                row["first"] = 1.0 if quoted and has_fact(quoted[0], q.facts) else 0.0
                row["answered"] = 1.0 if result.grounded else 0.0
                if quoted:
                    row["chars"] = float(sum(len(x) for x in quoted))
                    row["sentences"] = float(len(quoted))
                for c in result.citations:
                    passage = passage_text.get((c.doc_id, c.heading), c.quote)
                    rows.append(
                        {"split": q.split, "cited": 1.0 if has_fact(passage, q.facts) else 0.0}
                    )
                if row["fact"] == 0.0 and q.split == "dev":
                    row["cause"] = await _miss_cause(q, result.grounded, ctx)
                if not result.grounded:  # refused: do the places pointed to hold the fact?
                    row.update(await _pointer_figures(q, ctx, section_text))
            else:
                row["refused"] = 1.0 if result.outcome == "no_answer" else 0.0
                row["cause"] = "unanswerable answered"
                if result.outcome == "no_answer":
                    row["pointed"] = 1.0 if result.as_json().get("pointers") else 0.0
            row["answer"] = answer
            rows.append(row)
        await index.close()
    out: dict[str, dict[str, Any]] = {}
    for split in splits:
        mine = [r for r in rows if r["split"] == split]
        asked = [r for r in mine if "q" in r]
        figures: dict[str, Any] = {
            "answerable / unanswerable": f"{sum(1 for r in asked if 'fact' in r)} / "
            f"{sum(1 for r in asked if 'refused' in r)}",
            "answer contains fact": by_group(asked, "wording", "fact"),
            # Not padded: the fact in the answer's first quoted sentence, and the answers' size.
            "  in first sentence": by_group(asked, "wording", "first"),
            "  answer length": _length(asked),
            "  by question type": by_group(asked, "type", "fact"),
            "answerable answered": by_group(asked, "wording", "answered"),
            "unanswerable refused": by_group(asked, "wording", "refused"),
            # A pointer is no answer: these do not count in "answer contains fact".
            "refused answerable: pointers hold fact": by_group(asked, "wording", "pointer_fact"),
            "  in the first pointer": by_group(asked, "wording", "pointer_first"),
            "  in a pointer's snippet": by_group(asked, "wording", "pointer_snippet"),
            "  with pointers at all": by_group(asked, "wording", "pointer_any"),
            "  ordered by retrieval rank": by_group(asked, "wording", "rank_fact"),
            "  first pointer, by rank": by_group(asked, "wording", "rank_first"),
            "refused unanswerable: with pointers": by_group(asked, "wording", "pointed"),
            "citation precision": pct([r["cited"] for r in mine if "cited" in r]),
            "latency ms p50 / p95": f"{percentile([r['ms'] for r in asked], 0.5):.1f} / "
            f"{percentile([r['ms'] for r in asked], 0.95):.1f}",
        }
        # Per document: a change must not lower any one of them (leave-one-document-out).
        figures["fact by document"] = by_group(asked, "document", "fact")
        figures["refused by document"] = by_group(asked, "document", "refused")
        if show_failures and split == "dev":
            misses = [r for r in asked if r.get("fact") == 0.0 or r.get("refused") == 0.0]
            figures["misses by cause"] = (
                ", ".join(
                    f"{cause} {sum(1 for r in misses if r['cause'] == cause)}"
                    for cause in sorted({r["cause"] for r in misses})
                )
                or "none"
            )
            figures["failures"] = [
                f"  {'answered' if 'refused' in r else 'missed'} [{r['q'].id}] {r['q'].text}"
                f"  ({r['cause']})" + (f"\n      -> {r['answer'][:160]!r}" if r["answer"] else "")
                for r in misses
            ]
        out[split] = figures
    return out


async def _pointer_figures(
    q: Any, ctx: SkillContext, section_text: dict[tuple[str, str | None], str]
) -> dict[str, float]:
    """For a refused answerable wording: whether the places pointed to (skills/pointers.py)
    hold the fact — their sections, the first one, their snippets — in the order the skill
    uses (the reader's scores) and by the retrieval's rank."""
    out: dict[str, float] = {}
    orders: tuple[tuple[Order, str], ...] = (("reader", "pointer"), ("rank", "rank"))
    for order, prefix in orders:
        request = SkillRequest(text=q.text, command="frage")
        found = await answer_question(
            q.text, request, ctx, collection=POLICIES, pointer_order=order
        )
        places = [section_text.get((p.doc_id, p.heading), p.snippet) for p in found.pointers]
        out[f"{prefix}_fact"] = 1.0 if any(has_fact(t, q.facts) for t in places) else 0.0
        out[f"{prefix}_first"] = 1.0 if places and has_fact(places[0], q.facts) else 0.0
        if order == "reader":
            snippets = [p.snippet for p in found.pointers]
            out["pointer_snippet"] = 1.0 if any(has_fact(t, q.facts) for t in snippets) else 0.0
            out["pointer_any"] = 1.0 if found.pointers else 0.0
    return out


def _length(rows: list[dict[str, Any]]) -> str:
    """Mean characters and sentences quoted per answered question (frame line left out)."""
    chars = [r["chars"] for r in rows if "chars" in r]
    sentences = [r["sentences"] for r in rows if "sentences" in r]
    if not chars:
        return "n/a"
    return (
        f"{sum(chars) / len(chars):.0f} characters, {sum(sentences) / len(sentences):.2f} sentences"
    )


async def _miss_cause(q: Any, grounded: bool, ctx: SkillContext) -> str:
    """Why an answerable question missed its fact: the passage with the fact was not retrieved
    (retrieval), it was but the reader found no answering sentence (gate refusal), or the
    answer quoted another sentence (wrong sentence)."""
    found = await answer_question(
        q.text, SkillRequest(text=q.text, command="frage"), ctx, collection=POLICIES
    )
    retrieved = any(
        h.chunk.doc_id == q.doc_id and has_fact(h.chunk.text, q.facts) for h in found.hits
    )
    if not retrieved:
        return "retrieval"
    return "wrong sentence" if grounded else "gate refusal"


def _parrot(body: dict[str, Any]) -> str:
    """A stand-in model: the first sentence of source 1, cited. Answer quality is not measured."""
    from skills.german import split_sentences

    user = str(body["messages"][-1]["content"])
    if "<<<QUELLE 1>>>" not in user:
        return "KEINE_AUSSAGE"
    block = user.split("<<<QUELLE 1>>>", 1)[1].split("<<<ENDE QUELLE 1>>>", 1)[0]
    text = block.split("\n", 2)[-1]
    sentences = [s for s in split_sentences(text) if s.endswith(".")]
    return f"{sentences[0]} [1]" if sentences else "KEINE_AUSSAGE"


async def eval_parrot(index: EmbeddedIndex) -> dict[str, Any]:
    from kiw_common.openai_connection import OpenAIConnection
    from skills.generator.openai_chat import OpenAIGenerator
    from tests.skills.openai_server import FakeOpenAI, openai_server

    async with openai_server(FakeOpenAI(default=_parrot)) as fake:
        generator = OpenAIGenerator(
            model="parrot", connection=OpenAIConnection(base_url=fake.base_url, on_premise=False)
        )
        # The parrot answers at once: the whole turn is what surrounds a real model call.
        figures = await eval_policies(index, generator, subtract_model=False)
        await generator.close()
    return {
        k: v
        for k, v in figures.items()
        if k.startswith(("latency", "unanswerable", "questions", "answerable"))
    }


def _long_pdf(pages: int) -> bytes:
    import io

    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    doc = canvas.Canvas(buffer)
    for n in range(1, pages + 1):
        for i in range(40):
            doc.drawString(
                40,
                800 - 18 * i,
                f"Seite {n}, Zeile {i}: Die Verwaltung berichtet über den Stand der Maßnahme {n}.",
            )
        doc.showPage()
    doc.save()
    return buffer.getvalue()


async def eval_summaries(index: EmbeddedIndex) -> dict[str, Any]:
    """Time summaries of the largest real Karlsruhe texts and of a synthetic 200-page PDF."""
    from skills import summarise
    from skills.types import Attachment

    ctx = context(index, ExtractiveGenerator())
    figures: dict[str, Any] = {}
    with tarfile.open(KARLSRUHE / "texts.tar.gz") as tar:
        members = sorted((m for m in tar if m.isfile()), key=lambda m: -m.size)[:3]
        texts = [
            (m.name, (tar.extractfile(m) or io.BytesIO()).read().decode("utf-8", "replace"))
            for m in members
        ]
    for name, text in texts:
        request = SkillRequest(text=text, command="zusammenfassen")
        t = time.perf_counter()
        result = await summarise.run(request, ctx)
        figures[f"{Path(name).stem} ({len(text) // 1000} kB)"] = (
            f"{(time.perf_counter() - t) * 1000:.0f} ms, {result.outcome}, "
            f"{len(result.as_json().get('key_points', []))} key points, pages {result.as_json().get('pages')}"
        )
    data = await asyncio.to_thread(_long_pdf, 200)
    request = SkillRequest(text="", attachments=(Attachment("lang.pdf", "application/pdf", data),))
    t = time.perf_counter()
    result = await summarise.run(request, ctx)
    elapsed_ms = (time.perf_counter() - t) * 1000
    step = request.trace.step("map")
    figures["synthetic PDF, 200 pages"] = (
        f"{elapsed_ms:.0f} ms incl. text extraction, {result.outcome}, "
        f"partial={result.as_json().get('partial')}, map groups={step.details.get('groups') if step else None}"
    )
    return figures


def _print(title: str, figures: dict[str, Any]) -> None:
    print(f"\n== {title}")
    for key, value in figures.items():
        if key == "failures":
            for line in value:
                print(line)
        else:
            print(f"  {key:24} {value}")


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--karlsruhe-papers", type=int, default=500)
    parser.add_argument("--skip-karlsruhe", action="store_true")
    parser.add_argument("--skip-summaries", action="store_true")
    parser.add_argument(
        "--old-sets",
        action="store_true",
        help="also run the project's earlier sets (bench/questions/policies.yaml, karlsruhe.yaml)",
    )
    parser.add_argument("--skip-council", action="store_true", help="rules set only (~5 s)")
    parser.add_argument(
        "--skip-rules", action="store_true", help="council set only (no rules questions)"
    )
    parser.add_argument(
        "--keywords-only",
        action="store_true",
        help="rules set on a keyword-only index (KIW_SEMANTIC=off), the figures before vectors",
    )
    parser.add_argument(
        "--parrot",
        action="store_true",
        help="also run the OpenAI path against a local server that repeats source 1's first "
        "sentence: measures masking, budgeting, HTTP and validation, not answer quality",
    )
    parser.add_argument(
        "--split",
        choices=("dev", "test", "both"),
        default="both",
        help="which questions (rules and council sets) to ask; tune with 'dev' "
        "(test figures not computed)",
    )
    args = parser.parse_args()
    semantic = not args.keywords_only
    splits = ("dev", "test") if args.split == "both" else (args.split,)
    if not args.skip_rules:
        rules = await eval_rules(ExtractiveGenerator(), semantic=semantic, splits=splits)
        for split, figures in rules.items():
            _print(f"rules set, {split} split / extractive", figures)
    if os.environ.get("KIW_OPENAI_BASE_URL") and not args.skip_rules:
        from kiw_common.openai_connection import OpenAIConnection
        from skills.generator.openai_chat import OpenAIGenerator

        model = OpenAIGenerator(
            model=os.environ.get("KIW_OPENAI_MODEL", "default"),
            connection=OpenAIConnection(
                base_url=os.environ["KIW_OPENAI_BASE_URL"],
                api_key=os.environ.get("KIW_OPENAI_API_KEY") or None,
                on_premise=os.environ.get("KIW_OPENAI_ON_PREMISE", "").lower() in ("1", "true"),
            ),
        )
        for split, figures in (await eval_rules(model, semantic=semantic, splits=splits)).items():
            _print(f"rules set, {split} split / openai-compatible", figures)
        await model.close()
    with tempfile.TemporaryDirectory() as tmp_dir:
        tmp = Path(tmp_dir)
        if not args.skip_council:
            council = await eval_council(tmp, args.karlsruhe_papers, splits=splits)
            for split, figures in council.items():
                _print(f"council set, {split} split / extractive", figures)
        if not args.old_sets:
            return 0
        index = EmbeddedIndex(tmp / "samples")
        await index.upsert(sample_chunks())
        _print("policies / extractive", await eval_policies(index, ExtractiveGenerator()))
        if os.environ.get("KIW_OPENAI_BASE_URL"):
            from kiw_common.openai_connection import OpenAIConnection
            from skills.generator.openai_chat import OpenAIGenerator

            generator = OpenAIGenerator(
                model=os.environ.get("KIW_OPENAI_MODEL", "default"),
                connection=OpenAIConnection(
                    base_url=os.environ["KIW_OPENAI_BASE_URL"],
                    api_key=os.environ.get("KIW_OPENAI_API_KEY") or None,
                    on_premise=os.environ.get("KIW_OPENAI_ON_PREMISE", "").lower() in ("1", "true"),
                ),
            )
            _print("policies / openai-compatible", await eval_policies(index, generator))
            await generator.close()
        if args.parrot:
            _print(
                "policies / openai client against a local parrot model (pipeline overhead)",
                await eval_parrot(index),
            )
        if not args.skip_summaries:
            _print("summaries / extractive", await eval_summaries(index))
        await index.close()
        if not args.skip_karlsruhe:
            _print("karlsruhe / search", await eval_karlsruhe(tmp, args.karlsruhe_papers))
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
