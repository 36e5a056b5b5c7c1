"""Fit the answerability model (skills/reader/answerable.py) on the dev split; print held-out figures.

    nice .venv/bin/python bench/answerability.py            # read the dev questions, fit, print
    nice .venv/bin/python bench/answerability.py --write    # ... and write answerable.json
    nice .venv/bin/python bench/answerability.py --cached   # refit from the last run's signals

For every dev wording of bench/questions/rules.yaml this asks the skill (policy Q&A over the
rules index with e5 vectors, as bench/eval_qa.py builds it) and reads the retrieved passages
as its gate does, keeping what the reader's rules decided, the candidate sentence and its
signals (`Reading.signals`). Each row is then labelled: for an answerable wording, whether
quoting the candidate (as the extractive answer would) gives the fact; an unanswerable one is
a negative. The model is a logistic regression (numpy, Newton steps, a little L2), fitted
only on the wordings the rules refuse — the model only adds answers there.

Held out: leave one dev document out — fit on the others, choose the threshold on the others
(the highest fact share with refused >= 0.95 over all their wordings, the rules' answers
included), apply it to the document left out; pooled over the documents. The threshold written
to answerable.json is the one the pooled out-of-fold probabilities give under the same rule,
the coefficients are fitted on all dev documents. The test split is never asked.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from qa_common import context, has_fact  # noqa: E402  (bench/, beside this script)
from qa_sets import rules_chunks, rules_questions  # noqa: E402

from indexer.embedded import EmbeddedIndex  # noqa: E402
from indexer.encoders import E5Encoder  # noqa: E402
from indexer.model import POLICIES, SearchQuery  # noqa: E402
from skills import policy_qa  # noqa: E402
from skills.generator.base import Passage  # noqa: E402
from skills.generator.extractive import ExtractiveGenerator  # noqa: E402
from skills.german import detect_language, search_terms  # noqa: E402
from skills.grounded_answer import RETRIEVE_TOP, retrieve  # noqa: E402
from skills.grounding import passages_from_hits  # noqa: E402
from skills.privacy import without_personal_data  # noqa: E402
from skills.reader import answerable, chosen_sentences, read  # noqa: E402
from skills.types import SkillRequest  # noqa: E402

CACHE = Path(tempfile.gettempdir()) / "kiw-answerability-rows.json"
L2 = 0.1
TARGET_REFUSED = 0.95
Matrix = npt.NDArray[np.float64]


@dataclass
class Row:
    id: str
    document: str
    wording: str
    answerable: bool
    rules_fact: bool  # the rules' own answer holds the fact
    rules_answered: bool
    candidate_fact: bool  # quoting the candidate would give the fact
    signals: list[float] | None  # None: no candidate sentence at all


async def collect() -> list[Row]:
    """Ask every dev wording; keep what the rules decided and the candidate's signals."""
    rows: list[Row] = []
    with tempfile.TemporaryDirectory() as tmp:
        index = EmbeddedIndex(Path(tmp) / "rules", encoder=E5Encoder())
        await index.upsert(rules_chunks())
        await index.embed_pending()
        ctx = context(index, ExtractiveGenerator())
        answerable_qs, unanswerable_qs = rules_questions()
        for q in answerable_qs + unanswerable_qs:
            if q.split != "dev":
                continue
            result = await policy_qa.run(SkillRequest(text=q.text, command="frage"), ctx)
            answer = str(result.data.get("answer", ""))
            search_text = search_terms(without_personal_data(q.text), detect_language(q.text))
            query = SearchQuery(
                text=search_text, collection=POLICIES, top=RETRIEVE_TOP, facets=False
            )
            retrieved = await retrieve(ctx, replace(query, snippets="none"))
            passages: list[Passage] = [
                replace(p, ranked=i < retrieved.ranked)
                for i, p in enumerate(passages_from_hits(retrieved.hits))
            ]
            reading = read(q.text, passages, about=search_text)
            by_rules = result.grounded and not reading.rescued
            quoted = ""
            if reading.candidate is not None:
                alone = replace(reading, sentences=[reading.candidate])
                quoted = " ".join(s.text for s in chosen_sentences(alone))
            rows.append(
                Row(
                    id=q.id,
                    document=q.document,
                    wording=q.wording,
                    answerable=bool(q.facts),
                    rules_fact=by_rules and has_fact(answer, q.facts) if q.facts else False,
                    rules_answered=by_rules,
                    candidate_fact=bool(q.facts) and has_fact(quoted, q.facts),
                    signals=reading.signals.vector() if reading.signals else None,
                )
            )
        await index.close()
    return rows


# ---------------------------------------------------------------- the model


def fit(x: Matrix, y: Matrix) -> tuple[Matrix, float]:
    """Logistic regression by Newton steps with an L2 penalty on the weights (not the bias)."""
    xb = np.hstack([x, np.ones((len(x), 1))])
    w = np.zeros(xb.shape[1])
    penalty = np.eye(xb.shape[1]) * L2
    penalty[-1, -1] = 0.0
    for _ in range(50):
        p = 1.0 / (1.0 + np.exp(-xb @ w))
        gradient = xb.T @ (p - y) + penalty @ w
        hessian = xb.T @ (xb * (p * (1 - p))[:, None]) + penalty + 1e-9 * np.eye(len(w))
        step = np.linalg.solve(hessian, gradient)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    return w[:-1], float(w[-1])


def probabilities(rows: list[Row], weights: Matrix, bias: float) -> list[float]:
    return [
        float(1.0 / (1.0 + np.exp(-(np.dot(weights, r.signals) + bias))))
        if r.signals is not None
        else 0.0
        for r in rows
    ]


def trainable(rows: list[Row]) -> list[Row]:
    return [r for r in rows if not r.rules_answered and r.signals is not None]


