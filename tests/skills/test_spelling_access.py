"""A typo is never corrected towards a word only a non-public paper uses: the `suche` and
`frage` skills' replies to a public user do not contain it, a member of the group gets the
paper (indexer/corpus_words.py's visibility keys)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from bot.render.text import result_text
from indexer.model import COUNCIL, POLICIES, Chunk
from skills import allris_search, policy_qa
from skills.generator.base import Generated, Passage, TextSink
from skills.generator.extractive import ExtractiveGenerator
from skills.types import SkillOptions, SkillRequest, SkillResult
from tests.skills.helpers import member_of, sample_context

GROUP = "fraktion-x"
SECRET = "falkenstein"


def hidden(collection: str) -> Chunk:
    doc_id = f"https://ris.example.test/oparl/papers/{collection}-90"
    return Chunk(
        id=f"{doc_id}#0",
        doc_id=doc_id,
        collection=collection,
        title="Falkenstein-Gutachten zur Rheinbrücke",
        text="Das Falkenstein-Gutachten empfiehlt, die Sanierung der Rheinbrücke vorzuziehen.",
        access=(GROUP,),
        paper_type="Antrag" if collection == COUNCIL else None,
    )


@pytest.mark.parametrize("options", [SkillOptions(), SkillOptions(mode="answer")])
async def test_suche_never_shows_a_public_user_the_hidden_word(
    tmp_path: Path, options: SkillOptions
) -> None:
    question = "Was empfiehlt das Falkenstien-Gutachten zur Rheinbrücke?"
    async with sample_context(tmp_path, extra=[hidden(COUNCIL)]) as ctx:

        async def ask(*groups: str) -> SkillResult:
            request = SkillRequest(text=question, user=member_of(*groups), options=options)
            return await allris_search.run(request, ctx)

        outsider, member = await ask(), await ask(GROUP)
    assert SECRET not in str(outsider.as_json()).lower(), result_text(outsider)
    assert SECRET not in result_text(outsider).lower() and not outsider.citations
    assert SECRET in str(member.as_json()).lower()


class Recording(ExtractiveGenerator):
    """The extractive generator, noting the question it is given (the reader's, corrected)."""

    def __init__(self) -> None:
        super().__init__()
        self.questions: list[str] = []

    async def answer(
        self,
        question: str,
        passages: Sequence[Passage],
        *,
        language: str = "de",
        on_text: TextSink | None = None,
    ) -> Generated:
        self.questions.append(question)
        return await super().answer(question, passages, language=language, on_text=on_text)


async def test_frage_never_shows_a_public_user_the_hidden_word(tmp_path: Path) -> None:
    # A public rule speaks of the Rheinbrücke's Gutachten, but not of the Falkenstein one: the
    # outsider's question, read as typed, is refused (the compound's modifier stands in no
    # sentence the outsider may read); the member's is corrected and answered.
    shown = Chunk(
        id="brücke#0",
        doc_id="brücke",
        collection=POLICIES,
        title="Regel zur Rheinbrücke",
        text="Das Gutachten zur Rheinbrücke empfiehlt, die Sanierung vorzuziehen.",
    )
    question = "Was empfiehlt das Falkenstien-Gutachten zur Rheinbrücke?"
    generator = Recording()
    async with sample_context(tmp_path, generator, extra=[shown, hidden(POLICIES)]) as ctx:

        async def ask(*groups: str) -> SkillResult:
            return await policy_qa.run(SkillRequest(text=question, user=member_of(*groups)), ctx)

        outsider = await ask()
        read_for_outsider = list(generator.questions)
        member = await ask(GROUP)
    assert read_for_outsider == []  # refused before any answer was written
    assert outsider.outcome == "no_answer"
    assert SECRET not in str(outsider.as_json()).lower(), result_text(outsider)
    assert SECRET in str(member.as_json()).lower()
    assert generator.questions[-1] == question.replace("Falkenstien", "Falkenstein")
