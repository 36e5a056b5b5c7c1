"""A message that is only a link to an ALLRIS paper shows that paper (issue 15 item 5): its card
with „Zusammenfassen“, not a search for the words of the URL; a paper the reader may not see is
„nicht gefunden“, in the same words as one that does not exist."""

from __future__ import annotations

import dataclasses
import itertools
import json
from pathlib import Path
from typing import Any

from bot.render.chat_cards import result_card
from bot.render.text import result_text
from indexer.embedded import EmbeddedIndex
from skills import allris_search
from skills.context import SkillConfig, SkillContext
from skills.generator.extractive import ExtractiveGenerator
from skills.registry import all_skills
from skills.router import detect_intent
from skills.types import SkillRequest, SkillResult
from tests.skills.corpus import sample_chunks
from tests.skills.helpers import TODAY, NoDirectory, member_of, papers

HOST = "allris.luebeck.de"
RADVERKEHR = f"https://{HOST}/public/vo020?VOLFDNR=14102"
FACTION_ONLY = f"https://{HOST}/public/vo020?VOLFDNR=90007"
UNKNOWN = f"https://{HOST}/public/vo020?VOLFDNR=99999"
_RUNS = itertools.count()


async def _ask(tmp_path: Path, text: str, **request: Any) -> SkillResult:
    """The sample corpus as the indexer keeps it: each paper with ALLRIS's row id of its link."""
    index = EmbeddedIndex(tmp_path / f"index-{next(_RUNS)}")
    await index.upsert(
        [dataclasses.replace(c, source_ids=(c.url,)) if c.url else c for c in sample_chunks()]
    )
    ctx = SkillContext(
        index=index,
        generator=ExtractiveGenerator(),
        directory=NoDirectory(),
        config=SkillConfig(allris_host=HOST),
        today=lambda: TODAY,
    )
    try:
        return await allris_search.run(SkillRequest(text=text, command="", **request), ctx)
    finally:
        await index.close()


async def test_a_pasted_link_shows_the_linked_paper_with_a_summarise_button(
    tmp_path: Path,
) -> None:
    result = await _ask(tmp_path, RADVERKEHR)
    assert result.outcome == "ok"
    [hit] = papers(result)
    assert hit.url == RADVERKEHR and hit.reference
    card, _ = result_card(result)
    assert card is not None
    first = card["actions"][0]
    assert first["title"] == "Zusammenfassen"
    assert first["data"] == {"command": f"zusammenfassen {hit.reference}"}
    assert len(first["data"]["command"]) <= 50  # the handler's cap on a card's command


async def test_a_link_to_a_paper_the_reader_may_not_see_is_not_found(tmp_path: Path) -> None:
    own = await _ask(tmp_path, FACTION_ONLY, user=member_of("fraktion-gruene"))
    assert own.outcome == "ok" and papers(own)[0].url == FACTION_ONLY
    hidden = await _ask(tmp_path, FACTION_ONLY, user=member_of("fraktion-cdu"))
    missing = await _ask(tmp_path, UNKNOWN, user=member_of("fraktion-cdu"))
    assert hidden.outcome == missing.outcome == "not_found"
    assert result_text(hidden).replace("90007", "N") == result_text(missing).replace("99999", "N")
    assert "Haushaltsstrategie" not in json.dumps(hidden.as_json(), ensure_ascii=False)
    # A shared chat: the audience's groups decide, not the asker's.
    shared = await _ask(
        tmp_path,
        FACTION_ONLY,
        user=member_of("fraktion-gruene"),
        audience=frozenset({"public"}),
        scope="groupChat",
    )
    assert shared.outcome == "not_found"


async def test_links_to_other_hosts_and_links_with_words_stay_searches(tmp_path: Path) -> None:
    other = await _ask(tmp_path, "https://example.org/public/vo020?VOLFDNR=14102")
    assert not other.as_json().get("summarise")
    worded = await _ask(tmp_path, f"Radverkehr {RADVERKEHR}")
    assert not worded.as_json().get("summarise")


async def test_a_question_with_a_link_is_answered_from_the_linked_paper(tmp_path: Path) -> None:
    """`suche`/free text that asks about a linked paper: answered from that paper, only for
    those who may read it; for anyone else „nicht gefunden“, as for an unknown link."""
    question = f"Bis wann ist das Konzept in {RADVERKEHR} vorzulegen?"
    intended = detect_intent(question, all_skills())
    assert intended is not None and intended.name == "allris_search"
    answered = await _ask(tmp_path, question)
    assert answered.grounded and "30.09.2026" in answered.as_json()["answer"]
    assert {c.reference for c in answered.citations} == {"VO/2026/14102"}
    hidden = f"Welche Kompromisslinie gilt in {FACTION_ONLY}?"
    outsider = await _ask(tmp_path, hidden, user=member_of("fraktion-cdu"))
    member = await _ask(tmp_path, hidden, user=member_of("fraktion-gruene"))
    assert outsider.outcome == "not_found" and "3 Mio" not in json.dumps(outsider.as_json())
    assert member.grounded and "3 Mio. Euro" in member.as_json()["answer"]
