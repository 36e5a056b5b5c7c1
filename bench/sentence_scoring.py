"""Experiment: does e5 sentence scoring close the everyday-wording gap (issue 13)? Dev split only.

    nice -n 10 .venv/bin/python bench/sentence_scoring.py

For every dev question of bench/questions/rules.yaml this retrieves the passages as the skill
does (`skills.grounded_answer.retrieve` over the rules index with e5 vectors, as
bench/eval_qa.py builds it), splits them into sentences as the reader does
(`skills.reader.sentences`), and embeds the question ("query: ") and each sentence ("passage: ",
after the document title and heading, as passages are embedded) with `E5Encoder`. Sentence
vectors are cached on disk by text hash (`--cache`), so a rerun embeds only new sentences.

(a) Answer sentence: how often the sentence holding the fact is ranked first / in the first
    three — by cosine alone, by the reader (its answering sentences; a refusal ranks nothing),
    by the reader's score over every sentence (no gate), by cosine over the sentences of the
    asked type (the reader's answer pattern; typed first, then the rest), and by cosine over
    the reader's answering sentences — by wording.
(b) Answerability: AUC of the highest cosine over sentences of the asked type, answerable vs
    unanswerable wordings; and the fact/refused trade-off when a threshold t overrides the
    reader's refusals ("override": refused, but a typed sentence has cosine >= t -> quote it)
    or replaces the gate ("replace": answer iff a typed sentence has cosine >= t). t is chosen
    leave-one-document-out: on three dev documents, applied to the fourth, pooled.

The test split is never asked. Over ~400 lines: one experiment meant to be read top to bottom
(set-up, the two measurements, the cost), not a module anything imports. Results and the recommendation: docs/skills.md, "Sentence
scoring experiment (session 5)".
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from qa_common import context, has_fact, rule_passages  # noqa: E402  (bench/, beside this script)
from qa_sets import Question, rules_chunks, rules_index, rules_questions, rules_spec  # noqa: E402

from indexer.embedded import EmbeddedIndex  # noqa: E402
from indexer.encoders import E5Encoder  # noqa: E402
from indexer.model import Chunk  # noqa: E402
from skills import policy_qa  # noqa: E402
from skills.generator.extractive import ExtractiveGenerator  # noqa: E402
from skills.grounding import passages_from_chunks  # noqa: E402
from skills.reader import read  # noqa: E402
from skills.reader.sentences import sentences_of  # noqa: E402
from skills.types import SkillRequest  # noqa: E402
from tests.skills.corpus import sample_chunks  # noqa: E402

Vector = npt.NDArray[np.float32]


@dataclass
class Case:
    """One dev wording: what the skill answered and the sentences it could have quoted."""

    q: Question
    fact: float | None  # the skill's answer holds the fact (None: unanswerable)
    refused: bool  # the skill said "keine Aussage"
    texts: list[str]  # retrieved sentences in reading order
    embed: list[str]  # the same, as embedded (title and heading before the sentence)
    typed: list[bool]  # carries the asked kind of answer (the reader's answer pattern)
    reader: list[int]  # the reader's answering sentences, best first ([] = refused)
    reader_all: list[int]  # every sentence by the reader's score (no gate)
    scores: list[float]  # the reader's score of each sentence (0 when it stopped early)
    cos: Vector | None = None

    def holds(self, i: int) -> bool:
        return bool(self.q.facts) and has_fact(self.texts[i], self.q.facts)

    @property
    def reachable(self) -> bool:
        return any(self.holds(i) for i in range(len(self.texts)))


# ---------------------------------------------------------------- vectors, cached by text hash


class VectorCache:
    def __init__(self, path: Path, encoder: E5Encoder) -> None:
        self._db = sqlite3.connect(path)
        self._db.execute("CREATE TABLE IF NOT EXISTS v (h TEXT PRIMARY KEY, vector BLOB)")
        self._encoder = encoder
        self.embedded = 0
        self.seconds = 0.0

    def passages(self, texts: Sequence[str], batch: int = 32) -> dict[str, Vector]:
        keys = {t: "p:" + hashlib.sha256(t.encode()).hexdigest() for t in dict.fromkeys(texts)}
        found = self._load(keys)
        todo = [t for t in keys if t not in found]
        for start in range(0, len(todo), batch):
            part = todo[start : start + batch]
            t0 = time.perf_counter()
            rows = self._encoder.embed_passages(part)
            self.seconds += time.perf_counter() - t0
            self.embedded += len(part)
            for text, row in zip(part, rows, strict=True):
                found[text] = np.asarray(row, dtype=np.float32)
                self._db.execute(
                    "INSERT OR REPLACE INTO v VALUES (?, ?)", (keys[text], found[text].tobytes())
                )
            self._db.commit()
            print(f"  embedded {min(start + batch, len(todo))} / {len(todo)} sentences", flush=True)
        return found

    def query(self, text: str) -> Vector:
        key = "q:" + hashlib.sha256(text.encode()).hexdigest()
        found = self._load({text: key})
        if text not in found:
            found[text] = np.asarray(self._encoder.embed_query(text), dtype=np.float32)
            self._db.execute("INSERT OR REPLACE INTO v VALUES (?, ?)", (key, found[text].tobytes()))
            self._db.commit()
        return found[text]

    def _load(self, keys: dict[str, str]) -> dict[str, Vector]:
        out: dict[str, Vector] = {}
        for text, key in keys.items():
            row = self._db.execute("SELECT vector FROM v WHERE h = ?", (key,)).fetchone()
            if row:
                out[text] = np.frombuffer(row[0], dtype=np.float32)
        return out


def embedded_sentence(chunk: Chunk, sentence: str) -> str:
    """A sentence as the encoder sees it: title and heading first, as passages are embedded
    (indexer/vectors.py embedding_text)."""
    head = "\n".join(p for p in (chunk.title, chunk.heading or "") if p)
    return f"{head}\n{sentence}"


# ---------------------------------------------------------------- the dev questions


async def collect(index: EmbeddedIndex) -> list[Case]:
    ctx = context(index, ExtractiveGenerator())
    answerable, unanswerable = rules_questions()
    cases: list[Case] = []
    for q in answerable + unanswerable:
        if q.split != "dev":
            continue
        result = await policy_qa.run(SkillRequest(text=q.text, command="frage"), ctx)
        answer = str(result.as_json().get("answer", ""))
        search_text, passages = await rule_passages(ctx, q.text)
        reading = read(q.text, passages, about=search_text, typed=True)
        sentences = reading.all_sentences  # every sentence, in reading order (index = position)
        pattern = reading.shape.answer
        cases.append(
            Case(
                q=q,
                fact=(1.0 if result.grounded and has_fact(answer, q.facts) else 0.0)
                if q.facts
                else None,
                refused=result.outcome == "no_answer",
                texts=[s.text for s in sentences],
                embed=[embedded_sentence(passages[s.passage].chunk, s.text) for s in sentences],
                typed=[pattern is None or bool(pattern.search(s.text)) for s in sentences],
                reader=[s.index for s in reading.sentences],
                reader_all=[s.index for s in sorted(sentences, key=lambda s: (-s.score, s.index))],
                scores=[s.score for s in sentences],
            )
        )
    return cases


# ---------------------------------------------------------------- (a) which sentence is first


def by_cosine(c: Case) -> list[int]:
    assert c.cos is not None
    return [int(i) for i in np.argsort(-c.cos, kind="stable")]


def typed_by_cosine(c: Case) -> list[int]:
    order = by_cosine(c)
    return [i for i in order if c.typed[i]] + [i for i in order if not c.typed[i]]


def reader_by_cosine(c: Case) -> list[int]:
    assert c.cos is not None
    cos = c.cos
    return sorted(c.reader, key=lambda i: -float(cos[i]))


def blended(weight: float) -> Callable[[Case], list[int]]:
    """Every sentence by the reader's score + weight x cosine (no gate)."""

    def rank(c: Case) -> list[int]:
        assert c.cos is not None
        total = np.asarray(c.scores, dtype=np.float32) + weight * c.cos
        return [int(i) for i in np.argsort(-total, kind="stable")]

    return rank


