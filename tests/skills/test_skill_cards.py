"""Every card of the three skills' results is valid Adaptive Card 1.5 (the schema Teams renders)."""

from __future__ import annotations

from pathlib import Path

from bot.render.chat_cards import result_card
from skills import allris_search, policy_qa, summarise
from skills.results import Answer
from skills.types import SkillRequest
from tests.bot.card_schema import assert_valid_card
from tests.skills.helpers import sample_context


async def test_cards_of_answers_searches_and_summaries_are_valid(tmp_path: Path) -> None:
    async with sample_context(tmp_path) as ctx:
        results = [
            await policy_qa.run(SkillRequest(text="Wie lange ist der KI-Pass gültig?"), ctx),
            await policy_qa.run(SkillRequest(text="Wie viel Urlaub habe ich?"), ctx),
            await allris_search.run(SkillRequest(text="Anträge seit 2025"), ctx),
            await allris_search.run(SkillRequest(text="Beispieldokument"), ctx),
            await allris_search.run(
                SkillRequest(text="Wie viele Beschäftigte haben den KI-Pass erworben?"), ctx
            ),
            await summarise.run(SkillRequest(text="VO/2026/14311"), ctx),
        ]
    # "Keine Aussage" (the second) is plain text; every other result is drawn as a card (answers'
    # cards are the fallback for KIW_CITATION_STYLE=card).
    drawn = [result_card(r) for r in results]
    assert drawn[1] == (None, False) and isinstance(results[1].payload, Answer)
    for card, feedback in drawn[:1] + drawn[2:]:
        assert card is not None
        assert_valid_card(card)
        assert not any(a.get("data", {}).get("kiwFeedback") for a in card.get("actions", []))
        # Feedback on every card, as buttons below it (the bot records only up/down).
        assert feedback
