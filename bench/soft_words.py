"""Experiment: a question's concept found in a sentence by word meaning (issue 13, items 2/5).

    nice .venv/bin/python bench/soft_words.py            # ask the dev wordings, embed, measure
    nice .venv/bin/python bench/soft_words.py --cached   # reuse the retrieval and the vectors
    ... --cached --no-calibration --every --show csls:0.02:0.6   # any concept; what one changes
    ... --split test --chosen csls:0.02:0.6              # once: the setting chosen on dev

Dev split only; the test split is asked once, with `--chosen`. For every dev wording of
bench/questions/rules.yaml this corrects and retrieves as the skill does (the rules index with
e5 passage vectors, as bench/eval_qa.py builds it; the retrieval is cached in a pickle), and
reads the passages as the gate and the extractive answer do (`skills.reader.read`, the
extractive generator's second reading over the answering passages first). Then, for the
question's concepts that no retrieved sentence has by stem, compound part, typo or vocabulary,
it embeds the concept's word and each content word of the collection with e5 (vectors cached
on disk by text hash) and gives a concept the strength `s` in a sentence whose most
similar word reaches `tau` (added where the reader weighs its lexical strengths; the reader
itself has no seam for it, since nothing of this ships).

(1) Calibration: how well the word cosine tells the vocabulary's own pairs (everyday word ->
    administrative word, indexer/vocabulary.yaml) from random pairs of its words, AUC for each
    way of prefixing ("query: " / "passage: ") and score, and how often the administrative word
    is among the everyday word's nearest collection words.
(2) The gate with the soft match: fact and refused over the dev split for a grid of (tau, s),
    and leave one dev document out: (tau, s) chosen on five documents, applied to the sixth,
    pooled. A choice must gain more facts than 7x the unanswerable wordings it answers.
    Scores: the cosine, CSLS (the cosine corrected for hubness) and the word's rank among
    the concept's nearest collection words; variants: nouns with nouns only, short phrases,
    and (`--every`) any concept in a sentence that lacks it, not only the ones no sentence has.

Figures and the decision: docs/skills.md, "Concepts matched by meaning".

Over ~400 lines: one experiment meant to be read top to bottom (set-up, calibration, the grid
and its cross-check), not a module anything imports; nothing of it ships.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import pickle
import random
import re
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from qa_common import context, has_fact, rule_passages  # noqa: E402  (bench/, beside this script)
from qa_sets import rules_chunks, rules_index, split_rule_questions  # noqa: E402

from indexer.analysis import STOPWORDS, fold  # noqa: E402
from indexer.encoders import _model  # noqa: E402
from indexer.model import POLICIES  # noqa: E402
from indexer.vocabulary import vocabulary  # noqa: E402
from skills import policy_qa  # noqa: E402
from skills.generator.base import Passage  # noqa: E402
from skills.generator.extractive import MAX_ANSWER_SENTENCES, ExtractiveGenerator  # noqa: E402
from skills.reader import (  # noqa: E402
    Reading,
    answers,
    chosen_sentences,
    read,
)
from skills.reader.sentences import Sentence, sentences_of  # noqa: E402
from skills.reader.words import Concept, word_tokens  # noqa: E402
from skills.types import SkillRequest  # noqa: E402

CASES = Path(tempfile.gettempdir()) / "kiw-soft-words-cases.pkl"
VECTORS = Path(tempfile.gettempdir()) / "kiw-soft-words-vectors.sqlite"
COST = 7.0  # one unanswerable wording answered weighs as much as seven facts gained
Vector = npt.NDArray[np.float32]


@dataclass
class Case:
    id: str
    document: str
    wording: str
    facts: tuple[str, ...]
    question: str  # as the skill reads it: corrected towards the documents' words
    about: str
    passages: list[Passage]
    skill_fact: bool  # the skill's own answer holds the fact
    skill_refused: bool


# ---------------------------------------------------------------- retrieval, cached


async def collect(split: str) -> list[Case]:
    cases: list[Case] = []
    async with rules_index() as index:
        ctx = context(index, ExtractiveGenerator())
        for q in split_rule_questions(split):
            request = SkillRequest(text=q.text, command="frage")
            result = await policy_qa.run(request, ctx)
            answer = str(result.as_json().get("answer", ""))
            corrected = await ctx.index.corrected(q.text, POLICIES, request.access)
            about, passages = await rule_passages(ctx, corrected)
            cases.append(
                Case(
                    q.id,
                    q.document,
                    q.wording,
                    tuple(q.facts),
                    corrected,
                    about,
                    passages,
                    bool(q.facts) and result.grounded and has_fact(answer, q.facts),
                    not result.grounded,
                )
            )
    return cases


# ---------------------------------------------------------------- vectors, cached by text hash


class Vectors:
    def __init__(self, path: Path) -> None:
        self._db = sqlite3.connect(path)
        self._db.execute("CREATE TABLE IF NOT EXISTS v (h TEXT PRIMARY KEY, vector BLOB)")
        self.embedded, self.seconds = 0, 0.0

    def get(self, texts: Sequence[str], as_query: bool, batch: int = 64) -> dict[str, Vector]:
        prefix = "q:" if as_query else "p:"
        keys = {t: prefix + hashlib.sha256(t.encode()).hexdigest() for t in dict.fromkeys(texts)}
        found: dict[str, Vector] = {}
        for text, key in keys.items():
            row = self._db.execute("SELECT vector FROM v WHERE h = ?", (key,)).fetchone()
            if row:
                found[text] = np.frombuffer(row[0], dtype=np.float32)
        todo = [t for t in keys if t not in found]
        model = _model(1)
        for start in range(0, len(todo), batch):
            part = todo[start : start + batch]
            t0 = time.perf_counter()
            matrix = model.query(part) if as_query else model.passage(part)
            self.seconds += time.perf_counter() - t0
            self.embedded += len(part)
            for text, row in zip(part, matrix, strict=True):
                found[text] = np.asarray(row, dtype=np.float32)
                self._db.execute(
                    "INSERT OR REPLACE INTO v VALUES (?, ?)", (keys[text], found[text].tobytes())
                )
            self._db.commit()
            if len(todo) > batch:
                print(f"  embedded {min(start + batch, len(todo))} / {len(todo)}", flush=True)
        return found


# ---------------------------------------------------------------- the soft match

MEASURES = ("cosine", "csls", "rank")
HUB_K = 10  # neighbours a word's hubness is averaged over (CSLS)


class Space:
    """The collection's words in the encoder's space: what a concept is compared against.

    cosine: the plain cosine of the concept and a sentence word. csls: the cosine corrected
    for hubness (2 cos - r(concept) - r(word), r the mean cosine to the HUB_K nearest
    collection words; e5 puts some words near everything). rank: a word matches when it is
    among the concept's nearest collection words (the score is minus its rank)."""

    def __init__(self, vectors: Vectors, words: Sequence[str], as_query: bool) -> None:
        self.words = list(dict.fromkeys(words))
        self._vectors, self._as_query = vectors, as_query
        found = vectors.get(self.words, as_query)
        self.matrix = np.stack([found[w] for w in self.words])
        self.row = {w: i for i, w in enumerate(self.words)}
        sims = self.matrix @ self.matrix.T
        np.fill_diagonal(sims, -1.0)
        self.hub = np.sort(sims, axis=1)[:, -HUB_K:].mean(axis=1)

    def vectors(self, texts: Sequence[str]) -> dict[str, Vector]:
        return self._vectors.get(texts, self._as_query)

    def hub_of(self, v: Vector) -> float:
        return float(np.sort(self.matrix @ v)[-HUB_K:].mean())

    def scores(self, concept: Vector, measure: str) -> npt.NDArray[np.float64]:
        """The concept's score with every collection word (the concept itself excluded)."""
        cos = (self.matrix @ concept).astype(np.float64)
        if measure == "cosine":
            return cos
        if measure == "csls":
            return 2 * cos - self.hub_of(concept) - self.hub
        order = np.argsort(-cos)
        ranks = np.empty(len(cos))
        ranks[order] = np.arange(1, len(cos) + 1)
        return -ranks