WEIGHTS = (0.0, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0)


def first_share(cases: Sequence[Case], rank: Callable[[Case], list[int]]) -> float:
    return statistics.mean(bool(rank(c)) and c.holds(rank(c)[0]) for c in cases)


def held_out_blend(cases: list[Case]) -> dict[str, float]:
    """The weight w of reader score + w x cosine for each dev document, chosen on the other
    three (share of wordings whose first sentence holds the fact)."""
    reachable = [c for c in cases if c.q.facts and c.reachable]
    chosen: dict[str, float] = {}
    for doc in sorted({c.q.document for c in cases}):
        train = [c for c in reachable if c.q.document != doc]
        chosen[doc] = max(WEIGHTS, key=lambda w: (first_share(train, blended(w)), -w))
    print(f"  (blend weight chosen per held-out document: {chosen})")
    return chosen


RANKINGS: dict[str, Callable[[Case], list[int]]] = {
    "cosine alone": by_cosine,
    "reader (answering sentences; refusal = miss)": lambda c: c.reader,
    "reader score, every sentence (no gate)": lambda c: c.reader_all,
    "cosine, asked type first": typed_by_cosine,
    "reader's answering sentences by cosine": reader_by_cosine,
}


def share(values: Sequence[bool]) -> str:
    return f"{statistics.mean(values):.2f}" if values else "n/a"


