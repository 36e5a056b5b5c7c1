"""Fit the answerability model (skills/reader/answerable.py) on the dev split; print held-out figures.

    nice .venv/bin/python bench/answerability.py             # read the dev questions, fit, print
    nice .venv/bin/python bench/answerability.py --cosine    # ... also with the e5 cosine signal
    nice .venv/bin/python bench/answerability.py --cached    # refit from the last run's signals
    nice .venv/bin/python bench/answerability.py --write     # write answerable.json if it pays

For every dev wording of bench/questions/rules.yaml this asks the skill (policy Q&A over the
rules index with e5 vectors, as bench/eval_qa.py builds it) and reads the retrieved passages
as its gate does, keeping what the reader's rules decided, the candidate sentence and its
signals (`Reading.signals`). Each row is then labelled: for an answerable wording, whether
quoting the candidate (as the extractive answer would) gives the fact; an unanswerable one is
a negative. The model is a logistic regression (numpy, Newton steps, a little L2). Two ways of
using it are measured:

- add: fitted on the wordings the rules refuse; it may answer them, the rules' answers stay
  (what `skills.reader.read` does with answerable.json);
- all: fitted on every wording with the rules' verdict as one more signal; it decides every
  wording (it may also refuse what the rules answer).

`--cosine` adds the e5 cosine of the question and the candidate sentence (embedded after its
title and heading, as passages are; vectors cached by text hash as in bench/sentence_scoring.py)
— a signal the skill does not have at query time: it would cost one sentence embedding per
question (~90–140 ms here under load).

Held out: leave one dev document out — fit on the others, choose the threshold on the others
(the highest fact share with refused >= min(0.95, the rules' own refusal there)), apply it to
the document left out; pooled over the documents. `--write` writes the add model (fitted on all
dev documents, threshold from the pooled out-of-fold probabilities) only when its held-out
figures beat the rules alone on both fact and refusal. The test split is never asked.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from qa_common import context, has_fact, rule_passages  # noqa: E402  (bench/, beside this script)
from qa_sets import rules_index, split_rule_questions  # noqa: E402
from sentence_scoring import VectorCache, embedded_sentence  # noqa: E402

from indexer.encoders import E5Encoder  # noqa: E402
from skills import policy_qa  # noqa: E402
from skills.generator.extractive import ExtractiveGenerator  # noqa: E402
from skills.reader import answerable, chosen_sentences, read  # noqa: E402
from skills.types import SkillRequest  # noqa: E402

ROWS = Path(tempfile.gettempdir()) / "kiw-answerability-rows.json"
VECTORS = Path(tempfile.gettempdir()) / "kiw-sentence-vectors.sqlite"
L2 = 0.1
TARGET_REFUSED = 0.95
TOP = 25  # how many of the model's most likely answers are shown
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
    question: str = ""
    candidate: str = ""  # the candidate as the encoder sees it (title, heading, sentence)
    cosine: float | None = None


async def collect() -> list[Row]:
    """Ask every dev wording; keep what the rules decided and the candidate's signals. The
    model in answerable.json, if any, is left out (`model=None`): the rules alone decide."""
    rows: list[Row] = []
    async with rules_index() as index:
        ctx = context(index, ExtractiveGenerator())
        for q in split_rule_questions("dev"):
            result = await policy_qa.run(SkillRequest(text=q.text, command="frage"), ctx)
            answer = str(result.as_json().get("answer", ""))
            search_text, passages = await rule_passages(ctx, q.text)
            reading = read(q.text, passages, about=search_text, model=None)
            # The skill's answer may have come from a model in answerable.json, not the rules.
            rescued = read(q.text, passages, about=search_text).rescued
            by_rules = result.grounded and not rescued
            quoted, embedded = "", ""
            if reading.candidate is not None:
                alone = replace(reading, sentences=[reading.candidate])
                quoted = " ".join(s.text for s in chosen_sentences(alone))
                chunk = passages[reading.candidate.passage].chunk
                embedded = embedded_sentence(chunk, reading.candidate.text)
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
                    question=q.text,
                    candidate=embedded,
                )
            )
    return rows


def add_cosines(rows: list[Row]) -> None:
    cache = VectorCache(VECTORS, E5Encoder())
    vectors = cache.passages([r.candidate for r in rows if r.candidate])
    for r in rows:
        if r.candidate:
            r.cosine = float(np.dot(cache.query(r.question), vectors[r.candidate]))


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


@dataclass(frozen=True)
class Variant:
    """One way of using the model: which wordings it decides, which signals it weighs."""

    name: str
    decides_all: bool  # False: only what the rules refuse ("add")
    cosine: bool

    def features(self, r: Row) -> list[float]:
        assert r.signals is not None
        out = list(r.signals)
        if self.cosine:
            out.append(((r.cosine or 0.0) - 0.85) * 10)  # e5 cosines crowd into 0.75-0.95
        if self.decides_all:
            out.append(1.0 if r.rules_answered else 0.0)
        return out

    def trainable(self, rows: list[Row]) -> list[Row]:
        return [
            r for r in rows if r.signals is not None and (self.decides_all or not r.rules_answered)
        ]

    def label(self, r: Row) -> float:
        if self.decides_all and r.rules_answered:
            return 1.0 if r.rules_fact or (r.answerable and r.candidate_fact) else 0.0
        return 1.0 if r.candidate_fact else 0.0

    def outcome(self, r: Row, p: float, t: float) -> tuple[bool, bool]:
        """(the answer holds the fact, refused) at probability p and threshold t."""
        if r.rules_answered and not self.decides_all:
            return r.rules_fact, False
        if r.signals is None or p < t:
            return False, True
        return (r.rules_fact if r.rules_answered else r.candidate_fact), False


def fit_rows(variant: Variant, rows: list[Row]) -> Callable[[Row], float]:
    train = variant.trainable(rows)
    x = np.array([variant.features(r) for r in train], dtype=np.float64)
    weights, bias = fit(x, np.array([variant.label(r) for r in train]))

    def probability(r: Row) -> float:
        if r.signals is None:
            return 0.0
        return float(1.0 / (1.0 + np.exp(-(np.dot(weights, variant.features(r)) + bias))))

    return probability


def shares(results: list[tuple[bool, bool]], rows: list[Row]) -> tuple[float, float]:
    fact = [f for (f, _), r in zip(results, rows, strict=True) if r.answerable]
    refused = [x for (_, x), r in zip(results, rows, strict=True) if not r.answerable]
    return statistics.mean(fact), statistics.mean(refused) if refused else 1.0


def choose_threshold(variant: Variant, rows: list[Row], probs: list[float]) -> float:
    """The threshold with the highest fact share at refused >= min(0.95, the rules' own
    refusal over these rows); 1.01 (never answers) when none does better than the rules."""
    rules = shares([(r.rules_fact, not r.rules_answered) for r in rows], rows)
    floor = min(TARGET_REFUSED, rules[1]) - 1e-9
    best_t, best_fact = 1.01, rules[0] if not variant.decides_all else -1.0
    for t in sorted({round(p, 6) for p in probs if p > 0}, reverse=True):
        results = [variant.outcome(r, p, t) for r, p in zip(rows, probs, strict=True)]
        fact, refused = shares(results, rows)
        if refused >= floor and fact > best_fact:
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


def held_out(variant: Variant, rows: list[Row]) -> tuple[list[tuple[bool, bool]], list[float]]:
    """Leave one document out: outcomes and out-of-fold probabilities, in the rows' order."""
    results: list[tuple[bool, bool]] = [(False, True)] * len(rows)
    out_of_fold = [0.0] * len(rows)
    for doc in sorted({r.document for r in rows}):
        others = [r for r in rows if r.document != doc]
        probability = fit_rows(variant, others)
        t = choose_threshold(variant, others, [probability(r) for r in others])
        for i, r in enumerate(rows):
            if r.document == doc:
                out_of_fold[i] = probability(r)
                results[i] = variant.outcome(r, out_of_fold[i], t)
    return results, out_of_fold