def content_words(text: str) -> list[str]:
    """A sentence's words as written, without function words, numbers and one-letter bits."""
    out = []
    for t in word_tokens(text, keep_case=True):
        f = fold(t)
        if len(f) >= 3 and f not in STOPWORDS and not f[0].isdigit():
            out.append(t)
    return list(dict.fromkeys(out))


def question_word(question: str, concept: Concept) -> str:
    """The concept as typed in the question (the concept keeps its folded form only)."""
    for t in word_tokens(question, keep_case=True):
        if fold(t) == concept.word:
            return t
    return concept.word


Found = dict[str, dict[str, tuple[float, str]]]  # concept stem -> sentence -> (score, word)


class Soft:
    """A concept found by meaning, strength `s`, in a sentence whose best word scores >= tau.

    `every=False`: only the concepts no retrieved sentence has by any lexical match (the
    question's words the passages do not use); True: any concept, in each sentence that does not
    have it lexically."""

    def __init__(self, found: Found, tau: float, s: float, every: bool = False) -> None:
        self._hits = {
            stem: frozenset(t for t, (b, _) in per.items() if b >= tau)
            for stem, per in found.items()
        }
        self._s, self._every = s, every
        # what decides the reading: where each concept is found, how strongly, for which concepts
        self.key = (s, every, tuple(sorted((c, tuple(sorted(h))) for c, h in self._hits.items())))

    def apply(
        self,
        concepts: Sequence[Concept],
        strengths: dict[str, list[tuple[float, float]]],
        texts: Sequence[str],
    ) -> None:
        for c in concepts:
            hits = self._hits.get(c.stem)
            if not hits or (not self._every and any(map(max, strengths[c.stem]))):
                continue
            strengths[c.stem] = [
                (self._s, ctx) if own == 0 and text in hits else (own, ctx)
                for (own, ctx), text in zip(strengths[c.stem], texts, strict=True)
            ]