def print_ranking(cases: list[Case]) -> None:
    answerable = [c for c in cases if c.q.facts]
    reachable = [c for c in answerable if c.reachable]
    print(
        f"\n(a) the sentence with the fact: first / in the first three "
        f"({len(reachable)} of {len(answerable)} answerable dev wordings have it among the "
        "retrieved sentences; shares of those)"
    )
    wordings = ("document", "everyday", "typo")
    rankings = dict(RANKINGS)
    weights = held_out_blend(cases)
    rankings["reader score + w x cosine (w held out)"] = lambda c: blended(weights[c.q.document])(c)
    rankings["reader's answering sentences by that blend"] = lambda c: [
        i for i in blended(weights[c.q.document])(c) if i in c.reader
    ]
    print(f"  {'ranking':46} {'all':>11}" + "".join(f" {w:>11}" for w in wordings))
    for name, rank in rankings.items():
        cells = []
        for group in [reachable] + [[c for c in reachable if c.q.wording == w] for w in wordings]:
            first = [bool(rank(c)) and c.holds(rank(c)[0]) for c in group]
            top3 = [any(c.holds(i) for i in rank(c)[:3]) for c in group]
            cells.append(f"{share(first)} / {share(top3)}")
        print(f"  {name:46} " + " ".join(f"{cell:>11}" for cell in cells))
    skill = [c.fact == 1.0 for c in answerable]
    print(f"  (the skill's answer holds the fact: {share(skill)} of all {len(answerable)})")


# ---------------------------------------------------------------- (b) answerability


def typed_max(c: Case) -> float:
    assert c.cos is not None
    scores = [float(c.cos[i]) for i in range(len(c.texts)) if c.typed[i]]
    return max(scores, default=-1.0)


def any_max(c: Case) -> float:
    assert c.cos is not None
    return float(c.cos.max()) if len(c.texts) else -1.0


def auc(positive: Sequence[float], negative: Sequence[float]) -> float:
    """P(a random answerable scores above a random unanswerable), ties half."""
    wins = sum((p > n) + 0.5 * (p == n) for p in positive for n in negative)
    return wins / (len(positive) * len(negative))


def outcome(c: Case, t: float, mode: str) -> tuple[bool, bool]:
    """(answer holds the fact, refused) under threshold t. override: the reader's answers stay,
    its refusals are answered with the best typed sentence when its cosine >= t; replace: the
    typed sentence with the highest cosine is quoted when its cosine >= t, else refused;
    override/reader: as override, quoting the typed sentence the reader scores best."""
    if mode.startswith("override") and not c.refused:
        return c.fact == 1.0, False
    if typed_max(c) < t:
        return False, True
    if mode == "override/reader":  # quote the typed sentence the reader scores best instead
        best = ([i for i in c.reader_all if c.typed[i]] or c.reader_all)[0]
    else:
        best = typed_by_cosine(c)[0]
    return c.holds(best), False


def figures(cases: Sequence[Case], t: float, mode: str) -> tuple[float, float]:
    results = [(c, outcome(c, t, mode)) for c in cases]
    fact = [r[0] for c, r in results if c.q.facts]
    refused = [r[1] for c, r in results if not c.q.facts]
    return (statistics.mean(fact) if fact else 0.0, statistics.mean(refused) if refused else 1.0)


THRESHOLDS = [round(0.70 + 0.0025 * k, 4) for k in range(101)] + [2.0]  # 2.0: never overrides


def choose(cases: Sequence[Case], mode: str, rule: str) -> float:
    def key(t: float) -> tuple[float, float]:
        fact, refused = figures(cases, t, mode)
        if rule == "refused>=0.95":
            return ((fact if refused >= 0.95 else -1.0), t)
        return (fact + refused, t)

    return max(THRESHOLDS, key=key)


