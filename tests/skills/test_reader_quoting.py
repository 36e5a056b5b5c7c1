"""What the extractive answer quotes (skills/reader/selection.py) and the kinds of question
added for it (skills/reader/kinds.py): reasons, procedures, times of day, consequences, yes/no
questions about a specific thing, and the coherent unit around the answering sentence. Each
test uses sentences of its own, not the evaluation's documents."""

from __future__ import annotations

from skills.generator.extractive import ExtractiveGenerator
from skills.reader import chosen_sentences, read, read_question
from skills.reader.selection import UNIT_CHARS, UNIT_SENTENCES
from skills.reader.sentences import CONTINUES
from tests.skills.helpers import passage


async def _answer(question: str, *passages_text: str, heading: str | None = None) -> str:
    passages = [passage(n, text, heading=heading) for n, text in enumerate(passages_text, 1)]
    return (await ExtractiveGenerator().answer(question, passages)).text


def test_a_room_number_is_no_date() -> None:
    shape = read_question("Wann tagt der Beirat?")
    assert shape.answer is not None
    assert shape.answer.search("Die nächste Sitzung ist am 12.03. um 16 Uhr.")
    assert not shape.answer.search("Der Beirat tagt im Bürgerhaus, Raum 3.14.")


async def test_when_to_call_asks_for_a_time_of_day_not_for_a_room_or_a_deadline() -> None:
    assert read_question("Wann kann ich die Kfz-Stelle anrufen?").kind == "time"
    assert read_question("Welche Öffnungszeiten hat das Bürgerbüro?").kind == "time"
    # "Antwort auf" is no opening hour: a plain date question stays one.
    assert read_question("Wann erhalte ich eine Antwort auf meinen Antrag?").kind == "date"
    text = (
        "Die Kfz-Stelle sitzt im Bürgerhaus, Raum 1.12. "
        "Anträge der Kfz-Stelle werden innerhalb von zwei Wochen bearbeitet. "
        "Die Kfz-Stelle ist telefonisch montags bis freitags von 8 Uhr bis 12 Uhr erreichbar."
    )
    answer = await _answer("Wann kann ich die Kfz-Stelle anrufen?", text)
    assert "von 8 Uhr bis 12 Uhr" in answer
    assert "Raum 1.12" not in answer and "zwei Wochen" not in answer


async def test_why_is_answered_by_the_obligation_and_the_purpose_that_goes_on_from_it() -> None:
    assert read_question("Warum müssen Akten vollständig geführt werden?").kind == "reason"
    assert read_question("Wozu dient die Aktenordnung?").kind == "purpose"
    text = (
        "Nach dem Landesarchivgesetz ist die Verwaltung verpflichtet, ihre Akten vollständig zu "
        "führen. Vor allem aber sollen Kolleginnen und Kollegen jeden Vorgang auch in Vertretung "
        "nachvollziehen können. Die Aktenordnung gilt seit dem 1. März 2020."
    )
    answer = await _answer("Warum müssen Akten vollständig geführt werden?", text)
    assert "Landesarchivgesetz" in answer
    assert "in Vertretung" in answer  # the sentence that goes on from it, with a purpose
    assert "1. März 2020" not in answer


async def test_a_procedure_is_quoted_as_its_steps() -> None:
    text = (
        "Erstellen Sie den Serienbrief in Word über „Sendungen > Seriendruck starten“. "
        "Wählen Sie dabei die Adressliste aus dem Fachverfahren als Datenquelle. "
        "Prüfen Sie die Vorschau, bevor Sie drucken. "
        "Serienbriefe holt die Poststelle jeden Freitag ab."
    )
    answer = await _answer("Wie erstelle ich einen Serienbrief?", text)
    assert "Seriendruck starten" in answer
    assert "Adressliste" in answer and "Vorschau" in answer  # the steps after the first
    assert "Freitag" not in answer


def test_a_quoted_unit_stays_within_three_sentences_and_its_length() -> None:
    steps = " ".join(
        f"{verb} Sie dabei den {n}. Abschnitt des Formulars sorgfältig und vollständig aus."
        for n, verb in enumerate(("Füllen", "Prüfen", "Ergänzen", "Lesen", "Senden"), 1)
    )
    text = "Erstellen Sie den Antrag im Serviceportal. " + steps
    reading = read("Wie erstelle ich den Antrag?", [passage(1, text)])
    chosen = chosen_sentences(reading)
    assert chosen[0].text == "Erstellen Sie den Antrag im Serviceportal."
    assert 1 < len(chosen) <= UNIT_SENTENCES
    assert sum(len(s.text) for s in chosen) <= UNIT_CHARS


async def test_an_faq_no_is_quoted_with_the_sentences_up_to_the_one_that_answers() -> None:
    text = (
        "Nein. Dienstgänge innerhalb der Stadt bis zu zwei Stunden tragen Sie nur im Kalender "
        "ein. Dienstreisen außerhalb der Stadt genehmigt vorher die Amtsleitung."
    )
    answer = await _answer(
        "Muss jede Dienstreise von der Amtsleitung genehmigt werden?",
        text,
        heading="Muss ich jede Dienstreise genehmigen lassen?",
    )
    assert "„Nein.“" in answer
    assert "bis zu zwei Stunden" in answer
    assert "genehmigt vorher die Amtsleitung" in answer


