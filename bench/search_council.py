"""The blind council set (bench/questions/council.yaml) over the FULL Karlsruhe corpus.

Run from bench/search.py (`--council`, or `--council-only`). The index holds what the OParl
crawler would index: every live paper (overview with Beratungsfolge, file passages, the
submitters read from them) and every meeting with its agenda (bench/qa_sets.py), ~37,000
chunks, keywords only (no vector leg). Kept under bench/out/council-karlsruhe/ and rebuilt
with --rebuild or when the schema changed.

Each search runs through the `suche` skill and counts as Teams shows it: the first five
distinct documents of the reply (the listed papers, or the papers a grounded answer cites).
Each council question runs in answer mode (extractive, no model: the turn *is* what a model
call would be added to). Latency is printed as wall time and as the process's CPU time of the
turn (all threads): on a shared machine the wall time grows with the load, the CPU time shows
what the turn costs. Figures by split; tune on dev only (bench/questions/council.yaml).
"""

from __future__ import annotations

import os
import shutil
import statistics
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qa_common import context
from qa_sets import council_questions, council_searches, karlsruhe_chunks

from indexer.embedded import EmbeddedIndex
from indexer.model import SearchIndex
from skills import allris_search
from skills.generator.extractive import ExtractiveGenerator
from skills.results import PaperList
from skills.types import SkillOptions, SkillRequest

CATEGORIES = ("topic", "reference", "submitter", "committee", "date")


@dataclass
class Row:
    text: str
    split: str
    category: str
    ms: float
    cpu_ms: float  # process CPU time of the turn (all threads): what an idle machine would take
    rank: int | None  # 1-based rank of the first expected document among the first five


def shown_documents(result: Any) -> list[str]:
    """What Teams shows for a search: the listed papers, or the papers an answer cites."""
    papers = result.payload.papers if isinstance(result.payload, PaperList) else ()
    if papers:
        return list(dict.fromkeys(paper.doc_id for paper in papers))
    return list(dict.fromkeys(c.doc_id for c in result.citations if c.doc_id))


def _percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))] if values else 0


async def evaluate(index: SearchIndex) -> tuple[list[Row], list[tuple[str, float, float]]]:
    """Every council search (ranked as Teams shows it) and every council question (answer
    mode, extractive), with the wall and CPU time of each turn."""
    ctx = context(index, ExtractiveGenerator())
    searches = council_searches()
    await allris_search.run(SkillRequest(text=searches[0].text, command="suche"), ctx)  # warm
    rows: list[Row] = []
    for s in searches:
        start, cpu = time.perf_counter(), time.process_time()
        result = await allris_search.run(SkillRequest(text=s.text, command="suche"), ctx)
        ms = (time.perf_counter() - start) * 1000
        cpu_ms = (time.process_time() - cpu) * 1000
        shown = shown_documents(result)[:5]
        rank = next((i + 1 for i, d in enumerate(shown) if d in s.expect), None)
        rows.append(Row(s.text, s.split, s.category, ms, cpu_ms, rank))
    asked: list[tuple[str, float, float]] = []
    for q in council_questions():
        request = SkillRequest(text=q.text, command="suche", options=SkillOptions(mode="answer"))
        start, cpu = time.perf_counter(), time.process_time()
        await allris_search.run(request, ctx)
        wall = (time.perf_counter() - start) * 1000
        asked.append((q.split, wall, (time.process_time() - cpu) * 1000))
    return rows, asked


def recall_by_category(rows: list[Row], split: str) -> dict[str, tuple[int, float, float]]:
    """category (and "all") → (searches, Recall@5, MRR) on one split."""
    mine = [r for r in rows if r.split == split]
    out = {}
    for name in ("all", *CATEGORIES):
        group = [r for r in mine if name in ("all", r.category)]
        if group:
            recall = statistics.mean(1.0 if r.rank else 0.0 for r in group)
            mrr = statistics.mean(1.0 / r.rank if r.rank else 0.0 for r in group)
            out[name] = (len(group), recall, mrr)
    return out


async def _build(path: Path) -> tuple[int, float]:
    searches = council_searches()
    wanted = {e for s in searches for e in s.expect} | {q.doc_id for q in council_questions()}
    start = time.perf_counter()
    chunks = karlsruhe_chunks(100_000, wanted)  # every live paper, every meeting
    shutil.rmtree(path, ignore_errors=True)
    index = EmbeddedIndex(path)
    for i in range(0, len(chunks), 2000):
        await index.upsert(chunks[i : i + 2000])
    await index.close()
    return len(chunks), time.perf_counter() - start


async def run_council(out: Path, rebuild: bool, usable: bool) -> None:
    path = out / "council-karlsruhe" / "index"
    if rebuild or not usable:
        n, took = await _build(path)
        print(f"council index: built {n} chunks in {took:.1f} s ({n / took:.0f} chunks/s)")
    index = EmbeddedIndex(path)
    print(f"council index: {path}, {index.count_chunks()} chunks")
    load_before = os.getloadavg()[0]
    rows, asked = await evaluate(index)
    await index.close()
    print(
        f"blind council set (bench/questions/council.yaml), suche skill, first five distinct "
        f"documents; load average {load_before:.1f} -> {os.getloadavg()[0]:.1f} on "
        f"{os.cpu_count()} cores"
    )
    for split in ("dev", "test"):
        mine = [r for r in rows if r.split == split]
        print(f"  {split}: {len(mine)} searches")
        for name, (n, recall, mrr) in recall_by_category(rows, split).items():
            print(f"    {name:10s} n={n:2d}  Recall@5 {recall:.2f}  MRR {mrr:.2f}")
        if split == "dev":  # misses listed for dev only, so that nobody tunes on test
            for r in mine:
                if not r.rank:
                    print(f"      missed [{r.category}] {r.text}")
        qs = [a for a in asked if a[0] == split]
        for what, walls, cpus in (
            ("search turn", [r.ms for r in mine], [r.cpu_ms for r in mine]),
            (
                f"question turn (answer mode, no model, n={len(qs)})",
                [a[1] for a in qs],
                [a[2] for a in qs],
            ),
        ):
            print(
                f"    {what} ms: p50 {_percentile(walls, 50):.1f}  p95 {_percentile(walls, 95):.1f}"
                f"  (CPU time p50 {_percentile(cpus, 50):.1f}  p95 {_percentile(cpus, 95):.1f})"
            )
