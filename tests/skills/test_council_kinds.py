"""Council questions in note form ("Betrag X, DS …?", "Grund fürs Ausscheiden?") ask for the
kind of answer their first noun names (skills/council_kinds.py), over real Karlsruhe papers."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.render.text import result_text
from skills import allris_search
from skills.council_kinds import carries_figure, with_kind
from skills.types import SkillOptions, SkillRequest
from tests.skills.helpers import member_of, sample_context
from tests.skills.karlsruhe import PAPERS, paper_chunks

# DHH/2023/1005 "HHSM - Budget für Bürgervereine nicht kürzen" (vo/49511): the statement's
# budget row "Aufwand (in Euro) 2024 … 2028 5.000 5.000 5.000 5.000 5.000"; beside it
# DHH/2023/4156 (vo/49489, Panorama e. V., 95.000 a year).
BUERGERVEREINE, PANORAMA = 49511, 49489
# 2024/1329, Antrag "Waldweihnacht auf dem Friedrichsplatz bewahren" (vo/51290): its protocol
# says "Die Waldweihnacht bleibt im bisherigen Format bis 2028 auf dem Christkindlesmarkt."
WALDWEIHNACHT = 51290
# 2023/1101, Beschlussvorlage Bebauungsplan "Kriegsstraße, Ettlinger Straße, …" (vo/49209):
# "Photovoltaikanlagen sind bis zu einer Tiefe von 1,0 Meter nicht zulässig."
BEBAUUNGSPLAN = 49209


@pytest.mark.parametrize(
    ("question", "typed"),
    [
        ("Betrag Ferienbetreuung, DS 2025 0952?", "Wie hoch ist Ferienbetreuung, DS 2025 0952?"),
        ("Kosten Baumlehrpfad?", "Wie hoch ist Kosten Baumlehrpfad?"),
        ("Anzahl Wohnungen Blütenweg?", "Wie viele Wohnungen Blütenweg?"),
        ("Grund für die Kündigung?", "Warum für die Kündigung?"),
        ("Kürzung Zuschuss in Prozent?", "Wie hoch ist Kürzung Zuschuss in Prozent?"),
        ("Besucherzahl Grillplätze 2025?", "Wie viele Besucher Grillplätze 2025?"),
        ("Fahrgastzahlen Durlach?", "Wie viele Fahrgast Durlach?"),
        # How long a state lasts: until when (a paper names the end, "bis 2028").
        ("Wie lange bleibt der Markt dort?", "Bis wann bleibt der Markt dort?"),
        ("Wie lange sollen die Änderungen bleiben?", "Bis wann sollen die Änderungen bleiben?"),
        ("Wie lange dauert die Sanierung?", "Wie lange dauert die Sanierung?"),
        # "In welchem Jahr …?" asks when; "In welchen Orten …?" where.
        ("In welchem Jahr wurde das beschlossen?", "Wann: In welchem Jahr wurde das beschlossen?"),
        ("In welchen Ferienwochen ist zu?", "Wann: In welchen Ferienwochen ist zu?"),
        ("In welchen Orten gibt es ein Hospiz?", "In welchen Orten gibt es ein Hospiz?"),
        # A question word of its own, or no noun that names a kind: unchanged.
        ("Wie hoch ist der Betrag?", "Wie hoch ist der Betrag?"),
        ("Wer genehmigt die Clubs?", "Wer genehmigt die Clubs?"),
        ("Staffelung Parkgebühren Bewohnerparken?", "Staffelung Parkgebühren Bewohnerparken?"),
        ("Betrag?", "Wie hoch ist Betrag?"),
        # The permission word asks for the rule, like "darf": no topic word.
        ("Sind Einweggrills dort erlaubt?", "Sind Einweggrills dort?"),
        ("Einweggrill erlaubt?", "Ist Einweggrill?"),
        ("Was ist erlaubt?", "Was ist erlaubt?"),
        ("Ist es erlaubt?", "Ist es erlaubt?"),
        ("", ""),
    ],
)
def test_a_note_form_question_is_read_with_the_question_word_its_noun_implies(
    question: str, typed: str
) -> None:
    assert with_kind(question) == typed


async def test_a_note_form_question_about_a_named_paper_gets_its_amount(tmp_path: Path) -> None:
    """Read as "open", the note is answered by any sentence with its words (the chair calling
    the motion); read as an amount, by the sentence with the sum."""
    question = "Aufwand Bürgervereine pro Jahr, DHH 2023 1005?"
    extra = paper_chunks(BUERGERVEREINE, PANORAMA)
    async with sample_context(tmp_path, extra=extra) as ctx:
        result = await allris_search.run(
            SkillRequest(text=question, options=SkillOptions(mode="answer")), ctx
        )
    answer = str(result.as_json()["answer"])
    assert result.grounded, answer
    assert "5.000 Euro pro Jahr" in answer
    assert {c.doc_id for c in result.citations} == {f"{PAPERS}{BUERGERVEREINE}"}


async def test_a_budget_row_is_quoted_with_each_value_beside_its_year(tmp_path: Path) -> None:
    """The statement's row "Aufwand (in Euro) 2024 2025 2026 2027 2028 5.000 5.000 …", run
    into one line by the extraction, is read as "Aufwand (in Euro): 5.000 (2024), …"."""
    question = "Wie hoch ist der Aufwand für die Bürgervereine 2025 laut DHH/2023/1005?"
    async with sample_context(tmp_path, extra=paper_chunks(BUERGERVEREINE, PANORAMA)) as ctx:
        result = await allris_search.run(
            SkillRequest(text=question, options=SkillOptions(mode="answer")), ctx
        )
    answer = str(result.as_json()["answer"])
    assert "Aufwand (in Euro): 5.000 (2024), 5.000 (2025)" in answer, answer
    assert {c.doc_id for c in result.citations} == {f"{PAPERS}{BUERGERVEREINE}"}


async def test_a_note_form_question_about_a_paper_the_caller_may_not_read_is_not_found(
    tmp_path: Path,
) -> None:
    restricted = paper_chunks(BUERGERVEREINE, access=("fraktion-spd",))
    question = "Aufwand Bürgervereine pro Jahr, DHH 2023 1005?"
    async with sample_context(tmp_path, extra=restricted) as ctx:
        outsider = await allris_search.run(
            SkillRequest(text=question, user=member_of(), options=SkillOptions(mode="answer")),
            ctx,
        )
        member = await allris_search.run(
            SkillRequest(
                text=question, user=member_of("fraktion-spd"), options=SkillOptions(mode="answer")
            ),
            ctx,
        )
    assert outsider.outcome == "not_found" and not outsider.citations
    said = result_text(outsider)
    assert "Bürgervereine" not in said and "5.000" not in said
    assert member.grounded and "5.000" in str(member.as_json()["answer"])


async def test_how_long_a_state_lasts_is_answered_by_its_end(tmp_path: Path) -> None:
    """Read as a duration, "Wie lange bleibt …?" quoted "der vierwöchigen Bespielung"; the
    paper says how long by the year it ends."""
    question = (
        "Wie lange bleibt die Waldweihnacht laut Antrag 2024/1329 auf dem Christkindlesmarkt?"
    )
    async with sample_context(tmp_path, extra=paper_chunks(WALDWEIHNACHT)) as ctx:
        result = await allris_search.run(
            SkillRequest(text=question, options=SkillOptions(mode="answer")), ctx
        )
    answer = str(result.as_json()["answer"])
    assert "bleibt im bisherigen Format bis 2028" in answer, answer


@pytest.mark.parametrize(
    ("sentence", "figure"),
    [
        ("Der Kaufpreis beträgt 480,00 Euro/m².", True),
        ("Rund 120 Grundschulkinder stehen ohne Hort da.", True),
        ("Der Gemeinderat wählt sieben Vertreter.", True),
        ("Die Nutzung ist kostenlos.", True),
        ("2. Die Stadtverwaltung prüft im Nachgang die Kosten.", False),
        ("Die Verwaltung stellt im Nachgang mögliche Kosten dar.", False),
        ("Nach § 31 Abs. 1 Satz 4 GemO stellt der Gemeinderat fest.", False),
        ("Der Antrag 2023/1357 wurde am 12.03.2024 im Jahr 2024 beraten.", False),
        ("Die Vorlage VO/2025/12345 wurde vertagt.", False),  # five digits: still a reference
        ("Die Vorlage VO/2025/12345 nennt 40.000 Euro.", True),
    ],
)
def test_a_figure_is_a_number_that_is_no_item_reference_date_or_year(
    sentence: str, figure: bool
) -> None:
    assert carries_figure(sentence) is figure


async def test_a_cost_question_is_not_answered_by_a_sentence_without_an_amount(
    tmp_path: Path,
) -> None:
    """The Waldweihnacht motion's sentences speak of costs ("Der Kostendeckungsgrad würde sich
    zudem mit einem Wegfall der Waldweihnacht erhöhen.") but name none: "keine Aussage". The
    Bürgervereine motion names its sum and is answered with it."""
    async with sample_context(tmp_path, extra=paper_chunks(WALDWEIHNACHT, BUERGERVEREINE)) as ctx:

        async def ask(text: str) -> tuple[str, str]:
            request = SkillRequest(text=text, options=SkillOptions(mode="answer"))
            result = await allris_search.run(request, ctx)
            return result.outcome, str(result.as_json().get("answer", ""))

        unknown = await ask("Was kostet die Waldweihnacht laut Antrag 2024/1329?")
        known = await ask("Was kostet das Budget der Bürgervereine laut DHH/2023/1005?")
    assert unknown[0] == "no_answer", unknown
    assert "5.000 Euro pro Jahr" in known[1]


async def test_in_which_year_is_answered_by_a_year_not_a_place(tmp_path: Path) -> None:
    """Read as a place ("in welche…"), the question quoted a slide caption naming the
    Friedrichsplatz; read as when, the sentence with the year of the decision."""
    question = (
        "In welchem Jahr wurde laut Antrag 2024/1329 die Veranstaltungsfläche auf dem "
        "Friedrichsplatz reduziert?"
    )
    async with sample_context(tmp_path, extra=paper_chunks(WALDWEIHNACHT)) as ctx:
        result = await allris_search.run(
            SkillRequest(text=question, options=SkillOptions(mode="answer")), ctx
        )
    answer = str(result.as_json()["answer"])
    assert "Mit dem Gemeinderatsbeschluss von 2020" in answer, answer


async def test_a_permission_question_is_answered_by_the_rule_in_the_papers_words(
    tmp_path: Path,
) -> None:
    """With "erlaubt" as a topic word, a citizen's objection quoted in the paper won ("…
    gestattet die Stadt eine völlig sinnbefreite weitere Versiegelung …"); the rule says
    "nicht zulässig"."""
    question = "Sind Photovoltaikanlagen laut Vorlage 2023/1101 erlaubt?"
    async with sample_context(tmp_path, extra=paper_chunks(BEBAUUNGSPLAN)) as ctx:
        result = await allris_search.run(
            SkillRequest(text=question, options=SkillOptions(mode="answer")), ctx
        )
    answer = str(result.as_json()["answer"])
    assert "Photovoltaikanlagen sind bis zu einer Tiefe von 1,0 Meter nicht zulässig" in answer
