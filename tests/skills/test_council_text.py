"""Council papers are read without their PDF furniture (skills/council_text.py), over real
Karlsruhe papers: a form's checkbox block no longer glues onto the sentence below it, and a
protocol's result line is a sentence the reader can quote."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from skills import allris_search
from skills.council_text import readable
from skills.generator.base import Passage
from skills.german import split_sentences
from skills.reader.sentences import sentences_of
from skills.types import SkillOptions, SkillRequest
from tests.skills.helpers import sample_context
from tests.skills.karlsruhe import PAPERS, paper_chunks

# 2024/0930, Beschlussvorlage "Zweckverband für die Wasserversorgung des Hügellandes zwischen
# Alb und Pfinz" (vo/50858): its "Erläuterungen" start right below the form's checkboxes.
WATER = 50858


def test_the_form_block_is_dropped_and_the_prose_below_it_is_a_sentence_again() -> None:
    form = next(c for c in paper_chunks(WATER) if "CO 2 -Relevanz" in c.text)
    sentences = split_sentences(readable(form.text))
    assert not any("[x]" in s or "[ ]" in s for s in sentences)
    assert any(
        s.startswith("Die Stadt Karlsruhe ist Mitglied des Zweckverbandes") for s in sentences
    )
    # The prose is unchanged: every sentence read stands in the paper as written.
    flat = " ".join(form.text.split())
    assert all(" ".join(s.split()) in flat for s in sentences)


def test_header_fields_are_no_part_of_the_title_sentence() -> None:
    header = next(c for c in paper_chunks(WATER) if "Vorlage Nr.:" in c.text)
    sentences = split_sentences(readable(header.text))
    assert not any("Vorlage Nr." in s and "Zweckverband" in s for s in sentences)


async def test_a_question_is_answered_with_the_sentence_not_the_form(tmp_path: Path) -> None:
    question = "Für welche Karlsruher Ortschaften obliegt dem Zweckverband Alb und Pfinz die Wasserlieferung?"
    async with sample_context(tmp_path, extra=paper_chunks(WATER)) as ctx:
        result = await allris_search.run(
            SkillRequest(text=question, options=SkillOptions(mode="answer")), ctx
        )
    answer = result.as_json()["answer"]
    assert "Hohenwettersbach, Stupferich und Wettersbach" in answer
    assert "Relevanz" not in answer and "[x]" not in answer
    assert {c.doc_id for c in result.citations} == {f"{PAPERS}{WATER}"}


# 2026/0279, Beschlussvorlage "Klarstellung zur Flächendarstellung Teil-Flächennutzungsplan
# Windenergie" (vo/54436): its protocol runs the vote into the chair's next words.
WIND = 54436


def test_a_protocol_result_is_a_sentence_of_its_own_with_a_full_stop() -> None:
    protocol = next(c for c in paper_chunks(WIND) if "Abstimmungsergebnis:" in c.text)
    assert "Abstimmungsergebnis: Mehrheitliche Zustimmung (41 JA-Stimmen, 4 Nein-Stimmen) Der" in (
        " ".join(protocol.text.split())
    )
    sentences = split_sentences(readable(protocol.text))
    assert "Abstimmungsergebnis: Mehrheitliche Zustimmung (41 JA-Stimmen, 4 Nein-Stimmen)." in (
        sentences
    )
    # The reader takes it for a sentence, not for a heading it would never quote.
    read = sentences_of([Passage(n=1, chunk=replace(protocol, text=readable(protocol.text)))])
    assert any(s.text.startswith("Abstimmungsergebnis: Mehrheitliche") for s in read)


def test_results_on_their_own_lines_and_the_decision_before_them_end_as_sentences() -> None:
    text = (
        "Beschluss:\nKenntnisnahme von der Vorlage\nAbstimmungsergebnis: \nEinstimmige "
        "Zustimmung (44 Ja) \n \n \nDer Vorsitzende ruft Tagesordnungspunkt 7 zur Behandlung auf."
    )
    assert split_sentences(readable(text)) == [
        "Beschluss: Kenntnisnahme von der Vorlage.",
        "Abstimmungsergebnis: Einstimmige Zustimmung (44 Ja).",
        "Der Vorsitzende ruft Tagesordnungspunkt 7 zur Behandlung auf.",
    ]


def test_a_consultation_result_in_the_overview_is_a_sentence_one_without_result_is_not() -> None:
    overview = (
        "Beratungsfolge:\n- Integrationsausschuss 03.07.2026 (Vorberatung)\n"
        "- Gemeinderat 28.07.2026 (Entscheidung): mehrheitlich beschlossen\nDokumente: Vorlage"
    )
    sentences = split_sentences(readable(overview))
    assert "Gemeinderat 28.07.2026 (Entscheidung): mehrheitlich beschlossen." in sentences
    assert "Integrationsausschuss 03.07.2026 (Vorberatung)" in sentences  # a list line as before


def test_a_word_result_in_running_prose_is_left_as_written() -> None:
    prose = "Die Abstimmungsergebnisse des Gemeinderates stehen weiterhin im Netz."
    assert readable(prose) == prose


# 2025/0952, Informationsvorlage "Schließzeiten Schulkindbetreuung" (vo/52458): the closing
# weeks stand as bullets under "… wie folgt festzulegen:".
CLOSING = 52458


def test_bullets_under_a_lead_in_are_read_with_it_as_one_sentence() -> None:
    passage = next(c for c in paper_chunks(CLOSING) if "• Sommerferienwoche 3" in c.text)
    sentences = split_sentences(readable(passage.text))
    listed = next(s for s in sentences if "wie folgt festzulegen:" in s)
    assert listed.endswith(
        "festzulegen: Weihnachtsferienwoche 1 (die Tage vom 24.12. bis einschließlich mindestens "
        "01.01.); Sommerferienwoche 3, Sommerferienwoche 4, Sommerferienwoche 5."
    )
    # Items that are sentences themselves stay sentences.
    rules = "Folgende Zeiten sind zu beachten:\n- Täglich 9 Uhr bis 23 Uhr.\n- Ab 22 Uhr Ruhe."
    assert split_sentences(readable(rules)) == split_sentences(rules)


def test_a_budget_row_with_one_value_per_year_names_each_year() -> None:
    row = (
        "Plankonto/FiPo 225 2810-410 Aufwand (in Euro) 2024 2025 2026 2027 2028 "
        "95.000 95.000 95.000 95.000 95.000 Wählen Sie ein Element aus 2024 2025 2026 2027 2028"
    )
    sentences = split_sentences(readable(row))
    assert (
        "Aufwand (in Euro): 95.000 (2024), 95.000 (2025), 95.000 (2026), 95.000 (2027), "
        "95.000 (2028)." in sentences
    )
    negative = readable("Ertrag (in Euro)\n2024 2025 2026\n0 -100.000 -1,5\nWählen")
    assert "Ertrag (in Euro): 0 (2024), -100.000 (2025), -1,5 (2026)." in negative


def test_a_row_whose_values_cannot_be_told_apart_by_year_stays_as_extracted() -> None:
    """A motion's form lost its empty cells: two values under five years, years unknown."""
    form = (
        "Art 2024 2025 2026 2027 2028 Stellenschaffung/-reduzierung\n"
        "Erhöhung/Reduzierung Erträge, Aufwendungen Transferaufwendungen 50.000 50.000 Bitte"
    )
    assert readable(form) == form
    # Not consecutive years: a list of years, not a table head.
    assert readable("Berichte 2019 2021 2023 12 14 16 folgen") == (
        "Berichte 2019 2021 2023 12 14 16 folgen"
    )
