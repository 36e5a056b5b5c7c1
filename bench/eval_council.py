"""Council set (bench/questions/council.yaml) over a crawler-like Karlsruhe subset: search
Recall@5/MRR by category, and questions answered from the papers (fact, cites the paper,
grounded, refused), by wording and by whether the question names its paper. Misses on dev
are listed with their cause; run through bench/eval_qa.py.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

from qa_common import by_group, context, has_fact, percentile
from qa_sets import council_questions, council_searches, council_unanswerable, karlsruhe_chunks

from indexer.embedded import EmbeddedIndex
from indexer.model import COUNCIL
from skills import allris_search
from skills.allris_query import parse_council_query
from skills.context import SkillContext
from skills.generator.extractive import ExtractiveGenerator
from skills.grounded_answer import answer_question
from skills.results import PaperList
from skills.types import SkillOptions, SkillRequest


def _shown_documents(result: Any) -> list[str]:
    """What Teams shows for a search: the listed papers, or the papers an answer cites."""
    papers = result.payload.papers if isinstance(result.payload, PaperList) else ()
    if papers:
        return list(dict.fromkeys(paper.doc_id for paper in papers))
    return list(dict.fromkeys(c.doc_id for c in result.citations if c.doc_id))


async def eval_council(
    tmp: Path, limit: int, show_failures: bool = True, splits: tuple[str, ...] = ("dev", "test")
) -> dict[str, dict[str, Any]]:
    """Council search by category and council questions, per split, on a crawler-like subset.
    The papers of every question are indexed whichever `splits` are asked (the index is the
    same for dev and test); only the questions of `splits` are asked."""
    searches = council_searches()
    questions = council_questions()
    unanswerable = council_unanswerable()
    wanted = {e for s in searches for e in s.expect} | {q.doc_id for q in questions + unanswerable}
    start = time.perf_counter()
    chunks = await asyncio.to_thread(karlsruhe_chunks, limit, wanted)
    index = EmbeddedIndex(tmp / "council")
    await index.upsert(chunks)
    build_s = time.perf_counter() - start
    ctx = context(index, ExtractiveGenerator())
    rows: list[dict[str, Any]] = []
    for s in searches:
        if s.split not in splits:
            continue
        request = SkillRequest(text=s.text, command="suche")
        t = time.perf_counter()
        result = await allris_search.run(request, ctx)
        ms = (time.perf_counter() - t) * 1000
        shown = _shown_documents(result)[:5]
        rank = next((i + 1 for i, d in enumerate(shown) if d in s.expect), None)
        rows.append({"s": s, "split": s.split, "cat": s.category, "ms": ms,
                     "recall": 1.0 if rank else 0.0, "rr": 1.0 / rank if rank else 0.0})  # fmt: skip
    qa: list[dict[str, Any]] = []
    for q in questions + unanswerable:
        if q.split not in splits:
            continue
        request = SkillRequest(text=q.text, command="suche", options=SkillOptions(mode="answer"))
        t = time.perf_counter()
        result = await allris_search.run(request, ctx)
        ms = (time.perf_counter() - t) * 1000
        answer = str(result.as_json().get("answer", ""))
        row: dict[str, Any] = {"q": q, "split": q.split, "wording": q.wording, "ms": ms,
                               "answer": answer, "named": "names the paper" if q.names_paper
                               else "topic only"}  # fmt: skip
        if q.facts:
            row["fact"] = 1.0 if result.grounded and has_fact(answer, q.facts) else 0.0
            row["answered"] = 1.0 if result.grounded else 0.0
            row["cites"] = 1.0 if any(c.doc_id == q.doc_id for c in result.citations) else 0.0
            if not result.grounded:  # refused: is the paper among those pointed to?
                pointed = [p["doc_id"] for p in result.as_json().get("pointers", [])]
                row["pointer_paper"] = 1.0 if q.doc_id in pointed else 0.0
                row["pointer_first"] = 1.0 if pointed[:1] == [q.doc_id] else 0.0
                row["pointer_any"] = 1.0 if pointed else 0.0
            if not row["fact"] and q.split == "dev":
                row["cause"] = await _miss_cause(q, result.grounded, ctx)
        else:
            row["refused"] = 1.0 if result.outcome == "no_answer" else 0.0
            row["cause"] = "unanswerable answered"
            if result.outcome == "no_answer":
                row["pointed"] = 1.0 if result.as_json().get("pointers") else 0.0
        qa.append(row)
    await index.close()
    out: dict[str, dict[str, Any]] = {}
    for split in splits:
        mine = [r for r in rows if r["split"] == split]
        asked = [r for r in qa if r["split"] == split]
        figures: dict[str, Any] = {
            "index": f"{len({c.doc_id for c in chunks})} documents, {len(chunks)} chunks, "
            f"built in {build_s:.1f} s",
            "searches": len(mine),
            "Recall@5 (first five documents)": by_group(mine, "cat", "recall"),
            "MRR": by_group(mine, "cat", "rr"),
            "search turn ms p50 / p95": f"{percentile([r['ms'] for r in mine], 0.5):.1f} / "
            f"{percentile([r['ms'] for r in mine], 0.95):.1f}",
            "questions answerable / unanswerable": f"{sum(1 for r in asked if 'fact' in r)} / "
            f"{sum(1 for r in asked if 'refused' in r)}",
            "questions: answer contains fact": by_group(asked, "wording", "fact"),
            "  by naming the paper": by_group(asked, "named", "fact"),
            "questions: cites the paper": by_group(asked, "wording", "cites"),
            "questions: answered (grounded)": by_group(asked, "wording", "answered"),
            "questions: unanswerable refused": by_group(asked, "wording", "refused"),
            # A pointer is no answer: these do not count in "answer contains fact".
            "refused answerable: paper pointed to": by_group(asked, "wording", "pointer_paper"),
            "  as the first pointer": by_group(asked, "wording", "pointer_first"),
            "  with pointers at all": by_group(asked, "wording", "pointer_any"),
            "refused unanswerable: with pointers": by_group(asked, "wording", "pointed"),
            "question turn ms p50 / p95": f"{percentile([r['ms'] for r in asked], 0.5):.1f} / "
            f"{percentile([r['ms'] for r in asked], 0.95):.1f}",
        }
        if show_failures and split == "dev":
            misses = [r for r in asked if r.get("fact") == 0.0 or r.get("refused") == 0.0]
            figures["misses by cause"] = ", ".join(
                f"{cause} {sum(1 for r in misses if r['cause'] == cause)}"
                for cause in sorted({r["cause"] for r in misses})
            )
            figures["failures"] = [
                f"  missed [{r['cat']}] {r['s'].text}" for r in mine if not r["recall"]
            ] + [
                f"  {'answered' if 'refused' in r else 'missed'} [{r['q'].id}] {r['q'].text}"
                f"  ({r['cause']})\n      -> {r['answer'][:160]!r}"
                for r in asked
                if r.get("fact") == 0.0 or r.get("refused") == 0.0
            ]
        out[split] = figures
    return out


async def _miss_cause(q: Any, grounded: bool, ctx: SkillContext) -> str:
    """Why an answerable council question missed its fact: the paper it names was not found
    (or another one was), the passage with the fact was not among those retrieved (retrieval),
    it was but no sentence was taken as the answer (refused though answered), or another
    sentence was quoted (wrong sentence)."""
    request = SkillRequest(text=q.text, command="suche", options=SkillOptions(mode="answer"))
    named = parse_council_query(q.text, ctx.today()).reference
    if named:
        if await allris_search._paper_id(request, ctx, named) != q.doc_id:
            return "named paper not found"
    else:
        found = await answer_question(q.text, request, ctx, collection=COUNCIL)
        if not any(
            h.chunk.doc_id == q.doc_id and has_fact(" ".join(h.chunk.text.split()), q.facts)
            for h in found.hits
        ):
            return "retrieval"
    return "wrong sentence" if grounded else "refused though answered"