# The reader has no seam for this (nothing of it ships, docs/skills.md says why): the bench
# wraps the reader's weighting step, which receives the concepts' strengths per sentence right
# after they are computed, and adds the soft matches there.
_CURRENT: list[tuple[Soft | None, list[str], list[tuple[Concept, bool]]]] = []
_lexical_weights = answers._weights


def _weights_with_meaning(
    concepts: Sequence[Concept], strengths: dict[str, list[tuple[float, float]]], n: int
) -> dict[str, float]:
    if _CURRENT:
        soft, texts, seen = _CURRENT[-1]
        seen.extend((c, any(map(max, strengths[c.stem]))) for c in concepts)
        if soft is not None:
            soft.apply(concepts, strengths, texts)
    return _lexical_weights(concepts, strengths, n)


answers._weights = _weights_with_meaning


def reading(
    case: Case, passages: list[Passage], soft: Soft | None
) -> tuple[Reading, list[tuple[Concept, bool]]]:
    """The reader's reading with `soft` applied; and each concept, whether found lexically."""
    seen: list[tuple[Concept, bool]] = []
    _CURRENT.append((soft, [s.text for s in sentences_of(passages)], seen))
    try:
        return read(case.question, passages, about=case.about, model=None), seen
    finally:
        _CURRENT.pop()


def question_concepts(case: Case) -> tuple[list[Concept], list[Concept], list[Sentence]]:
    """Every concept of the question, those no retrieved sentence has, and the sentences."""
    _, seen = reading(case, case.passages, None)
    return [c for c, _ in seen], [c for c, found in seen if not found], sentences_of(case.passages)


def same_kind(concept: Concept, word: str) -> bool:
    """A noun is compared with capitalised words, a verb or adjective with lower-case ones."""
    return word[:1].isupper() == concept.noun


def nearest(
    cases: list[Case], space: Space, measure: str, *, kinds: bool = False, every: bool = False
) -> list[Found]:
    """Per case: for each concept no sentence has (`every`: each concept), its best score with a
    word of each sentence, and that word; `kinds`: nouns with nouns only (`same_kind`)."""
    wanted = []
    for case in cases:
        all_concepts, missing, sentences = question_concepts(case)
        wanted.append((case, all_concepts if every else missing, sentences))
    cv = space.vectors([question_word(case.question, c) for case, cs, _ in wanted for c in cs])
    out = []
    for case, concepts, sentences in wanted:
        best: Found = {}
        for c in concepts:
            scores = space.scores(cv[question_word(case.question, c)], measure)
            best[c.stem] = {
                s.text: max(
                    (
                        (float(scores[space.row[w]]), w)
                        for w in content_words(s.text)
                        if not kinds or same_kind(c, w)
                    ),
                    default=(-1e9, ""),
                )
                for s in sentences
            }
        out.append(best)
    return out