def evaluate(rows: list[Row], variants: list[Variant]) -> dict[str, Any] | None:
    """Print the held-out figures of each variant; the add model to write, if it pays."""
    rules = [(r.rules_fact, not r.rules_answered) for r in rows]
    fact0, refused0 = shares(rules, rows)
    print(f"\nrules alone: fact {fact0:.3f} ({by_wording(rows, rules)}) / refused {refused0:.3f}")
    refused_rows = [r for r in rows if not r.rules_answered and r.signals is not None]
    print(
        f"the rules refuse {len(refused_rows)} wordings that have a candidate: "
        f"{sum(r.candidate_fact for r in refused_rows)} candidates hold the fact, "
        f"{sum(not r.answerable for r in refused_rows)} are unanswerable"
    )
    print("leave one document out, pooled (fit and threshold on the other documents):")
    written = None
    for variant in variants:
        results, out_of_fold = held_out(variant, rows)
        fact, refused = shares(results, rows)
        print(
            f"  {variant.name:34} fact {fact:.3f} ({by_wording(rows, results)}) / "
            f"refused {refused:.3f}"
        )
        if not variant.decides_all:
            # What the model would answer first: the rules' refusals by out-of-fold probability.
            top = sorted(
                (i for i, r in enumerate(rows) if not r.rules_answered and r.signals is not None),
                key=lambda i: -out_of_fold[i],
            )[:TOP]
            gained = sum(rows[i].candidate_fact for i in top)
            lost = sum(not rows[i].answerable for i in top)
            print(
                f"    its first {TOP} out-of-fold: {gained} answers with the fact, "
                f"{lost} unanswerable answered, {TOP - gained - lost} answerable without the fact"
            )
        if variant.decides_all or variant.cosine:
            continue  # the skill has neither the cosine nor a model over the rules' answers
        t = choose_threshold(variant, rows, out_of_fold)
        pays = fact > fact0 and refused >= refused0
        print(
            f"    threshold from the pooled out-of-fold probabilities: {t:.3f}"
            + ("" if pays else "; does not beat the rules held out, nothing to write")
        )
        if pays and t <= 1.0:
            train = variant.trainable(rows)
            x = np.array([variant.features(r) for r in train], dtype=np.float64)
            weights, bias = fit(x, np.array([variant.label(r) for r in train]))
            written = {
                "features": list(answerable.FEATURES),
                "weights": [round(float(w), 4) for w in weights],
                "bias": round(bias, 4),
                "threshold": round(t, 4),
                "fitted": "bench/answerability.py on the dev split of bench/questions/rules.yaml; "
                f"leave-one-document-out fact {fact:.3f} / refused {refused:.3f} "
                f"(rules alone {fact0:.3f} / {refused0:.3f})",
            }
    return written


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cosine", action="store_true", help="also with the e5 cosine signal")
    parser.add_argument("--cached", action="store_true", help=f"reuse the rows in {ROWS}")
    parser.add_argument(
        "--write", action="store_true", help="write skills/reader/answerable.json if it pays"
    )
    args = parser.parse_args()
    if args.cached:
        rows = [Row(**r) for r in json.loads(ROWS.read_text(encoding="utf-8"))]
    else:
        rows = await collect()
    if args.cosine and any(r.candidate and r.cosine is None for r in rows):
        add_cosines(rows)
    ROWS.write_text(json.dumps([asdict(r) for r in rows]), encoding="utf-8")
    variants = [Variant("add (the rules' refusals)", False, False)]
    variants.append(Variant("all (rules' verdict as a signal)", True, False))
    if args.cosine:
        variants.append(Variant("add + cosine", False, True))
        variants.append(Variant("all + cosine", True, True))
    written = evaluate(rows, variants)
    if args.write and written is not None:
        answerable.MODEL_FILE.write_text(json.dumps(written, indent=2) + "\n", encoding="utf-8")
        print(f"written: {answerable.MODEL_FILE.relative_to(REPO)}")
    elif args.write:
        print("nothing written: the rules alone decide")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