def print_answerability(cases: list[Case]) -> None:
    pos = [c for c in cases if c.q.facts]
    neg = [c for c in cases if not c.q.facts]
    print(f"\n(b) answerability ({len(pos)} answerable, {len(neg)} unanswerable dev wordings)")
    print(
        f"  AUC, highest cosine over sentences of the asked type: "
        f"{auc([typed_max(c) for c in pos], [typed_max(c) for c in neg]):.3f}"
    )
    print(
        f"  AUC, highest cosine over every sentence:              "
        f"{auc([any_max(c) for c in pos], [any_max(c) for c in neg]):.3f}"
    )
    # What an override can use: the wordings the reader refused, answerable vs unanswerable.
    p = [typed_max(c) for c in pos if c.refused]
    n = [typed_max(c) for c in neg if c.refused]
    print(f"  AUC, typed, among the reader's refusals ({len(p)} / {len(n)}): {auc(p, n):.3f}")
    for wording in ("document", "everyday", "typo"):
        p = [typed_max(c) for c in pos if c.q.wording == wording]
        n = [typed_max(c) for c in neg if c.q.wording == wording]
        print(f"    {wording:9} typed AUC {auc(p, n):.3f}")
    base_fact = statistics.mean(c.fact == 1.0 for c in pos)
    base_refused = statistics.mean(c.refused for c in neg)
    print(f"  the reader alone: fact {base_fact:.3f} / refused {base_refused:.3f}")
    print("  in-sample curve over all four dev documents (for orientation only):")
    for t in (0.80, 0.84, 0.86, 0.88, 0.89, 0.90, 0.91, 0.92):
        o, r = figures(cases, t, "override"), figures(cases, t, "replace")
        b = figures(cases, t, "override/reader")
        print(
            f"    t={t:.2f}  override {o[0]:.3f} / {o[1]:.3f}   override/reader "
            f"{b[0]:.3f} / {b[1]:.3f}   replace {r[0]:.3f} / {r[1]:.3f}"
        )
    documents = sorted({c.q.document for c in cases})
    for doc in documents:
        mine = [c for c in cases if c.q.document == doc]
        fact, refused = figures(mine, 2.0, "override")
        print(f"    the reader alone on {doc}: fact {fact:.2f} / refused {refused:.2f}")
    print("  leave one document out (t chosen on the other three, pooled over the four):")
    for mode in ("override", "override/reader", "replace"):
        for rule in ("refused>=0.95", "max fact+refused"):
            held: list[tuple[bool, bool, Case]] = []
            chosen = []
            for doc in documents:
                t = choose([c for c in cases if c.q.document != doc], mode, rule)
                mine = [c for c in cases if c.q.document == doc]
                fact, refused = figures(mine, t, mode)
                chosen.append(
                    f"{doc.split('.')[0][:14]} {'never' if t > 1 else f'{t:.4f}'}: "
                    f"{fact:.2f}/{refused:.2f}"
                )
                held += [(*outcome(c, t, mode), c) for c in mine]
            fact = statistics.mean(f for f, _, c in held if c.q.facts)
            refused = statistics.mean(r for _, r, c in held if not c.q.facts)
            everyday = statistics.mean(
                f for f, _, c in held if c.q.facts and c.q.wording == "everyday"
            )
            print(
                f"    {mode:15} {rule:17} fact {fact:.3f} (everyday {everyday:.2f}) / "
                f"refused {refused:.3f}"
            )
            print(f"      per held-out document (t: fact/refused): {'; '.join(chosen)}")


# ---------------------------------------------------------------- index-time cost


def print_cost(cache: VectorCache, encoder: E5Encoder, cases: list[Case]) -> None:
    if cache.embedded < 16:  # everything came from the cache: time a fresh batch
        sample = [f"{text} ({k})" for k, text in enumerate(cases[0].embed[:8] * 4)]
        t0 = time.perf_counter()
        encoder.embed_passages(sample)
        cache.seconds, cache.embedded = time.perf_counter() - t0, len(sample)
    ms = 1000 * cache.seconds / cache.embedded
    print(f"\nindex-time cost: {ms:.0f} ms per sentence ({cache.embedded} embedded in batches)")
    for name, chunks in (
        ("samples/policies", sample_chunks()),
        (f"rules set, {len(rules_spec()['documents'])} documents", rules_chunks()),
    ):
        count = len({s.text for s in sentences_of(passages_from_chunks(chunks))})
        print(f"  {name:28} {count:5} sentences  ~{count * ms / 1000:.0f} s to embed")


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--cache",
        type=Path,
        default=Path(tempfile.gettempdir()) / "kiw-sentence-vectors.sqlite",
        help="sentence and question vectors by text hash (a rerun embeds only new text)",
    )
    args = parser.parse_args()
    encoder = E5Encoder()
    cache = VectorCache(args.cache, encoder)
    async with rules_index(encoder) as index:
        cases = await collect(index)
    vectors = cache.passages([text for c in cases for text in c.embed])
    for c in cases:
        question = cache.query(c.q.text)
        matrix = np.array([vectors[t] for t in c.embed], dtype=np.float32).reshape(
            -1, len(question)
        )
        c.cos = matrix @ question
    print_ranking(cases)
    print_answerability(cases)
    print_cost(cache, encoder, cases)
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