def windows(tokens: list[str], width: int = 2) -> dict[int, str]:
    """Each content word with `width` words either side, as it stands in the text."""
    out = {}
    for i, t in enumerate(tokens):
        f = fold(t)
        if len(f) >= 3 and f not in STOPWORDS and not f[0].isdigit():
            out[i] = " ".join(tokens[max(0, i - width) : i + width + 1])
    return out


def nearest_phrases(cases: list[Case], vectors: Vectors) -> list[Found]:
    """As `nearest` with the plain cosine, but the concept and each sentence word with their
    neighbour words ("mein Chef sehen" ~ "die Vorgesetzte kann")."""
    wanted = [(case, *question_concepts(case)[1:]) for case in cases]
    concept_text: dict[tuple[int, str], str] = {}
    sentence_texts: dict[str, list[str]] = {}
    for n, (case, concepts, sentences) in enumerate(wanted):
        tokens = [m.group(0) for m in _TOKEN.finditer(case.question)]
        around = windows(tokens)
        for c in concepts:
            at = [i for i in around if fold(tokens[i]) == c.word]
            concept_text[n, c.stem] = around[at[0]] if at else c.word
        if concepts:
            for st in sentences:
                if st.text not in sentence_texts:
                    words = [m.group(0) for m in _TOKEN.finditer(st.text)]
                    sentence_texts[st.text] = list(windows(words).values())
    cv = vectors.get(list(concept_text.values()), True)
    wv = vectors.get([w for ws in sentence_texts.values() for w in ws], True)
    out = []
    for n, (_, concepts, sentences) in enumerate(wanted):
        best: Found = {}
        for c in concepts:
            q = cv[concept_text[n, c.stem]]
            best[c.stem] = {
                st.text: max(
                    ((float(np.dot(q, wv[w])), w) for w in sentence_texts[st.text]),
                    default=(-1e9, ""),
                )
                for st in sentences
            }
        out.append(best)
    return out


_TOKEN = re.compile(r"[\wÄÖÜäöüß][\wÄÖÜäöüß-]*")


# ---------------------------------------------------------------- the gate and the answer


_OUTCOMES: dict[tuple[str, object], tuple[bool, bool]] = {}


def outcome(case: Case, soft: Soft | None) -> tuple[bool, bool]:
    """(the answer holds the fact, refused), as the gate and the extractive answer decide."""
    key = (f"{case.document}|{case.id}|{case.wording}", soft.key if soft is not None else None)
    if key not in _OUTCOMES:
        _OUTCOMES[key] = _outcome(case, soft)
    return _OUTCOMES[key]


def _outcome(case: Case, soft: Soft | None) -> tuple[bool, bool]:
    gate, _ = reading(case, case.passages, soft)
    answering = gate.passages()
    if not answering:
        return False, True
    order = answering + [i for i in range(len(case.passages)) if i not in answering]
    again = [case.passages[i] for i in order]
    chosen = chosen_sentences(reading(case, again, soft)[0], limit=MAX_ANSWER_SENTENCES)
    text = " ".join(s.text for s in chosen)
    return bool(case.facts) and has_fact(text, case.facts), not chosen


def shares(cases: list[Case], results: list[tuple[bool, bool]]) -> tuple[float, float]:
    fact = [f for c, (f, _) in zip(cases, results, strict=True) if c.facts]
    refused = [r for c, (_, r) in zip(cases, results, strict=True) if not c.facts]
    return statistics.mean(fact), statistics.mean(refused)


def by_wording(cases: list[Case], results: list[tuple[bool, bool]]) -> str:
    parts = []
    for wording in ("document", "everyday", "typo"):
        mine = [
            f for c, (f, _) in zip(cases, results, strict=True) if c.facts and c.wording == wording
        ]
        parts.append(f"{statistics.mean(mine):.2f}")
    return " / ".join(parts)


def gain(cases: list[Case], base: list[tuple[bool, bool]], new: list[tuple[bool, bool]]) -> float:
    facts = sum(n[0] - b[0] for c, b, n in zip(cases, base, new, strict=True) if c.facts)
    lost = sum(b[1] - n[1] for c, b, n in zip(cases, base, new, strict=True) if not c.facts)
    return facts - COST * lost


# ---------------------------------------------------------------- calibration