def fit_rows(rows: list[Row]) -> tuple[Matrix, float]:
    train = trainable(rows)
    x = np.array([r.signals for r in train], dtype=np.float64)
    y = np.array([1.0 if r.candidate_fact else 0.0 for r in train])
    return fit(x, y)


def outcome(r: Row, p: float, t: float) -> tuple[bool, bool]:
    """(answer holds the fact, refused) when the model answers the rules' refusals at p >= t."""
    if r.rules_answered:
        return r.rules_fact, False
    if r.signals is not None and p >= t:
        return r.candidate_fact, False
    return False, True


def figures(rows: list[Row], probs: list[float], t: float) -> tuple[float, float]:
    results = [outcome(r, p, t) for r, p in zip(rows, probs, strict=True)]
    fact = [f for (f, _), r in zip(results, rows, strict=True) if r.answerable]
    refused = [x for (_, x), r in zip(results, rows, strict=True) if not r.answerable]
    return statistics.mean(fact), statistics.mean(refused) if refused else 1.0


def choose_threshold(rows: list[Row], probs: list[float]) -> float:
    """The lowest threshold with the highest fact share at refused >= TARGET_REFUSED; 1.01 when
    none keeps refusal (the model never answers)."""
    best_t, best_fact = 1.01, figures(rows, probs, 1.01)[0]
    for t in sorted({round(p, 6) for p in probs if p > 0}, reverse=True):
        fact, refused = figures(rows, probs, t)
        if refused >= TARGET_REFUSED and fact > best_fact:
            best_t, best_fact = t, fact
    return best_t


def by_wording(rows: list[Row], results: list[tuple[bool, bool]]) -> str:
    parts = []
    for wording in ("document", "everyday", "typo"):
        mine = [
            f
            for (f, _), r in zip(results, rows, strict=True)
            if r.answerable and r.wording == wording
        ]
        parts.append(f"{wording} {statistics.mean(mine):.2f}")
    return ", ".join(parts)


def evaluate(rows: list[Row]) -> dict[str, Any]:
    documents = sorted({r.document for r in rows})
    base = [(r.rules_fact, not r.rules_answered) for r in rows]
    fact0 = statistics.mean(f for (f, _), r in zip(base, rows, strict=True) if r.answerable)
    ref0 = statistics.mean(x for (_, x), r in zip(base, rows, strict=True) if not r.answerable)
    print(f"\nrules alone: fact {fact0:.3f} ({by_wording(rows, base)}) / refused {ref0:.3f}")
    train = trainable(rows)
    print(
        f"the rules refuse {len(train)} wordings with a candidate: "
        f"{sum(r.candidate_fact for r in train)} candidates hold the fact, "
        f"{sum(not r.answerable for r in train)} unanswerable"
    )
    pooled: list[tuple[bool, bool]] = [(False, True)] * len(rows)
    out_of_fold = [0.0] * len(rows)
    print("leave one document out (fit and threshold on the others):")
    for doc in documents:
        others = [r for r in rows if r.document != doc]
        weights, bias = fit_rows(others)
        t = choose_threshold(others, probabilities(others, weights, bias))
        mine = [i for i, r in enumerate(rows) if r.document == doc]
        probs = probabilities([rows[i] for i in mine], weights, bias)
        for i, p in zip(mine, probs, strict=True):
            out_of_fold[i] = p
            pooled[i] = outcome(rows[i], p, t)
        fact, refused = figures([rows[i] for i in mine], probs, t)
        print(f"  {doc:42} t={t:.3f}  fact {fact:.2f} / refused {refused:.2f}")
    fact = statistics.mean(f for (f, _), r in zip(pooled, rows, strict=True) if r.answerable)
    refused = statistics.mean(x for (_, x), r in zip(pooled, rows, strict=True) if not r.answerable)
    print(f"  pooled: fact {fact:.3f} ({by_wording(rows, pooled)}) / refused {refused:.3f}")
    t = choose_threshold(rows, out_of_fold)
    oof = [outcome(r, p, t) for r, p in zip(rows, out_of_fold, strict=True)]
    f2, r2 = figures(rows, out_of_fold, t)
    print(
        f"threshold from the pooled out-of-fold probabilities: {t:.3f} -> fact {f2:.3f} "
        f"({by_wording(rows, oof)}) / refused {r2:.3f}"
    )
    weights, bias = fit_rows(rows)
    print("coefficients on all dev documents:")
    for name, w in zip(answerable.FEATURES, weights, strict=True):
        print(f"  {name:16} {w:+.3f}")
    print(f"  {'bias':16} {bias:+.3f}")
    return {
        "features": list(answerable.FEATURES),
        "weights": [round(float(w), 4) for w in weights],
        "bias": round(bias, 4),
        "threshold": round(t, 4),
        "fitted": "bench/answerability.py on the dev split of bench/questions/rules.yaml "
        f"({len(documents)} documents, {len(trainable(rows))} wordings the rules refuse); "
        f"leave-one-document-out: fact {fact:.3f} / refused {refused:.3f} "
        f"(rules alone {fact0:.3f} / {ref0:.3f})",
    }


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="write skills/reader/answerable.json")
    parser.add_argument("--cached", action="store_true", help=f"reuse the signals in {CACHE}")
    args = parser.parse_args()
    if args.cached:
        rows = [Row(**r) for r in json.loads(CACHE.read_text(encoding="utf-8"))]
    else:
        rows = await collect()
        CACHE.write_text(json.dumps([r.__dict__ for r in rows]), encoding="utf-8")
    fitted = evaluate(rows)
    if args.write:
        answerable.MODEL_FILE.write_text(json.dumps(fitted, indent=2) + "\n", encoding="utf-8")
        print(f"written: {answerable.MODEL_FILE.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
