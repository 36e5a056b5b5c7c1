"""Answerability from several signals: may a question the reader's rules refuse still be answered?

The reader's rules (`answers.py`) accept a sentence at a coverage bar; everyday wordings share
too few words with the sentence that answers them and are refused although the passage
answers. A single bar cannot tell them from on-topic questions the rules do not answer
(docs/skills.md: no coverage bar, no similarity threshold separated them held out). This
module weighs several signals of the best *candidate* sentence — the one the reader scores
best among those that carry the asked kind of answer, without the bar — in a small logistic
model:

- `coverage`: the candidate's coverage of the question's weighted concepts;
- `focus`: how strongly the question's key noun stands in the candidate or its heading;
- `focus_anywhere`: ... in any retrieved sentence (0: the key noun stands nowhere);
- `ranked`: the candidate stands in the passage retrieval ranked first for the whole question
  (keywords fused with e5 vectors);
- `missing`: the share of the question's concept weight that no retrieved sentence has (the
  retrieval probes every word alone, so this is about the share unknown to the collection);
- `typed`: the candidate carries the asked kind of answer;
- `topic`: the candidate speaks of one of the question's topic nouns.

The coefficients and the threshold are data (`answerable.json`), fitted on the dev split of
bench/questions/rules.yaml by `bench/answerability.py` (logistic regression in numpy,
evaluated leave-one-document-out, threshold chosen for refused >= 0.95, or the rules' own
refusal where that is lower). **No model is shipped**: held out, none beat the rules alone
(docs/skills.md, "Answerability from several signals"), so the bench writes the file only when
one does, and without it the rules alone decide. The model only *adds* answers: what the rules
accept stays accepted, and the gate and the extractive answer (both read through `read`) still
agree — the candidate and its signals do not depend on the passages' order. With an
OpenAI-compatible model, a rescued candidate's passage is among those the model is given.
"""

from __future__ import annotations

import json
import logging
import math
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path

MODEL_FILE = Path(__file__).with_name("answerable.json")
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Signals:
    """What the model weighs for one question (each 0..1)."""

    coverage: float = 0.0
    focus: float = 0.0
    focus_anywhere: float = 0.0
    ranked: float = 0.0
    missing: float = 0.0
    typed: float = 0.0
    topic: float = 0.0

    def vector(self) -> list[float]:
        return [float(v) for v in asdict(self).values()]


FEATURES = tuple(Signals.__dataclass_fields__)


@dataclass(frozen=True)
class Model:
    weights: tuple[float, ...]
    bias: float
    threshold: float  # answer when the probability is at least this

    def probability(self, signals: Signals) -> float:
        z = self.bias + sum(w * x for w, x in zip(self.weights, signals.vector(), strict=True))
        return 1.0 / (1.0 + math.exp(-z))

    def accepts(self, signals: Signals) -> bool:
        return self.probability(signals) >= self.threshold


@lru_cache(maxsize=1)
def fitted() -> Model | None:
    """The fitted model, or None when there is none or it does not fit these signals (then the
    rules alone decide, which refuse more: the safe side)."""
    if not MODEL_FILE.exists():
        return None
    try:
        data = json.loads(MODEL_FILE.read_text(encoding="utf-8"))
        if tuple(data["features"]) != FEATURES:
            raise ValueError(f"fitted for other signals: {data['features']}")
        weights = tuple(float(w) for w in data["weights"])
        if len(weights) != len(FEATURES):
            raise ValueError(f"{len(weights)} weights for {len(FEATURES)} signals")
        return Model(weights, float(data["bias"]), float(data["threshold"]))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        log.error("answerability model %s unusable, the rules alone decide: %s", MODEL_FILE, exc)
        return None
