"""A question about how the council voted gets the paper's recorded result
(skills/council_votes.py), over real Karlsruhe papers and their protocols."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.render.text import result_text
from skills import allris_search
from skills.council_votes import asks_for_vote, recorded_results, vote_topic
from skills.types import SkillOptions, SkillRequest, SkillResult
from tests.skills.helpers import sample_context
from tests.skills.karlsruhe import PAPERS, paper_chunks

# 2026/0279 Windenergie (vo/54436, protocol: 41 to 4), 2026/0069 Verkauf Blütenweg 28
# (vo/54204, unanimous), DHH/2023/5046 Ferienerholung (vo/49550, rejected 3 to 39), and
# 2023/0996 Pfarrer-Blink-Straße (vo/49102), a Konzeptbeschluss without a recorded vote.
WIND, BLUETENWEG, FERIEN, BLINK = 54436, 54204, 49550, 49102


async def _ask(tmp_path: Path, question: str) -> SkillResult:
    extra = paper_chunks(WIND, BLUETENWEG, FERIEN, BLINK)
    async with sample_context(tmp_path, extra=extra) as ctx:
        return await allris_search.run(
            SkillRequest(text=question, options=SkillOptions(mode="answer")), ctx
        )


def test_vote_questions_and_their_topic() -> None:
    assert asks_for_vote("Wie hat der Gemeinderat über die Windenergie abgestimmt?")
    assert asks_for_vote("Ist der Antrag durchgekommen?")
    assert asks_for_vote("Mit welchem Ergebnis wurde über den Antrag entschieden?")
    assert not asks_for_vote("Wer genehmigt die Cannabis-Clubs?")
    assert vote_topic("Wie wurde über den Verkauf abgestimmt?") == "Wie wurde über den Verkauf ?"


def test_the_recorded_results_of_a_paper_are_its_protocols_votes() -> None:
    assert [s for _, s in recorded_results(paper_chunks(WIND))] == [
        "Abstimmungsergebnis: Mehrheitliche Zustimmung (41 JA-Stimmen, 4 Nein-Stimmen)."
    ]
    assert recorded_results(paper_chunks(BLINK)) == []


@pytest.mark.parametrize(
    ("question", "paper", "vote"),
    [
        (
            "Wie hat der Gemeinderat über die Klarstellung zur Flächendarstellung Windenergie "
            "abgestimmt?",
            WIND,
            "Mehrheitliche Zustimmung (41 JA-Stimmen, 4 Nein-Stimmen)",
        ),
        (
            "Wie wurde über den Verkauf des Grundstücks Blütenweg 28 abgestimmt?",
            BLUETENWEG,
            "Abstimmungsergebnis: Einstimmige Zustimmung.",
        ),
        # Naming the paper is enough: no sentence shares "durchgekommen", the vote answers.
        ("Ist der Antrag DHH/2023/5046 durchgekommen?", FERIEN, "Mehrheitlich abgelehnt (3 JA"),
    ],
)
async def test_a_vote_question_is_answered_with_the_recorded_vote(
    tmp_path: Path, question: str, paper: int, vote: str
) -> None:
    result = await _ask(tmp_path, question)
    assert result.grounded, result_text(result)
    assert vote in result.as_json()["answer"]
    assert {c.doc_id for c in result.citations} == {f"{PAPERS}{paper}"}
    # The vote is cited.
    assert re.search(re.escape(vote) + r"[^\n]*“ \[\d\]", result.as_json()["answer"])


async def test_the_decision_is_quoted_before_its_vote(tmp_path: Path) -> None:
    result = await _ask(
        tmp_path, "Was hat der Gemeinderat zum Grundstück Blütenweg 28 beschlossen?"
    )
    answer = result.as_json()["answer"]
    assert answer.index("genehmigt den Verkauf") < answer.index("Einstimmige Zustimmung")


async def test_a_named_paper_without_a_recorded_vote_is_no_vote(tmp_path: Path) -> None:
    result = await _ask(tmp_path, "Ist die Vorlage 2023/0996 einstimmig durchgekommen?")
    assert (
        "Zustimmung" not in result.as_json()["answer"]
        and "abgelehnt" not in result.as_json()["answer"]
    )


async def test_a_question_that_asks_no_vote_gets_no_vote(tmp_path: Path) -> None:
    result = await _ask(tmp_path, "An wen verkauft die Stadt das Grundstück Blütenweg 28?")
    assert "Abstimmungsergebnis" not in result.as_json()["answer"]