def calibration(vectors: Vectors, corpus: list[str]) -> None:
    """How the word scores tell the vocabulary's pairs (everyday word -> administrative word)
    from random pairs of its words: AUC per prefix and measure, and how often the
    administrative word is among the everyday word's nearest words of the collection."""
    vocab = vocabulary()
    pairs = [(k, t) for k, terms in vocab.written.items() for t in terms if " " not in k + t]
    rng = random.Random(13)
    terms = sorted({t for _, t in pairs})
    known = set(pairs)
    negatives = [(k, t) for k, _ in pairs if (k, t := rng.choice(terms)) not in known]
    print(f"\n(1) calibration: {len(pairs)} vocabulary pairs, {len(negatives)} random pairs")
    for as_query in (True, False):
        space = Space(vectors, corpus + terms, as_query)
        kv = space.vectors([k for k, _ in pairs])
        for measure in MEASURES:
            scores = {k: space.scores(kv[k], measure) for k, _ in pairs}
            pos = np.array([scores[k][space.row[t]] for k, t in pairs])
            neg = np.array([scores[k][space.row[t]] for k, t in negatives])
            auc = float(np.mean(pos[:, None] > neg[None, :]))
            ranks = [int((scores[k] > scores[k][space.row[t]]).sum()) + 1 for k, t in pairs]
            print(
                f"  {'query' if as_query else 'passage':7} {measure:6} AUC {auc:.3f}; the "
                f"administrative word first {np.mean([r == 1 for r in ranks]):.2f}, in the "
                f"first 5 {np.mean([r <= 5 for r in ranks]):.2f}, 20 "
                f"{np.mean([r <= 20 for r in ranks]):.2f} of {len(space.words)} words"
            )


# ---------------------------------------------------------------- main

