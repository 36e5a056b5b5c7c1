"""Answerability from several signals (skills/reader/answerable.py): the reader's best candidate
of the asked kind when its rules refuse, what a model weighs about it, and the hook that lets a
fitted model answer with that candidate — the same in the gate and in the extractive answer."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from bot.render.text import result_text
from skills import policy_qa
from skills.generator.extractive import ExtractiveGenerator
from skills.reader import answerable, read
from skills.reader.answerable import FEATURES, Model, Signals
from skills.types import SkillRequest
from tests.skills.helpers import passage, sample_context

# An everyday wording: "Vordruck" and "checken" against the document's "Formulare" and
# "Prüfung" — the rules' coverage bar refuses it.
QUESTION = "Wie lange braucht ihr, um meinen Vordruck zu checken?"
ANSWER = "Die Prüfung dauert in der Regel zehn Arbeitstage."
PASSAGES = [
    replace(
        passage(
            1,
            "Neue Formulare prüft die Koordinierungsstelle vor der Veröffentlichung. "
            "Jeden Vordruck checken wir gern, schicken Sie ihn uns bitte rechtzeitig. " + ANSWER,
            title="Hinweisblatt barrierefreie Dokumente",
        ),
        ranked=True,
    ),
    passage(
        2,
        "Die Schulung findet viermal im Jahr statt. Sie dauert drei Stunden.",
        title="Fortbildung",
    ),
]
ALWAYS = Model(weights=(0.0,) * len(FEATURES), bias=0.0, threshold=0.5)  # p = 0.5 for any
NEVER = Model(weights=(0.0,) * len(FEATURES), bias=0.0, threshold=0.9)


def test_the_rules_refusal_keeps_the_best_candidate_of_the_asked_kind() -> None:
    reading = read(QUESTION, PASSAGES, model=None)
    assert not reading.answerable
    # "Jeden Vordruck checken wir gern …" shares more words but names no duration, and "Sie
    # dauert drei Stunden" is one in another passage: the candidate is the duration in the
    # passage retrieval ranked first.
    assert reading.candidate is not None and reading.candidate.text == ANSWER
    assert reading.signals is not None
    assert reading.signals.typed == 1.0 and reading.signals.ranked == 1.0
    assert 0.0 < reading.signals.coverage < 0.5  # below the rules' bar


def test_a_model_answers_what_the_rules_refuse_with_that_candidate() -> None:
    rescued = read(QUESTION, PASSAGES, model=ALWAYS)
    assert rescued.rescued and [s.text for s in rescued.sentences] == [ANSWER]
    assert rescued.passages() == [0]
    assert not read(QUESTION, PASSAGES, model=NEVER).answerable


def test_what_the_rules_answer_stays_answered_whatever_the_model() -> None:
    question = "Wie lange dauert die Prüfung?"
    reading = read(question, PASSAGES, model=NEVER)
    assert reading.answerable and not reading.rescued
    assert reading.sentences[0].text == ANSWER


def test_candidate_and_signals_do_not_depend_on_the_order_of_the_passages() -> None:
    # The extractive answer reads the passages again, the answering ones first: it must come
    # to the same candidate and the same decision as the gate.
    forward = read(QUESTION, PASSAGES, model=ALWAYS)
    backward = read(QUESTION, list(reversed(PASSAGES)), model=ALWAYS)
    assert forward.candidate is not None and backward.candidate is not None
    assert forward.candidate.text == backward.candidate.text
    assert forward.signals == backward.signals
    assert backward.rescued


def test_an_off_topic_question_has_no_candidate_that_speaks_of_it() -> None:
    reading = read("Gibt es ein Jobticket für Beschäftigte?", PASSAGES, model=None)
    assert not reading.answerable
    assert reading.signals is None or reading.signals.missing > 0.0  # "Jobticket" stands nowhere


def _write_model(path: Path, model: Model, features: tuple[str, ...] = FEATURES) -> None:
    data = {
        "features": list(features),
        "weights": list(model.weights),
        "bias": model.bias,
        "threshold": model.threshold,
    }
    path.write_text(json.dumps(data), encoding="utf-8")


@pytest.fixture
def model_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    path = tmp_path / "answerable.json"
    monkeypatch.setattr(answerable, "MODEL_FILE", path)
    answerable.fitted.cache_clear()
    yield path
    answerable.fitted.cache_clear()


async def test_gate_and_extractive_answer_agree_on_a_rescued_question(
    tmp_path: Path, model_file: Path
) -> None:
    _write_model(model_file, ALWAYS)
    extra = [
        replace(p.chunk, id=f"barrierefrei#{i}", doc_id="barrierefrei")
        for i, p in enumerate(PASSAGES[:1])
    ]
    async with sample_context(tmp_path, extra=extra) as ctx:
        result = await policy_qa.run(SkillRequest(text=QUESTION, command="frage"), ctx)
    assert result.grounded
    assert "zehn Arbeitstage" in result_text(result)
    assert [c.doc_id for c in result.citations] == ["barrierefrei"]


async def test_the_extractive_generator_quotes_the_candidate(model_file: Path) -> None:
    _write_model(model_file, ALWAYS)
    generated = await ExtractiveGenerator().answer(QUESTION, list(reversed(PASSAGES)))
    assert ANSWER in generated.text and generated.cited == [1]


def test_a_model_file_for_other_signals_leaves_the_decision_to_the_rules(
    model_file: Path, caplog: pytest.LogCaptureFixture
) -> None:
    _write_model(model_file, ALWAYS, features=("coverage", "cosine"))
    with caplog.at_level(logging.ERROR):
        assert answerable.fitted() is None
    assert "other signals" in caplog.text
    assert not read(QUESTION, PASSAGES).answerable


def test_a_broken_model_file_leaves_the_decision_to_the_rules(model_file: Path) -> None:
    model_file.write_text("{not json", encoding="utf-8")
    assert answerable.fitted() is None
    assert not read(QUESTION, PASSAGES).answerable


def test_signals_are_weighed_in_their_declared_order() -> None:
    model = Model(weights=(0.0, 0.0, 0.0, 4.0, 0.0, 0.0, 0.0), bias=-2.0, threshold=0.5)
    assert FEATURES[3] == "ranked"
    assert model.accepts(Signals(ranked=1.0)) and not model.accepts(Signals(ranked=0.0))
