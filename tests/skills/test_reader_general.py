"""General mechanisms of the reader (skills/reader/) added when a fresh dev document (an FAQ in
another style) showed what the first ones missed. Each test uses sentences of its own, not the
evaluation's documents, and failed before its mechanism."""

from __future__ import annotations

from skills.generator.extractive import ExtractiveGenerator
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


# ---- refusing on-topic questions the passages do not answer

PARKING = [
    passage(
        1,
        "Beschäftigte können einen Stellplatz in der Tiefgarage am Rathaus mieten. "
        "Die Miete beträgt 30 Euro im Monat. Anträge nimmt die Hausverwaltung entgegen. "
        "Die Tiefgarage ist werktags von 6 Uhr bis 20 Uhr geöffnet.",
    )
]


def test_a_key_noun_that_stands_nowhere_makes_a_question_unanswerable() -> None:
    # "Ladesäule" is in no sentence; "Tiefgarage" and "Beschäftigte" alone do not answer.
    assert not read(
        "Gibt es in der Tiefgarage eine Ladesäule für Beschäftigte?", PARKING
    ).answerable
    assert read("Gibt es in der Tiefgarage Stellplätze für Beschäftigte?", PARKING).answerable


def test_what_a_which_question_asks_an_instance_of_must_be_named() -> None:
    # "Welche Firma …?" is not answered by a sentence that names no firm.
    assert not read("Welche Firma betreibt die Tiefgarage am Rathaus?", PARKING).answerable


def test_an_answer_speaks_of_a_noun_of_the_question_not_only_of_what_is_asked() -> None:
    # "20 Uhr" is a time, but of the Tiefgarage, not of the Kantine.
    text = PARKING[0].chunk.text + " Die Kantine liegt im Erdgeschoss."
    assert not read("Bis wann ist die Kantine geöffnet?", [passage(1, text)]).answerable
    assert read("Bis wann ist die Tiefgarage geöffnet?", PARKING).answerable


def test_a_duration_answers_when_only_if_it_is_anchored() -> None:
    text = "Der Erste-Hilfe-Kurs dauert acht Stunden. Er wird jedes Frühjahr angeboten."
    assert not read("Wann ist der nächste Erste-Hilfe-Kurs?", [passage(1, text)]).answerable
    anchored = "Die Bescheinigung wird spätestens zwei Wochen nach dem Kurs verschickt."
    assert read("Wann wird die Bescheinigung verschickt?", [passage(1, anchored)]).answerable


def test_who_is_not_answered_by_the_question_restated_as_a_body() -> None:
    # "die Leitung des Bürgerbüros" restates "Wer leitet das Bürgerbüro?"; it names nobody.
    text = "Dem Arbeitskreis gehört die Leitung des Bürgerbüros an."
    assert not read("Wer leitet das Bürgerbüro?", [passage(1, text)]).answerable


def test_typos_are_matched_on_the_words_as_written() -> None:
    # "Dokumnet" stems to something else than "Dokument"; as written it is one swap away.
    text = "Ein Dokument mit Unterschrift darf nicht gescannt werden."
    assert read("Darf ich ein Dokumnet mit Unterschrift scannen?", [passage(1, text)]).answerable
    ends = "Die Arbeitsergebnisse prüft die Amtsleitung."
    assert read("Wer prüft die Ergbnisse?", [passage(1, ends)]).answerable


def test_a_truncated_compound_shares_the_head_of_the_next() -> None:
    # Ergänzungsstrich: "Kranken- und Pflegeversicherung" speaks of the Krankenversicherung.
    (concept,) = concepts_of("Krankenversicherung")
    stems = sentence_stems("Die Beiträge zur Kranken- und Pflegeversicherung trägt die Stadt.")
    assert match_strength(concept, stems) == 1.0


def test_a_compound_said_in_two_words_with_a_stemmed_modifier() -> None:
    # "Wasserverbrauch" ~ "… verbrauchen viel Wasser" (the modifier's stem is "wass").
    (concept,) = concepts_of("Wasserverbrauchs")
    stems = sentence_stems("Die Kühlanlagen verbrauchen viel Wasser.")
    assert match_strength(concept, stems) >= 0.9


def test_a_part_of_a_hyphenated_word_is_no_key_noun() -> None:
    # "KI-Anfragen": the sentence speaks of the rest; "Anfragen" standing nowhere does not
    # make the question unanswerable.
    text = "Dienstliche Daten dürfen nicht über private Geräte in KI-Anwendungen eingegeben werden."
    question = "Darf ich mein privates Gerät für dienstliche KI-Anfragen nutzen?"
    assert read(question, [passage(1, text)]).answerable


