"""Refusing what the passages do not say (skills/reader/, issue 13 item 2): a compound's
modifier, numbers that number rather than count, a question for a telephone number or an
address. Each test uses sentences of its own, not the evaluation's documents, and failed
before its mechanism."""

from __future__ import annotations

from skills.reader import concepts_of, read, read_question
from tests.skills.helpers import passage

# ---- a hyphenated compound's modifier


def test_a_sentence_about_the_head_alone_does_not_answer_a_hyphenated_compound() -> None:
    other = [passage(1, "Die Datenschutz-Schulung findet am 3. März im Rathaus statt.")]
    assert not read("Wann findet die Brandschutz-Schulung statt?", other).answerable
    same = [passage(1, "Die Brandschutz-Schulung findet am 3. März im Rathaus statt.")]
    assert read("Wann findet die Brandschutz-Schulung statt?", same).answerable


def test_the_modifier_may_stand_in_the_heading_or_as_the_start_of_a_compound() -> None:
    under_heading = [
        passage(
            1,
            "Die Schulung findet am 3. März im Rathaus statt.",
            heading="Brandschutz im Verwaltungsgebäude",
        )
    ]
    assert read("Wann findet die Brandschutz-Schulung statt?", under_heading).answerable
    written_in_one = [passage(1, "Die Brandschutzschulung findet am 3. März im Rathaus statt.")]
    reading = read("Wann findet die Brandschutz-Schulung statt?", written_in_one)
    assert [c.word for c in reading.shape.modifiers] == ["brandschutz"]
    assert reading.answerable


def test_a_compound_the_vocabulary_knows_whole_has_no_modifier_of_its_own() -> None:
    # "E-Mail" is one word (its "E" is no concept); "Dienst-Handy" is not in the vocabulary
    assert read_question("Darf ich eine E-Mail weiterleiten?").modifiers == ()
    assert [c.word for c in read_question("Wer zahlt das Dienst-Handy?").modifiers] == ["dienst"]


# ---- numbers that number, not count


def test_a_paragraph_number_counts_nobody() -> None:
    text = (
        "(1) Die Poststelle ist mit Beschäftigten der Hausverwaltung besetzt. "
        "(2) Beschäftigte, die Pakete annehmen, quittieren den Empfang."
    )
    assert not read("Wie viele Beschäftigte hat die Poststelle?", [passage(1, text)]).answerable
    counted = "In der Poststelle arbeiten vier Beschäftigte der Hausverwaltung."
    assert read("Wie viele Beschäftigte hat die Poststelle?", [passage(1, counted)]).answerable


def test_a_number_of_a_reference_counts_nobody() -> None:
    text = "Nach § 4 Mitarbeiter der Poststelle dürfen Pakete nur gegen Quittung annehmen."
    assert not read("Wie viele Mitarbeiter hat die Poststelle?", [passage(1, text)]).answerable


def test_a_duration_counts_hours_not_the_asked_people() -> None:
    text = "Bei mehr als sechs Stunden Arbeit in der Poststelle ist eine Pause einzulegen."
    assert not read("Wie viele Mitarbeiter hat die Poststelle?", [passage(1, text)]).answerable
    # ... unless hours are what is asked
    assert read("Wie viele Stunden Arbeit sind ohne Pause erlaubt?", [passage(1, text)]).answerable


# ---- a telephone number or an address


def test_a_question_for_a_number_asks_for_a_contact() -> None:
    for question in (
        "Wie lautet die Telefonnummer der Poststelle?",
        "Wie ist die Nummer vom Hausmeister?",
        "Unter welcher Durchwahl erreiche ich die Poststelle?",
        "An welche Adresse schicke ich die Reisekostenabrechnung?",
    ):
        assert read_question(question).kind == "contact", question
    # a rule about addresses, or a duration, is still what it was
    assert read_question("Darf ich Dienstmails an private Adressen weiterleiten?").kind == "rule"
    assert read_question("Wie lange werden die Nummern der Anrufer gespeichert?").kind == (
        "duration"
    )


def test_a_sentence_about_the_hotline_does_not_give_its_number() -> None:
    about = [passage(1, "Die Poststelle nimmt Pakete werktags bis 15 Uhr telefonisch an.")]
    assert not read("Wie lautet die Telefonnummer der Poststelle?", about).answerable
    for number in (
        "Die Poststelle erreichen Sie unter Telefon 0451 122-3456.",
        "Die Poststelle ist unter der Durchwahl 3456 erreichbar.",
        "Die Poststelle ist per E-Mail an poststelle@luebeck.de erreichbar.",
    ):
        reading = read("Wie lautet die Telefonnummer der Poststelle?", [passage(1, number)])
        assert reading.answerable, number


# ---- a procedure asked in the passive voice


def test_a_passive_how_question_asks_for_the_procedure_its_participle_names() -> None:
    shape = read_question("Wie wird ein Parkausweis beantragt?")
    assert shape.kind == "how"
    assert shape.predicate is not None and shape.predicate.word == "beantragt"
    rule = [
        passage(
            1,
            "Der Parkausweis gilt ein Jahr und ist gut sichtbar hinter die Windschutzscheibe zu "
            "legen. Er wird bei der Hausverwaltung mit dem Formular P1 beantragt.",
        )
    ]
    reading = read("Wie wird ein Parkausweis beantragt?", rule)
    assert reading.answerable
    assert "Formular P1" in reading.sentences[0].text
    # a sentence about the Parkausweis that says nothing of applying for it does not answer
    assert not read(
        "Wie wird ein Parkausweis beantragt?", [passage(1, rule[0].chunk.text.split(". ")[0] + ".")]
    ).answerable


# ---- a name or an acronym that starts with a digit or a small letter


def test_an_acronym_or_a_name_with_capitals_inside_is_a_noun() -> None:
    question = "Darf ich mein iPhone im Büro für die 2FA nutzen?"
    words = {c.word: c.noun for c in concepts_of(question)}
    assert words == {"iphone": True, "buero": True, "2fa": True, "nutzen": False}


def test_an_acronym_no_sentence_names_makes_the_question_unanswerable() -> None:
    rule = [passage(1, "Die private Nutzung des Diensttelefons ist nicht gestattet.")]
    assert read("Darf ich das private Diensttelefon nutzen?", rule).answerable
    assert not read("Darf ich das private Diensttelefon für die 2FA nutzen?", rule).answerable
