"""A council question that names its paper (reference in any spelling, or its OParl link) is
answered from that paper and its files, over real Karlsruhe papers; a paper the caller may not
read is "nicht gefunden", in the same words as a paper that does not exist."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.render.text import result_text
from skills import allris_search
from skills.allris_query import without_reference
from skills.types import SkillOptions, SkillRequest, SkillResult
from tests.skills.helpers import member_of, sample_context
from tests.skills.karlsruhe import PAPERS, paper_chunks

# 2024/0352 (Anfrage "Vorbereitung auf die Cannabis-Legalisierung", vo/50232) and, beside it,
# 2024/0066 (Anfrage "Sachstand Südumfahrung Hagsfeld", vo/49923), which also speaks of a
# Regierungspräsidium; 2023/0996 (Beschlussvorlage Pfarrer-Blink-Straße, vo/49102).
CANNABIS, HAGSFELD, BLINK = 50232, 49923, 49102


@pytest.mark.parametrize(
    "question",
    [
        "Welche Leitung wird laut Vorlage 2023/0996 derzeit erneuert?",
        "Welche Leitung wird nach Drucksache 2023-0996 derzeit erneuert?",
        f"Welche Leitung wird nach {PAPERS}{BLINK} derzeit erneuert?",
    ],
)
async def test_a_question_naming_a_paper_is_answered_from_that_paper(
    tmp_path: Path, question: str
) -> None:
    async with sample_context(tmp_path, extra=paper_chunks(BLINK, HAGSFELD, CANNABIS)) as ctx:
        result = await allris_search.run(
            SkillRequest(text=question, options=SkillOptions(mode="answer")), ctx
        )
    assert result.grounded, result_text(result)
    assert "110 KV-Leitung" in result.as_json()["answer"]
    assert {c.doc_id for c in result.citations} == {f"{PAPERS}{BLINK}"}


async def test_the_whole_paper_is_read_not_only_the_passages_its_words_retrieve(
    tmp_path: Path,
) -> None:
    """The answering sentence ("… auf das Regierungspräsidium Freiburg übergeht") shares only
    two words with the question; the paper's other passages share more of them."""
    question = "Auf wen geht laut Anfrage 2024/0352 die Genehmigung der Anbauvereinigungen über?"
    async with sample_context(tmp_path, extra=paper_chunks(CANNABIS, HAGSFELD)) as ctx:
        result = await allris_search.run(
            SkillRequest(text=question, options=SkillOptions(mode="answer")), ctx
        )
    assert {c.doc_id for c in result.citations} == {f"{PAPERS}{CANNABIS}"}


@pytest.mark.parametrize("options", [SkillOptions(mode="answer"), SkillOptions()])
async def test_a_paper_the_caller_may_not_read_is_not_found(
    tmp_path: Path, options: SkillOptions
) -> None:
    restricted = paper_chunks(BLINK, access=("fraktion-gruene",))
    question = "Welche Leitung wird laut Vorlage 2023/0996 derzeit erneuert?"
    unknown = "Welche Leitung wird laut Vorlage 2023/0997 derzeit erneuert?"
    async with sample_context(tmp_path, extra=restricted) as ctx:

        async def ask(text: str, *groups: str) -> SkillResult:
            request = SkillRequest(text=text, user=member_of(*groups), options=options)
            return await allris_search.run(request, ctx)

        outsider, missing = await ask(question), await ask(unknown)
        member = await ask(question, "fraktion-gruene")
    assert outsider.outcome == "not_found" and not outsider.citations
    assert result_text(outsider) == result_text(missing).replace("2023/0997", "2023/0996")
    assert member.grounded and "110 KV-Leitung" in member.as_json()["answer"]


@pytest.mark.parametrize(
    ("question", "left"),
    [
        ("Wer genehmigt laut 2024-0352 die Cannabis-Clubs?", "Wer genehmigt die Cannabis-Clubs?"),
        (
            "Auf wen geht nach der Stellungnahme zur Anfrage 2024/0352 die Zuständigkeit über?",
            "Auf wen geht die Zuständigkeit über?",
        ),
        ("Wie hoch ist der Zuschuss (Vorlage 2026/0367)?", "Wie hoch ist der Zuschuss?"),
        ("Staffelung Parkgebühren, dhh 2025 3209?", "Staffelung Parkgebühren?"),
        (f"Was wird nach {PAPERS}{BLINK} erneuert?", "Was wird erneuert?"),
        ("Was beantragt die Fraktion in 2026/0123?", "Was beantragt die Fraktion?"),
    ],
)
def test_the_words_that_name_the_paper_are_no_part_of_the_question(
    question: str, left: str
) -> None:
    assert without_reference(question) == left
