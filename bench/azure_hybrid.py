"""The Azure backend's vector leg, measured over the loopback Azure AI Search with the real SDK.

    .venv/bin/python bench/azure_hybrid.py [--split test|dev] [--weights 1,2] [--json]

Prints, for the rule documents and questions of bench/questions/rules.yaml (answerable ones of
the chosen split, each of its three wordings):
- how often a passage carrying the expected fact is the first hit / among the first three,
  keyword-only (the query cascade as before) and hybrid (text + e5 vector, fused by
  reciprocal rank fusion with the vector leg's weight);
- the cost on the bot host: e5 query embedding p50/p95 per question;
- the cost on the indexer: passages/s for `upsert` with embedding and for `vectorise_pending`
  (an index from before vectors getting them from its stored text).

Caveat: the loopback service's text leg is a stand-in for `de.microsoft` (Snowball stems, no
decompounding), so absolute figures differ from the real service; the *difference* the vector
leg makes under RRF is what this shows. Tune weights on `dev`; report `test`. Asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from qa_sets import (  # noqa: E402  (bench/qa_sets.py, beside this script)
    WORDINGS,
    Question,
    rules_chunks,
    rules_questions,
)

from indexer.azure_search import AzureSearchIndex  # noqa: E402
from indexer.encoders import E5Encoder  # noqa: E402
from indexer.model import POLICIES, Chunk, SearchQuery  # noqa: E402
from tests.indexer.azure_search_server import FakeSearchService, serve  # noqa: E402

TOP = 3


def _has_fact(chunk: Chunk, q: Question) -> bool:
    text = f"{chunk.heading or ''} {chunk.text}".lower()
    return any(f.lower() in text for f in q.facts)


async def _ranks(index: AzureSearchIndex, questions: list[Question]) -> dict[str, int | None]:
    """Question id → 1-based rank of the first passage with the fact (None: not in top)."""
    out: dict[str, int | None] = {}
    for q in questions:
        results = await index.search(SearchQuery(text=q.text, collection=POLICIES, top=TOP))
        out[q.id] = next(
            (n for n, h in enumerate(results.hits, start=1) if _has_fact(h.chunk, q)), None
        )
    return out


def _summary(ranks: dict[str, int | None], questions: list[Question]) -> dict[str, Any]:
    rows: dict[str, Any] = {}
    for wording in (*WORDINGS, "all"):
        ids = [q.id for q in questions if wording in ("all", q.wording)]
        first = sum(1 for i in ids if ranks[i] == 1)
        top = sum(1 for i in ids if ranks[i] is not None)
        rows[wording] = {"n": len(ids), "at_1": first, f"in_top_{TOP}": top}
    return rows


async def run(split: str, weights: list[float]) -> dict[str, Any]:
    chunks = rules_chunks()
    answerable, _ = rules_questions()
    questions = [q for q in answerable if q.split == split]
    encoder = E5Encoder()
    encoder.embed_query("Aufwärmen")  # load the model outside the timings
    figures: dict[str, Any] = {"split": split, "chunks": len(chunks), "questions": len(questions)}

    plain_service = FakeSearchService()
    async with serve(plain_service) as url:
        plain = AzureSearchIndex(url, plain_service.api_key, "bench")
        await plain.upsert(chunks)
        figures["keyword_only"] = _summary(await _ranks(plain, questions), questions)
        # The same index, now given vectors from the text it stores (an upgrade).
        upgraded = AzureSearchIndex(url, plain_service.api_key, "bench", encoder=encoder)
        started = time.perf_counter()
        done = await upgraded.vectorise_pending()
        figures["vectorise_pending_passages_per_s"] = round(
            done / (time.perf_counter() - started), 1
        )
        await upgraded.close()
        await plain.close()

    hybrid_service = FakeSearchService()
    async with serve(hybrid_service) as url:
        fresh = AzureSearchIndex(url, hybrid_service.api_key, "bench", encoder=encoder)
        started = time.perf_counter()
        await fresh.upsert(chunks)
        figures["upsert_with_vectors_passages_per_s"] = round(
            len(chunks) / (time.perf_counter() - started), 1
        )
        await fresh.close()
        for weight in weights:
            index = AzureSearchIndex(
                url, hybrid_service.api_key, "bench", encoder=encoder, vector_weight=weight
            )
            ranks = await _ranks(index, questions)
            figures[f"hybrid_weight_{weight:g}"] = _summary(ranks, questions)
            await index.close()

    timings = []
    for q in questions:
        started = time.perf_counter()
        encoder.embed_query(q.text)
        timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    figures["query_embedding_ms"] = {
        "p50": round(statistics.median(timings), 1),
        "p95": round(timings[int(0.95 * (len(timings) - 1))], 1),
    }
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--split", choices=["dev", "test"], default="test")
    parser.add_argument("--weights", default="1", help="vector-leg weights, e.g. 1,2")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    weights = [float(w) for w in args.weights.split(",") if w.strip()]
    figures = asyncio.run(run(args.split, weights))
    if args.json:
        print(json.dumps(figures, indent=2))
        return
    print(
        f"rules, {figures['split']} split: {figures['questions']} questions, "
        f"{figures['chunks']} passages"
    )
    print(f"{'':<22}" + "".join(f"{w:>18}" for w in (*WORDINGS, "all")))
    for name, rows in figures.items():
        if not isinstance(rows, dict) or "all" not in rows:
            continue
        cells = [f"{r['at_1']:>3} / {r[f'in_top_{TOP}']:>3} of {r['n']:<3}" for r in rows.values()]
        print(f"{name:<22}" + "".join(f"{c:>18}" for c in cells))
    print(f"(cells: fact passage first / in top {TOP} of n questions)")
    print(
        f"e5 query embedding: p50 {figures['query_embedding_ms']['p50']} ms, "
        f"p95 {figures['query_embedding_ms']['p95']} ms"
    )
    print(
        f"upsert with vectors: {figures['upsert_with_vectors_passages_per_s']} passages/s; "
        f"vectorise_pending: {figures['vectorise_pending_passages_per_s']} passages/s"
    )


if __name__ == "__main__":
    main()
