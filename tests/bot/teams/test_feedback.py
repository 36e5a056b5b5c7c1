"""Feedback buttons (issue 15 item 4), through the real HTTP endpoint: an answer is one message
in every scope, its 👍/👎 on a card of their own; a click replaces that card with the vote
(Action.Execute → `adaptiveCard/action`, answered with the new card) and sends no second message.

The Agents Playground replaces exactly the clicked attachment with the card in that answer (its
client code: `messageId, attachmentIndex, attachments: [card]`), as Teams does."""

from __future__ import annotations

from typing import Any

from bot.pipeline import Outcome
from bot.render.cardkit import CONTENT_TYPE, FEEDBACK_VERB
from bot.teams.replies import reply_activity
from skills.registry import all_skills, skill_named
from skills.results import Paper, PaperList
from skills.router import Route
from skills.types import SkillResult
from tests.bot.card_schema import assert_valid_card
from tests.bot.kit import BotUnderTest, mention, message
from tests.bot.teams.handler_kit import post_ok


def _click(bot: BotUnderTest, button: dict[str, Any], conversation_type: str) -> dict[str, Any]:
    invoke = message("", bot.connector.service_url, conversation_type=conversation_type)
    invoke.update(
        type="invoke",
        name="adaptiveCard/action",
        value={
            "action": {
                "type": "Action.Execute",
                "verb": button["verb"],
                "data": button["data"],
            },
            "trigger": "manual",
        },
    )
    return invoke


async def test_channel_answer_is_one_message_and_a_vote_replaces_the_buttons(
    bot: BotUnderTest,
) -> None:
    url = bot.connector.service_url
    asked = message(
        "<at>KI-Assistent</at> frage Darf ich?",
        url,
        conversation_type="channel",
        entities=[mention()],
    )
    await post_ok(bot, asked)
    [answer] = bot.connector.messages()
    assert answer.body["text"].startswith("Antwort auf")
    [feedback] = answer.body["attachments"]
    buttons = feedback["content"]["actions"]
    assert [(b["type"], b["verb"]) for b in buttons] == [("Action.Execute", FEEDBACK_VERB)] * 2

    response = await bot.post(_click(bot, buttons[0], "channel"))
    assert response.status == 200
    body = await response.json()
    assert body["statusCode"] == 200 and body["type"] == CONTENT_TYPE
    voted = body["value"]
    assert_valid_card(voted)
    assert "actions" not in voted  # the buttons are gone ...
    assert voted["body"][0]["text"] == "Danke für Ihre Rückmeldung: „hilfreich“."  # ... the vote
    assert len(bot.connector.messages()) == 1  # no second "Danke" message
    [line] = [a for a in bot.audit() if a["event"] == "feedback"]
    assert (line["outcome"], line["skill"], line["scope"]) == ("up", "policy_qa", "team")


def test_card_answers_carry_the_buttons_on_a_card_of_their_own() -> None:
    skill = skill_named(all_skills(), "allris_search")
    paper = Paper("p1", "Radverkehr", "VO/2026/1", None, (), "Antrag", None, "Radwege")
    page = PaperList("Radverkehr", (paper,), total=6)  # more than one page: „Mehr Treffer“
    result = SkillResult(page, outcome="ok", grounded=True)
    for scope in ("personal", "groupChat", "team"):
        reply = reply_activity(
            Outcome(Route(skill, "suche", "x", "command"), result, None, 1.0), scope, [skill]
        )
        answer, feedback = (a.content for a in reply.activity.attachments)
        assert [a["title"] for a in answer["actions"]] == ["Mehr Treffer"]
        assert [a["verb"] for a in feedback["actions"]] == [FEEDBACK_VERB] * 2
        for card in (answer, feedback):
            assert_valid_card(card)


async def test_a_forged_vote_changes_nothing_but_the_card(bot: BotUnderTest) -> None:
    forged = {"verb": FEEDBACK_VERB, "data": {"kiwFeedback": "maybe", "skill": "<script>"}}
    response = await bot.post(_click(bot, forged, "personal"))
    body = await response.json()
    assert body["value"]["body"][0]["text"] == "Danke für Ihre Rückmeldung."
    assert [a for a in bot.audit() if a["event"] == "feedback"] == []
    assert bot.connector.messages() == []
