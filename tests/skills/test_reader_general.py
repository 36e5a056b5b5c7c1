"""General mechanisms of the reader (skills/reader/) added when a fresh dev document (an FAQ in
another style) showed what the first ones missed. Each test uses sentences of its own, not the
evaluation's documents, and failed before its mechanism."""

from __future__ import annotations

from skills.reader import concepts_of, match_strength, read, read_question, sentence_stems
from tests.skills.helpers import passage


def test_a_hyphenated_word_is_also_the_compound_written_in_one() -> None:
    (concept,) = concepts_of("Emailpostfach")
    assert (
        match_strength(concept, sentence_stems("Das E-Mail-Postfach wird täglich geleert.")) == 1.0
    )


def test_a_sentence_that_points_back_speaks_of_what_the_one_before_named() -> None:
    text = (
        "Über Härtefälle entscheidet der Beschwerdeausschuss. "
        "Ihm gehören zwei Mitglieder des Personalrats und die Amtsleitung an."
    )
    reading = read("Wer gehört dem Beschwerdeausschuss an?", [passage(1, text)])
    assert reading.answerable
    assert reading.sentences[0].text.startswith("Ihm gehören")


def test_a_sentence_that_does_not_point_back_keeps_to_its_own_words() -> None:
    text = (
        "Über Härtefälle entscheidet der Beschwerdeausschuss. "
        "Der Personalrat tagt jeden zweiten Dienstag im Monat."
    )
    assert not read("Wie oft tagt der Beschwerdeausschuss?", [passage(1, text)]).answerable


def test_how_long_without_e_asks_for_a_length_in_any_unit() -> None:
    shape = read_question("Wie lang darf eine Betreffzeile sein?")
    assert shape.kind == "measure"
    text = "Die Betreffzeile einer E-Mail hat höchstens 80 Zeichen. Sie nennt das Aktenzeichen."
    assert read("Wie lang darf eine Betreffzeile sein?", [passage(1, text)]).answerable
    # a duration is a length as well
    assert read(
        "Wie lang gilt der Ausweis?", [passage(1, "Der Ausweis gilt fünf Jahre.")]
    ).answerable
    assert not read(
        "Wie lang darf eine Betreffzeile sein?", [passage(1, "Die Betreffzeile nennt das Thema.")]
    ).answerable


def test_how_many_of_a_hyphenated_compound_counts_its_head() -> None:
    text = (
        "Jedes Amt hat mindestens zwei Brandschutz-Helferinnen. "
        "Die Brandschutz-Helferinnen des Amtes werden von 3 Trainerinnen geschult."
    )
    reading = read("Wie viele Brandschutz-Helferinnen hat ein Amt?", [passage(1, text)])
    assert reading.shape.counted is not None and reading.shape.counted.word == "helferinnen"
    # "3 Trainerinnen" counts someone else
    assert [s.text for s in reading.sentences] == [
        "Jedes Amt hat mindestens zwei Brandschutz-Helferinnen."
    ]
