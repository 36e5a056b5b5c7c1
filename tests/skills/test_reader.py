"""The question reader (skills/reader.py): the kind of answer a question asks for, and which
sentence carries it, matched through stems, compound heads, separable verbs, participles,
typos and the everyday-words vocabulary. One reader serves the gate and the extractive answer."""

from __future__ import annotations

from pathlib import Path

import pytest

from skills import policy_qa
from skills.generator.extractive import ExtractiveGenerator
from skills.reader import concepts_of, match_strength, read, read_question, sentence_stems
from skills.types import SkillRequest
from tests.skills.helpers import passage, sample_context


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("Wie lange gilt der KI-Pass?", "duration"),
        ("Mit welcher Frist kann gekündigt werden?", "duration"),
        ("Bis wann müssen Anträge eingehen?", "date"),
        ("Ab wann darf ich KI nutzen?", "date"),
        ("Wie oft wird die Schulung angeboten?", "frequency"),
        ("Wie viele Plusstunden sind erlaubt?", "amount"),
        ("Was kostet die Schulung?", "cost"),
        ("Wie viel kostet die Schulung?", "cost"),
        ("Wer muss zustimmen?", "who"),
        ("Wem melde ich einen Vorfall?", "who"),
        ("Wo wird das Verzeichnis veröffentlicht?", "where"),
        ("Wie heißt die Datenschutzbeauftragte?", "name"),
        ("Welche Schritte führen zum KI-Pass?", "list"),
        ("Darf ich ChatGPT nutzen?", "rule"),
        ("Muss ich KI-Texte kennzeichnen?", "rule"),
    ],
)
def test_the_kind_of_answer_a_question_asks_for(question: str, kind: str) -> None:
    assert read_question(question).kind == kind


RULES = [
    passage(
        1,
        "Beschäftigte dürfen KI-Anwendungen erst nutzen, wenn sie einen gültigen KI-Pass "
        "besitzen. Der KI-Pass ist zwei Jahre gültig. Die Schulung findet monatlich statt.",
    )
]


async def test_a_duration_question_is_answered_with_the_duration() -> None:
    # The sentence with the most shared words ("… einen gültigen KI-Pass besitzen") is no
    # answer to "wie lange".
    result = await ExtractiveGenerator().answer("Wie lange gilt der KI-Pass?", RULES)
    assert "zwei Jahre gültig" in result.text and "besitzen" not in result.text


async def test_a_question_whose_kind_of_answer_is_missing_is_not_answerable() -> None:
    assert not read("Was kostet der KI-Pass?", RULES).answerable
    assert not read("Wer stellt den KI-Pass aus?", RULES).answerable
    assert read("Wie oft findet die Schulung statt?", RULES).answerable


async def test_a_rule_is_quoted_with_the_exception_that_follows_it() -> None:
    text = (
        "Eine Dienstreise im Inland ist zwei Wochen vorher zu beantragen. "
        "Ausnahme: Bei dringenden dienstlichen Gründen kann sie auch am Vortag genehmigt werden."
    )
    result = await ExtractiveGenerator().answer(
        "Wie lange vorher muss eine Dienstreise beantragt werden?", [passage(1, text)]
    )
    assert "zwei Wochen vorher" in result.text and "am Vortag" in result.text


async def test_a_table_row_answers_with_its_column_names() -> None:
    table = (
        "| Antrag | Frist | Entscheidet |\n| --- | --- | --- |\n"
        "| Sonderurlaub | drei Wochen vorher | der Personalservice |\n"
        "| Dienstreise ins Ausland | sechs Wochen vorher | die Bürgermeisterin |\n"
    )
    result = await ExtractiveGenerator().answer(
        "Wer entscheidet über eine Dienstreise ins Ausland?", [passage(1, table)]
    )
    assert "Entscheidet: die Bürgermeisterin" in result.text


@pytest.mark.parametrize(
    ("question_word", "sentence"),
    [
        ("Ausschuss", "Der Bauausschuss berät die Vorlage."),  # compound head
        ("Fraktionsanträge", "Anträge der Fraktionen gehen beim Büro ein."),  # question compound
        ("eingereicht", "Beamtinnen reichen die Bescheinigung selbst ein."),  # separable verb
        ("abgeschlossen", "Die Amtsleitung schließt die Vereinbarung schriftlich ab."),
        ("freigeschaltet", "Die Freischaltung erfolgt in zwei Tagen."),  # participle ~ noun
        ("Zustimung", "Der Personalrat erteilt seine Zustimmung."),  # a typo
        ("Pas", "Der KI-Pass ist zwei Jahre gültig."),  # a doubled letter typed once
        ("Handy", "Dienstliche Mobiltelefone erhalten Beschäftigte im Außendienst."),
        ("Krankmeldung", "Wer arbeitsunfähig erkrankt ist, meldet dies am ersten Tag."),
        ("ChatGPT", "Daten dürfen nicht in externe KI-Anwendungen eingegeben werden."),
        ("Azubis", "Das gilt auch für Auszubildende."),
        ("gefälschte", "Fälschungen werden im Internet angeboten."),  # a verb and its noun
        ("prüft", "Die Prüfung übernimmt die Informationssicherheit."),
    ],
)
def test_question_words_meet_the_documents_words(question_word: str, sentence: str) -> None:
    (concept,) = [c for c in concepts_of(f"Frage zu {question_word}") if c.word != "frage"]
    assert match_strength(concept, sentence_stems(sentence)) >= 0.6


def test_unrelated_words_do_not_match() -> None:
    (concept,) = concepts_of("Kantine")
    assert match_strength(concept, sentence_stems("Die Kernzeit beginnt um 9 Uhr.")) == 0.0
    (concept,) = concepts_of("Nachtarbeit")
    assert match_strength(concept, sentence_stems("Die Arbeitszeit ist geregelt.")) == 0.0


async def test_the_issues_examples_on_the_sample_policies(tmp_path: Path) -> None:
    async with sample_context(tmp_path) as ctx:
        duration = await policy_qa.run(
            SkillRequest(text="Wie lange gilt der KI-Pass?", command="frage"), ctx
        )
        help_card = await policy_qa.run(
            SkillRequest(text="Darf ich ChatGPT für Bürgeranfragen nutzen?", command="frage"), ctx
        )
    assert "zwei Jahre gültig" in duration.data["answer"]
    assert help_card.grounded and "Personenbezogene Daten dürfen nicht" in help_card.data["answer"]


def test_a_place_is_an_answer_to_where_and_a_time_is_not() -> None:
    place = [passage(1, "Die Schulung findet im Lernportal statt. Sie dauert einen Tag.")]
    assert read("Wo findet die Schulung statt?", place).answerable
    town = [passage(1, "Hospizzentren bestehen bereits in Ettlingen und Bruchsal.")]
    assert read("Wo gibt es schon Hospizzentren?", town).answerable
    time = [passage(1, "Die Schulung findet während der Arbeitszeit statt.")]
    assert not read("Wo findet die Schulung statt?", time).answerable
