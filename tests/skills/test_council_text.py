"""Council papers are read without their PDF furniture (skills/council_text.py), over real
Karlsruhe papers: a form's checkbox block no longer glues onto the sentence below it."""

from __future__ import annotations

from pathlib import Path

from skills import allris_search
from skills.council_text import readable
from skills.german import split_sentences
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
    answer = result.data["answer"]
    assert "Hohenwettersbach, Stupferich und Wettersbach" in answer
    assert "Relevanz" not in answer and "[x]" not in answer
    assert {c.doc_id for c in result.citations} == {f"{PAPERS}{WATER}"}