def test_why_asks_for_a_purpose_or_a_cause() -> None:
    # "reason": a purpose, a cause or the rule that obliges (tests/skills/test_reader_quoting.py)
    assert read_question("Warum gibt es eine Kernzeit?").kind == "reason"
    assert read_question("Weshalb muss ich mich abmelden?").kind == "reason"


async def test_an_faq_yes_or_no_is_quoted_with_the_sentence_that_says_why() -> None:
    text = (
        "Nein. Das Dienstfahrrad darf privat nicht genutzt werden, nur für Dienstwege. "
        "Die Fahrräder stehen im Hof des Rathauses."
    )
    question = "Darf ich das Dienstfahrrad privat nutzen?"
    answer = await ExtractiveGenerator().answer(question, [passage(1, text)])
    assert "„Nein.“" in answer.text and "nur für Dienstwege" in answer.text


def test_which_after_a_preposition_asks_for_a_list() -> None:
    assert read_question("Für welche Dokumente gilt die Pflicht?").kind == "list"
    assert read_question("In welchem Raum findet der Kurs statt?").kind == "where"


def test_who_is_the_role_asks_for_a_name() -> None:
    shape = read_question("Wer ist die Gleichstellungsbeauftragte der Stadt?")
    assert shape.kind == "name"
    text = "Die Gleichstellungsbeauftragte berät Beschäftigte in allen Fragen der Gleichstellung."
    question = "Wer ist die Gleichstellungsbeauftragte der Stadt?"
    assert not read(question, [passage(1, text)]).answerable
    named = "Gleichstellungsbeauftragte der Stadt ist Frau Jansen."
    assert read(question, [passage(1, named)]).answerable
    assert read_question("Wer ist Ansprechpartner für den Dienstausweis?").kind == "who"


def test_the_asked_act_is_not_found_in_the_name_of_a_body() -> None:
    # "Wer leitet …?" — "die Leitung des Arbeitskreises" is a member named by its role.
    text = (
        "Dem Lenkungskreis gehören die Leitung des Arbeitskreises und die Amtsleitung "
        "des Bürgeramts an."
    )
    assert not read("Wer leitet den Arbeitskreis?", [passage(1, text)]).answerable
    led = "Den Arbeitskreis leitet das Bürgeramt."
    assert read("Wer leitet den Arbeitskreis?", [passage(1, led)]).answerable


def test_she_points_back_to_the_sentence_before() -> None:
    text = (
        "Die Hausordnung wird jährlich überprüft. "
        "Sie kann mit einer Frist von drei Monaten geändert werden."
    )
    assert read(
        "Mit welcher Frist kann die Hausordnung geändert werden?", [passage(1, text)]
    ).answerable


def test_a_separable_participle_without_its_ge_matches_the_verb() -> None:
    (concept,) = [c for c in concepts_of("Wann werde ich freigeschalten?") if c.word != "wann"]
    assert match_strength(concept, sentence_stems("Die Konten werden freigeschaltet.")) >= 0.8
    (concept,) = concepts_of("Freischaltung")
    assert match_strength(concept, sentence_stems("Das Konto wird freigeschaltet.")) >= 0.8


def test_the_agent_of_a_passive_sentence_answers_who() -> None:
    text = "Jeder Bescheid wird von einer Prüfgruppe der Rechtsabteilung gegengelesen."
    assert read("Wer liest Bescheide gegen?", [passage(1, text)]).shape.kind == "who"
    reading = read("Von wem werden Bescheide gegengelesen?", [passage(1, text)])
    assert reading.answerable


def test_a_sentence_naming_the_asked_noun_continues_the_topic_of_the_one_before() -> None:
    text = (
        "Das Amt plant für 2027 einen neuen Fuhrpark mit zwanzig Elektroautos. "
        "Als Übergangslösung dienen bis dahin geleaste Kleinwagen."
    )
    reading = read("Welche Übergangslösung gilt für den Fuhrpark?", [passage(1, text)])
    assert reading.answerable
    assert reading.sentences[0].text.startswith("Als Übergangslösung")


def test_the_topic_in_the_sentence_before_does_not_answer_a_question_about_something_else() -> None:
    text = (
        "Das Amt plant für 2027 einen neuen Fuhrpark mit zwanzig Elektroautos. "
        "Als Übergangslösung dienen bis dahin geleaste Kleinwagen."
    )
    assert not read("Welche Übergangslösung gilt für die Kantine?", [passage(1, text)]).answerable
