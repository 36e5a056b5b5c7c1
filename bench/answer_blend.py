"""Experiment: order the reader's answering sentences by reader score + w × e5 cosine? Dev only.

    nice -n 10 .venv/bin/python bench/answer_blend.py

Issue 13, item 3: the blend of the session-5 experiment (bench/sentence_scoring.py) applied to
what the extractive answer quotes. For every dev wording of bench/questions/rules.yaml this
retrieves as the skill does, reads the passages as the gate and the generator do (answering
passages first), and re-orders the answering sentences by score + w × cosine before
`chosen_sentences` picks the quote; the answer holds the fact or not. Sentence vectors come
from sentence_scoring.py's cache (title and heading before the sentence; `--cache`).

Printed: the fact share by w (in-sample, per document), w chosen leave-one-document-out, the
same restricted to a tie between the two best sentences (the second within a share of the
best: the only questions that would have to embed sentences at query time), and what that
costs per tie when the question and the two sentences are embedded then.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from qa_common import context, has_fact, rule_passages  # noqa: E402  (bench/, beside this script)
from qa_sets import Question, rules_index, split_rule_questions  # noqa: E402
from sentence_scoring import VectorCache, embedded_sentence  # noqa: E402

from indexer.encoders import E5Encoder  # noqa: E402
from skills.generator.extractive import ExtractiveGenerator  # noqa: E402
from skills.reader import Reading, chosen_sentences, read  # noqa: E402

WEIGHTS = (0.0, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0)
TIES = (0.02, 0.05, 0.1, 1.0)  # 1.0: every question with two answering sentences


@dataclass
class Case:
    q: Question
    reading: Reading | None  # None: the gate refused
    embed: list[str]  # every sentence as embedded, by index
    cos: np.ndarray | None = None


async def collect() -> list[Case]:
    cases: list[Case] = []
    async with rules_index() as index:
        ctx = context(index, ExtractiveGenerator())
        for q in split_rule_questions("dev"):
            terms, passages = await rule_passages(ctx, q.text)
            answering = read(q.text, passages, about=terms).passages()
            if not answering:
                cases.append(Case(q, None, []))
                continue
            # what grounded_answer gives the generator: the answering passages first
            rest = [i for i in range(len(passages)) if i not in answering]
            given = [passages[i] for i in answering + rest]
            reading = read(q.text, given, about=terms)
            embed = [
                embedded_sentence(given[s.passage].chunk, s.text) for s in reading.all_sentences
            ]
            cases.append(Case(q, reading, embed))
    return cases


def holds(c: Case, w: float, tie: float = 1.0) -> bool:
    """The quoted answer holds the fact when the first answering sentences (all of them, or the
    two best when the second is within `tie` of the best) are ordered by score + w × cosine."""
    if c.reading is None or c.cos is None:
        return False
    reading, cos = c.reading, c.cos
    original = list(reading.sentences)
    head = original if tie >= 1.0 else original[:2]
    if len(head) > 1 and head[1].score >= (1 - tie) * head[0].score:
        head = sorted(head, key=lambda s: (-(s.score + w * float(cos[s.index])), s.index))
    reading.sentences = head + original[len(head) :]
    chosen = chosen_sentences(reading)
    reading.sentences = original
    return has_fact(" ".join(s.text for s in chosen), c.q.facts)


def share(cases: list[Case], w: float, tie: float = 1.0) -> float:
    return statistics.mean(holds(c, w, tie) for c in cases)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--cache", type=Path, default=Path(tempfile.gettempdir()) / "kiw-sentence-vectors.sqlite"
    )
    args = parser.parse_args()
    encoder = E5Encoder()
    cases = asyncio.run(collect())
    cache = VectorCache(args.cache, encoder)
    vectors = cache.passages([t for c in cases for t in c.embed])
    for c in cases:
        if c.reading is not None:
            question = cache.query(c.q.text)
            c.cos = np.array([vectors[t] for t in c.embed], dtype=np.float32) @ question
    answerable = [c for c in cases if c.q.facts]
    documents = sorted({c.q.document for c in answerable})
    print(f"{len(answerable)} answerable dev wordings over {len(documents)} documents")
    print("in-sample, fact by w (all / per document):")
    for w in WEIGHTS:
        per_doc = " ".join(
            f"{d.split('.')[0][:18]} {share([c for c in answerable if c.q.document == d], w):.3f}"
            for d in documents
        )
        print(f"  w={w:<5} {share(answerable, w):.3f}  {per_doc}")
    for tie in TIES:
        held: list[bool] = []
        chosen = []
        for d in documents:
            train = [c for c in answerable if c.q.document != d]
            w = max(WEIGHTS, key=lambda w: (round(share(train, w, tie), 6), -w))
            chosen.append(w)
            held += [holds(c, w, tie) for c in answerable if c.q.document == d]
        paying = sum(
            1
            for c in cases
            if c.reading is not None
            and len(c.reading.sentences) > 1
            and c.reading.sentences[1].score >= (1 - tie) * c.reading.sentences[0].score
        )
        print(
            f"tie share {tie}: leave-one-document-out fact {statistics.mean(held):.3f} "
            f"(reader alone {share(answerable, 0.0):.3f}; w per held-out document {chosen}); "
            f"{paying} of {len(cases)} wordings would embed at query time"
        )
    # What a tie costs when embedded at query time: the question and two sentences, uncached.
    ms = []
    for k, c in enumerate(c for c in cases if c.reading is not None and len(c.embed) > 1):
        if k == 20:
            break
        start = time.perf_counter()
        encoder.embed_query(f"{c.q.text} ({k})")
        encoder.embed_passages([f"{t} ({k})" for t in c.embed[:2]])
        ms.append((time.perf_counter() - start) * 1000)
    print(
        f"query-time cost per tie (question + two sentences): median {statistics.median(ms):.0f} ms"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
