"""The question reader (skills/reader/): the kind of answer a question asks for, and which
sentence carries it, matched through stems, compound heads, separable verbs, participles,
typos and the everyday-words vocabulary. One reader serves the gate and the extractive answer."""

from __future__ import annotations

from dataclasses import replace
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
    assert "zwei Jahre gültig" in duration.as_json()["answer"]
    assert (
        help_card.grounded
        and "Personenbezogene Daten dürfen nicht" in help_card.as_json()["answer"]
    )


def test_a_place_is_an_answer_to_where_and_a_time_is_not() -> None:
    place = [passage(1, "Die Schulung findet im Lernportal statt. Sie dauert einen Tag.")]
    assert read("Wo findet die Schulung statt?", place).answerable
    town = [passage(1, "Hospizzentren bestehen bereits in Ettlingen und Bruchsal.")]
    assert read("Wo gibt es schon Hospizzentren?", town).answerable
    time = [passage(1, "Die Schulung findet während der Arbeitszeit statt.")]
    assert not read("Wo findet die Schulung statt?", time).answerable


# ---- rules added for issue 13 (answerability); each failed on the reader before them


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        # A question that opens with its verb asks yes or no, whatever clause follows.
        ("Darf meine Vorgesetzte nachsehen, wann ich mich angemeldet habe?", "rule"),
        ("Ist festgelegt, wie oft die Gleitzeit abgerechnet wird?", "rule"),
        # … unless it only asks to be told.
        ("Können Sie mir sagen, wie lange die Frist läuft?", "duration"),
        ("Wozu dient die Zeiterfassung?", "purpose"),
        ("Was ist das Ziel der Dienstanweisung?", "purpose"),
    ],
)
def test_yes_no_and_purpose_questions(question: str, kind: str) -> None:
    assert read_question(question).kind == kind


def test_the_first_word_of_a_question_is_its_verb() -> None:
    (first, *_) = concepts_of("Verliere ich durch die Umstellung meinen Arbeitsplatz?")
    assert first.word == "verliere" and not first.noun


def test_a_separable_verb_in_the_question_meets_its_noun() -> None:
    text = "Die Freischaltung des Zugangs übernimmt der IT-Service-Desk."
    assert read("Wer schaltet den Zugang frei?", [passage(1, text)]).answerable
    # The particle is no topic of its own.
    assert "frei" not in {c.word for c in concepts_of("Wer schaltet den Zugang frei?")}


def test_who_is_asks_for_the_word_after_is() -> None:
    office = [passage(1, "Die Stadtkämmerei prüft alle Rechnungen vor der Zahlung.")]
    assert not read("Wer ist Leiterin der Stadtkämmerei?", office).answerable
    duty = [passage(1, "Die Verantwortung für die Rechnungen trägt die Stadtkämmerei.")]
    assert read("Wer ist verantwortlich für die Rechnungen?", duty).answerable
    # "Ansprechpartner", "zuständig": whoever deals with it.
    contact = [passage(1, "Fragen zur Zeiterfassung beantwortet der Personalservice.")]
    assert read("Wer ist Ansprechpartner für die Zeiterfassung?", contact).answerable


def test_a_light_verb_requires_no_verb_in_the_answer() -> None:
    text = "Die Kosten der Schulung übernimmt das Personalamt."
    assert read("Wer trägt die Kosten der Schulung?", [passage(1, text)]).answerable
    text = "Fragen zur Zeiterfassung beantwortet der Personalservice."
    assert read(
        "An wen wende ich mich mit Fragen zur Zeiterfassung?", [passage(1, text)]
    ).answerable


def test_a_compound_said_in_two_words_and_a_short_verb_stem() -> None:
    (concept,) = concepts_of("Sitzungsunterlagen")
    stems = sentence_stems("Die Unterlagen der Sitzung liegen im Büro aus.")
    assert match_strength(concept, stems) >= 0.9
    (verb,) = [c for c in concepts_of("Wer prüft das?") if c.word == "prueft"]
    assert match_strength(verb, sentence_stems("Die Amtsleitung muss das prüfen.")) >= 0.8


def test_where_is_answered_by_an_office() -> None:
    text = "Sonderurlaub beantragen Sie bei der Personalstelle."
    assert read("Wo beantrage ich Sonderurlaub?", [passage(1, text)]).answerable


def test_purpose_and_start_questions_prefer_the_sentence_that_answers_them() -> None:
    text = (
        "Die Zeiterfassung wird monatlich ausgewertet. "
        "Die Zeiterfassung soll Überstunden sichtbar machen."
    )
    best = read("Wozu dient die Zeiterfassung?", [passage(1, text)]).sentences[0]
    assert "sichtbar" in best.text
    text = (
        "Die Satzung wird nach zwei Jahren überprüft. Die Satzung tritt am 1. Januar 2027 in Kraft."
    )
    best = read("Ab wann gilt die Satzung?", [passage(1, text)]).sentences[0]
    assert "in Kraft" in best.text


