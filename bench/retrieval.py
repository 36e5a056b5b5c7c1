"""Retrieval on the blind rule questions: is the right passage first / in the first five?

    .venv/bin/python bench/retrieval.py            # dev and test, keywords vs. hybrid
    .venv/bin/python bench/retrieval.py --sweep    # fusion weights and depth, dev split only

The rule documents of bench/questions/rules.yaml go into a temporary EmbeddedIndex with
the production encoder (E5Encoder). Each answerable question is searched the way policy Q&A
searches (`search_terms` of the question, collection policies); a hit is right when it is the
passage the question was written from (its document and heading). Figures by split and wording
(document words / everyday words / typo). Tune on dev (`--sweep` prints dev only); report test.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from qa_sets import WORDINGS, Question, rules_chunks, rules_questions, rules_spec  # noqa: E402

from indexer.embedded import EmbeddedIndex  # noqa: E402
from indexer.encoders import E5Encoder  # noqa: E402
from indexer.fusion import Fusion  # noqa: E402
from indexer.model import POLICIES, SearchQuery  # noqa: E402
from skills.german import detect_language, search_terms  # noqa: E402
from skills.privacy import without_personal_data  # noqa: E402


@dataclass(frozen=True)
class Case:
    question: Question
    query: str
    doc_id: str
    heading: str  # the passage's heading starts with this ("§ 3", "5. Fristen …")


def cases() -> list[Case]:
    passage_of = {item["id"]: str(item["passage"]) for item in rules_spec()["answerable"]}
    answerable, _ = rules_questions()
    out = []
    for q in answerable:
        language = detect_language(q.text)
        query = search_terms(without_personal_data(q.text), language)
        out.append(Case(q, query, q.doc_id, passage_of[q.id.split("/")[0]]))
    return out


async def ranks(index: EmbeddedIndex, items: list[Case], *, semantic: bool) -> list[int | None]:
    """1-based rank of the right passage among the first five hits, None if absent."""
    out: list[int | None] = []
    for case in items:
        query = SearchQuery(text=case.query, collection=POLICIES, top=5, semantic=semantic)
        results = await index.search(query)
        rank = None
        for n, hit in enumerate(results.hits, start=1):
            c = hit.chunk
            if c.doc_id == case.doc_id and (c.heading or "").startswith(case.heading):
                rank = n
                break
        out.append(rank)
    return out


def table(label: str, items: list[Case], found: list[int | None], splits: list[str]) -> None:
    for split in splits:
        cells = []
        for wording in ("all", *WORDINGS):
            picked = [
                r
                for c, r in zip(items, found, strict=True)
                if c.question.split == split and wording in ("all", c.question.wording)
            ]
            if not picked:
                continue
            top1 = sum(1 for r in picked if r == 1) / len(picked)
            top5 = sum(1 for r in picked if r is not None) / len(picked)
            cells.append(f"{wording} {top1:.2f}/{top5:.2f}")
        print(f"{label:<34} {split:<5} " + "  ".join(cells))


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sweep", action="store_true", help="fusion settings on dev only")
    args = parser.parse_args()
    items = cases()
    encoder = E5Encoder()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "rules"
        index = EmbeddedIndex(path, encoder=encoder)
        await index.upsert(rules_chunks())
        started = time.perf_counter()
        report = await index.embed_pending()
        print(
            f"{len(rules_chunks())} passages, {report.embedded} embedded in "
            f"{time.perf_counter() - started:.1f} s; {len(items)} answerable questions"
        )
        print("right passage at rank 1 / in the first five, by wording")
        if args.sweep:
            splits = ["dev"]
            table("keywords only", items, await ranks(index, items, semantic=False), splits)
            for depth in (20, 50):
                for weight in (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.7):
                    swept = EmbeddedIndex(
                        path, encoder=encoder, fusion=Fusion(keyword_weight=weight, depth=depth)
                    )
                    found = await ranks(swept, items, semantic=True)
                    table(f"hybrid w={weight} depth={depth}", items, found, splits)
                    await swept.close()
        else:
            splits = ["dev", "test"]
            table(
                "keywords only (before)", items, await ranks(index, items, semantic=False), splits
            )
            started = time.perf_counter()
            found = await ranks(index, items, semantic=True)
            ms = (time.perf_counter() - started) * 1000 / len(items)
            fusion = Fusion()
            label = f"hybrid (w={fusion.keyword_weight}, depth={fusion.depth})"
            table(label, items, found, splits)
            print(f"hybrid search: {ms:.1f} ms per query (mean, incl. query embedding)")
        await index.close()


if __name__ == "__main__":
    asyncio.run(main())