async def test_an_faq_yes_under_another_question_is_not_pulled_in() -> None:
    text = (
        "Ja, mit Übergangsfrist. Für das Intranet gilt die Pflicht ab 2027. "
        "Neue Rundschreiben sollen schon jetzt barrierefrei erstellt werden."
    )
    answer = await _answer(
        "Sollen neue Rundschreiben schon jetzt barrierefrei erstellt werden?",
        text,
        heading="Gilt die Pflicht auch für das Intranet?",
    )
    assert "Neue Rundschreiben sollen schon jetzt" in answer
    assert "Übergangsfrist" not in answer


async def test_a_yes_no_question_about_a_specific_thing_prefers_the_rule_that_names_it() -> None:
    general = "Beschäftigte dürfen KI-Anwendungen erst nutzen, wenn sie den KI-Pass erworben haben."
    specific = (
        "Ohne KI-Pass sind die Anwendungen der Stadt, auch der KI-Werkstatt Assistent, "
        "nicht freigeschaltet."
    )
    answer = await _answer("Kann ich den Assistenten ohne KI-Pass benutzen?", general, specific)
    assert "auch der KI-Werkstatt Assistent" in answer.split("\n")[1]


async def test_an_exception_is_quoted_with_the_rule_it_is_an_exception_to() -> None:
    text = (
        "Die Feuerwehr nutzt für Einsätze eigene Funkgeräte. "
        "Papierakten dürfen nach dem Scannen vernichtet werden. "
        "Ausgenommen sind notariell beglaubigte Urkunden, die im Original aufbewahrt werden."
    )
    answer = await _answer("Sind beglaubigte Urkunden ausgenommen?", text)
    assert "Ausgenommen sind notariell beglaubigte Urkunden" in answer
    assert "nach dem Scannen vernichtet" in answer
    assert "Feuerwehr" not in answer


async def test_what_happens_if_asks_for_what_follows() -> None:
    assert read_question("Was passiert, wenn ich die Frist versäume?").kind == "consequence"
    text = (
        "Die Frist für die Reisekostenabrechnung beträgt sechs Monate. "
        "Wer die Frist für die Reisekostenabrechnung versäumt, erhält keine Erstattung."
    )
    answer = await _answer("Was passiert, wenn ich die Frist für die Abrechnung versäume?", text)
    assert "erhält keine Erstattung" in answer.split("\n")[1]


async def test_a_rule_with_its_own_exception_is_not_quoted_with_the_sentence_before() -> None:
    text = (
        "Freiwillige Angaben sind im Formular als freiwillig zu kennzeichnen. "
        "Daten aus einem Verfahren dürfen nicht für ein anderes Verfahren verwendet werden, "
        "es sei denn, ein Gesetz erlaubt es."
    )
    answer = await _answer(
        "Dürfen Daten aus einem Verfahren für ein anderes verwendet werden?", text
    )
    assert "es sei denn, ein Gesetz erlaubt es" in answer
    assert "Freiwillige Angaben" not in answer


def test_only_a_pronoun_goes_on_from_the_sentence_before_not_an_article() -> None:
    assert CONTINUES.match("Das gilt auch für Formulare.")
    assert CONTINUES.match("Diese Vorschläge sind oft ungenau.")
    assert CONTINUES.match("Vor allem aber sollen alle Menschen die Texte lesen können.")
    assert not CONTINUES.match("Das Ersuchen ist an keine Form gebunden.")


async def test_a_span_of_clock_times_answers_how_long_and_from_when_to_when() -> None:
    text = (
        "Der Wochenmarkt findet auf dem Rathausplatz statt. "
        "Die Marktaufsicht teilt die Standplätze mit mindestens zwei Wochen Vorlauf zu. "
        "Der Wochenmarkt ist samstags von 7:00 Uhr bis 13:00 Uhr geöffnet."
    )
    assert read_question("Zu welchen Uhrzeiten ist der Wochenmarkt geöffnet?").kind == "time"
    assert read_question("Von wann bis wann ist der Wochenmarkt?").kind == "time"
    answer = await _answer("Von wann bis wann ist der Wochenmarkt?", text)
    assert "von 7:00 Uhr bis 13:00 Uhr" in answer
    assert "zwei Wochen" not in answer
    shape = read_question("Wie lange ist der Wochenmarkt?")
    assert shape.kind == "duration" and shape.answer is not None
    assert shape.answer.search("Der Wochenmarkt ist samstags von 7:00 Uhr bis 13:00 Uhr geöffnet.")


async def test_a_bold_run_in_heading_is_what_its_paragraph_is_about_not_part_of_a_sentence() -> (
    None
):
    text = (
        "**Regel 4 – Auskunftsersuchen.** Jede Person kann Auskunft über ihre Daten verlangen. "
        "Leiten Sie das Ersuchen noch am Tag des Eingangs an die Stabsstelle weiter."
    )
    answer = await _answer("An wen leite ich ein Auskunftsersuchen weiter?", text)
    assert "an die Stabsstelle weiter" in answer
    assert "**" not in answer and "Regel 4" not in answer