@pytest.mark.parametrize(
    ("question_word", "sentence"),
    [
        ("Feierabend", "Nach dem Ende der Arbeitszeit besteht keine Pflicht zur Erreichbarkeit."),
        ("USB-Stick", "Externe Datenträger dürfen nur verschlüsselt genutzt werden."),
        ("Zuhause", "Mobiles Arbeiten ist an bis zu drei Tagen pro Woche möglich."),
        ("Dropbox", "Dienstliche Dateien dürfen nicht in Cloud-Dienste geladen werden."),
        ("Liste", "Das Verzeichnis wird im Intranet veröffentlicht."),
        ("Quatsch", "Fehlerhafte Ergebnisse sind der KI-Werkstatt zu melden."),
        ("SBV", "Die Schwerbehindertenvertretung ist zu beteiligen."),
    ],
)
def test_everyday_words_of_the_kinds_of_city_rules(question_word: str, sentence: str) -> None:
    concepts = [c for c in concepts_of(f"Frage zu {question_word}") if c.word != "frage"]
    assert max(match_strength(c, sentence_stems(sentence)) for c in concepts) >= 0.9


def test_retrievals_first_passage_needs_less_of_the_questions_words() -> None:
    # Everyday wording shares only part of its words with the rule ("abfeiern" is not in it);
    # the passage retrieval ranked first for the whole question may answer it, if the
    # sentence carries the kind of answer asked for.
    question = "Bis wann muss ich Überstunden abfeiern?"
    text = "Plusstunden auf dem Gleitzeitkonto sind bis zum Ende des Quartals auszugleichen."
    assert not read(question, [passage(1, text)]).answerable
    ranked = [replace(passage(1, text), ranked=True)]
    assert read(question, ranked).answerable
    # Not without an answer of the asked kind, and not for a far-off topic.
    untyped = [
        replace(passage(1, "Plusstunden werden auf dem Gleitzeitkonto erfasst."), ranked=True)
    ]
    assert not read(question, untyped).answerable
    other = [replace(passage(1, "Die Kantine schließt am Ende des Jahres."), ranked=True)]
    assert not read(question, other).answerable


def test_a_plural_which_question_needs_several_things() -> None:
    statement = [passage(1, "Jede zugelassene Anwendung wird in das Verzeichnis aufgenommen.")]
    assert not read("Welche Anwendungen stehen im Verzeichnis?", statement).answerable
    listing = [passage(1, "Im Verzeichnis stehen die Anwendungen DeepL, Copilot und Whisper.")]
    assert read("Welche Anwendungen stehen im Verzeichnis?", listing).answerable
    # One statement still answers a question about one thing.
    line = [passage(1, "Für den Haushalt gilt die Kompromisslinie der Koalition.")]
    assert read("Welche Kompromisslinie gilt für den Haushalt?", line).answerable


def test_how_do_i_is_answered_by_a_sentence_with_its_verb() -> None:
    assert read_question("Wie verlängere ich den Ausweis?").kind == "how"
    text = "Der Ausweis ist zwei Jahre gültig. Zur Verlängerung des Ausweises genügt ein Antrag."
    best = read("Wie verlängere ich den Ausweis?", [passage(1, text)]).sentences[0]
    assert "Verlängerung" in best.text
    validity = [passage(1, "Der Ausweis ist zwei Jahre gültig.")]
    assert not read("Wie verlängere ich den Ausweis?", validity).answerable


def test_since_when_is_answered_by_a_start_not_by_any_date() -> None:
    review = [passage(1, "Die Satzung wird nach zwei Jahren überprüft.")]
    assert not read("Ab wann gilt die Satzung?", review).answerable
    start = [passage(1, "Die Satzung tritt am Tag nach ihrer Bekanntmachung in Kraft.")]
    assert read("Ab wann gilt die Satzung?", start).answerable


def test_whom_to_turn_to_drops_the_light_verb_and_knows_every_form_of_an_entry() -> None:
    shape = read_question("An wen wende ich mich bei Problemen mit der Zeiterfassung?")
    assert [c.word for c in shape.concepts] == ["problemen", "zeiterfassung"]
    text = "Fragen zur Zeiterfassung beantwortet der Personalservice."
    question = "An wen wende ich mich bei Problemen mit der Zeiterfassung?"
    assert read(question, [passage(1, text)]).answerable


def test_an_administrative_term_does_not_match_through_its_own_compound_head() -> None:
    # "Homeoffice" stands for "Telearbeit"; "Arbeit" alone is not that ("Darf ich im
    # Homeoffice arbeiten?" was answered from "… unterstützen die Arbeit der Verwaltung").
    (concept,) = concepts_of("Homeoffice")
    assert match_strength(concept, sentence_stems("KI unterstützt die Arbeit der Verwaltung.")) == 0
    assert match_strength(concept, sentence_stems("Telearbeit ist zu beantragen.")) == 1.0


def test_an_e_mail_address_is_no_word_of_the_sentence() -> None:
    stems = sentence_stems(
        "Fragen beantwortet die KI-Werkstatt per E-Mail an ki-werkstatt@luebeck.de."
    )
    assert "lubeck" not in stems and "werkstatt" in stems