GRID: dict[str, list[float]] = {
    "cosine": [0.84, 0.86, 0.88, 0.90, 0.92],
    "csls": [0.0, 0.02, 0.04, 0.06, 0.08, 0.10, 0.12],
    "rank": [-1, -2, -3, -5, -10],
    "phrase": [0.86, 0.88, 0.90, 0.92, 0.94],
}
EVERY_GRID: dict[str, list[float]] = {"csls+every": [0.04, 0.08, 0.12], "rank+every": [-1, -3]}
STRENGTHS = [0.6, 0.75, 0.8, 1.0]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cached", action="store_true", help=f"reuse the retrieval in {CASES}")
    parser.add_argument("--passage", action="store_true", help='words as "passage: "')
    parser.add_argument("--no-calibration", action="store_true")
    parser.add_argument(
        "--every", action="store_true", help="also match any concept absent from a sentence"
    )
    parser.add_argument("--show", help="variant:tau:s -- print the wordings it changes")
    parser.add_argument("--split", default="dev", choices=("dev", "test"))
    parser.add_argument("--chosen", default="", help="test only: variant:tau:s chosen on dev")
    args = parser.parse_args()
    if args.split == "test" and not args.chosen:
        parser.error("the test split is asked once, with --chosen from the dev run")
    cached = CASES.with_suffix(f".{args.split}.pkl")
    if args.cached and cached.exists():
        cases = pickle.loads(cached.read_bytes())
    else:
        cases = asyncio.run(collect(args.split))
        cached.write_bytes(pickle.dumps(cases))
    vectors = Vectors(VECTORS)
    corpus = sorted(
        {
            w
            for c in rules_chunks()
            for t in (c.text, c.heading or "", c.title)
            for w in content_words(t)
        }
    )
    if not args.no_calibration:
        calibration(vectors, corpus)

    base = [outcome(c, None) for c in cases]
    skill = [(c.skill_fact, c.skill_refused) for c in cases]
    agree = statistics.mean(a == b for a, b in zip(base, skill, strict=True))
    f0, r0 = shares(cases, base)
    fs, rs = shares(cases, skill)
    print(
        f"\n(2) {args.split}: {sum(bool(c.facts) for c in cases)} answerable, "
        f"{sum(not c.facts for c in cases)} unanswerable wordings"
    )
    print(f"  the skill: fact {fs:.3f} ({by_wording(cases, skill)}) / refused {rs:.3f}")
    print(
        f"  simulated (gate + extract, no soft match): fact {f0:.3f} "
        f"({by_wording(cases, base)}) / refused {r0:.3f}; agrees with the skill on {agree:.3f}"
    )
    space = Space(vectors, corpus, not args.passage)
    n_missing = sum(len(question_concepts(c)[1]) for c in cases)
    print(f"  concepts no retrieved sentence has: {n_missing}; {len(corpus)} collection words")

    if args.split == "test":
        # once, with the variant, threshold and strength chosen on the whole dev split
        variant, tau, s = args.chosen.split(":")
        measure = variant.split("+")[0]
        found = nearest(cases, space, measure, kinds="+kinds" in variant, every="+every" in variant)
        res = [
            outcome(c, Soft(n, float(tau), float(s), "+every" in variant)) if n else b
            for c, n, b in zip(cases, found, base, strict=True)
        ]
        f, r = shares(cases, res)
        print(
            f"  test, {args.chosen}: fact {f:.3f} ({by_wording(cases, res)}) / refused {r:.3f}"
            f"  (base {f0:.3f} / {r0:.3f}), net {gain(cases, base, res):+.0f}"
        )
        return 0
    near = {m: nearest(cases, space, m) for m in MEASURES}
    near["csls+kinds"] = nearest(cases, space, "csls", kinds=True)
    near["phrase"] = nearest_phrases(cases, vectors)
    if args.every:
        near |= {f"{m}+every": nearest(cases, space, m, every=True) for m in ("csls", "rank")}
    results: dict[tuple[str, float, float], list[tuple[bool, bool]]] = {}
    for variant, found in near.items():
        every = "+every" in variant  # slow (every wording is read again): a smaller grid
        for tau in EVERY_GRID[variant] if every else GRID[variant.split("+")[0]]:
            for s in STRENGTHS[:2] if every else STRENGTHS:
                results[variant, tau, s] = [
                    outcome(c, Soft(n, tau, s, "+every" in variant)) if n else b
                    for c, n, b in zip(cases, found, base, strict=True)
                ]
    print("  in-sample, fact (document / everyday / typo) / refused, net = facts - 7 x refusals:")
    for (variant, tau, s), res in results.items():
        f, r = shares(cases, res)
        print(
            f"    {variant:12} tau {tau:5.2f} s {s:.2f}: {f:.3f} ({by_wording(cases, res)}) / "
            f"{r:.3f}   net {gain(cases, base, res):+.0f}"
        )
    for choice in (*near, None):
        pooled = list(base)
        for doc in sorted({c.document for c in cases}):
            inside = [i for i, c in enumerate(cases) if c.document != doc]
            sub = [cases[i] for i in inside]
            best, best_gain = None, 0.0
            for key, res in results.items():
                if choice is not None and key[0] != choice:
                    continue
                g = gain(sub, [base[i] for i in inside], [res[i] for i in inside])
                if g > best_gain:
                    best, best_gain = key, g
            print(f"  {choice or 'any'}: without {doc}: chosen {best} (net {best_gain:+.0f})")
            if best is not None:
                for i, c in enumerate(cases):
                    if c.document == doc:
                        pooled[i] = results[best][i]
        f, r = shares(cases, pooled)
        print(
            f"  {choice or 'any variant'}: leave one document out, pooled: fact {f:.3f} "
            f"({by_wording(cases, pooled)}) / refused {r:.3f}  (base {f0:.3f} / {r0:.3f}), "
            f"net {gain(cases, base, pooled):+.0f}"
        )
    if args.show:
        variant, tau, s = args.show.split(":")
        show(cases, base, near[variant], float(tau), float(s), "+every" in variant)
    return 0


def show(
    cases: list[Case],
    base: list[tuple[bool, bool]],
    near: list[Found],
    tau: float,
    s: float,
    every: bool,
) -> None:
    """The wordings one setting changes, with the words it matched (dev only)."""
    print(f"\n  what tau {tau} s {s} changes (concept -> the matched words):")
    for c, n, b in zip(cases, near, base, strict=True):
        if not n:
            continue
        new = outcome(c, Soft(n, tau, s, every))
        if new == b:
            continue
        if c.facts:
            what = {1: "fact gained", -1: "fact lost"}.get(new[0] - b[0], "answered, no fact")
        else:
            what = "unanswerable refused" if new[1] else "unanswerable answered"
        pairs = sorted(
            {f"{stem}->{w}" for stem, per in n.items() for v, w in per.values() if v >= tau}
        )
        print(f"    {what:22} {c.wording:8} {c.question}  [{', '.join(pairs[:6])}]")


if __name__ == "__main__":
    sys.exit(main())
