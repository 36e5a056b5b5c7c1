"""Teams-shaped payloads (tests/fixtures/teams) through the real endpoint."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from skills import help as help_skill
from skills.context import Skill, SkillContext
from skills.results import Paper, PaperList
from skills.types import SkillRequest, SkillResult
from tests.bot.card_schema import assert_valid_card
from tests.bot.kit import (
    BotUnderTest,
    fixture,
    start_bot,
)
from tests.support.connector import ConnectorRecorder

TENANT = "11111111-2222-3333-4444-555555555555"
SEEN: list[str] = []


async def _search(request: SkillRequest, ctx: SkillContext) -> SkillResult:
    SEEN.append(request.text)
    papers = tuple(
        Paper(f"p{n}", f"Vorlage {n}", f"VO/2026/{n}", None, (), "Antrag", None, "") for n in (1, 2)
    )
    return SkillResult(PaperList(request.text, papers, total=2))


SEARCH = Skill("allris_search", ("suche", "search"), "ALLRIS-Suche", "Sucht.", False, _search)


@pytest.fixture
async def bot(aiohttp_client: Any, connector: ConnectorRecorder, data_dir: Path) -> BotUnderTest:
    SEEN.clear()
    return await start_bot(
        aiohttp_client,
        connector,
        data_dir,
        skills=lambda: [help_skill.SKILL, SEARCH],
        allowed_tenants=(TENANT,),
    )


async def replay(bot: BotUnderTest, name: str) -> tuple[int, dict[str, Any], Any]:
    activity = fixture(f"teams/{name}.json", bot.connector.service_url)
    response = await bot.post(activity)
    body = await response.json() if response.content_type == "application/json" else None
    return response.status, activity, body


async def test_channel_mention_goes_to_the_skill_and_the_thread(bot: BotUnderTest) -> None:
    status, activity, _ = await replay(bot, "channel-message-mention")
    assert status in (200, 201)
    assert SEEN == ["Radverkehr"]
    [reply] = bot.connector.messages()
    assert reply.conversation_id.endswith(";messageid=1763630102381")
    assert reply.activity_id == activity["id"]
    assert reply.body["summary"] == "Ergebnisse aus dem Ratsinformationssystem"
    assert_valid_card(reply.body["attachments"][0]["content"])


async def test_group_chat_html_message(bot: BotUnderTest) -> None:
    await replay(bot, "groupchat-message-mention-html")
    route = bot.traces[0].step("route").details
    # policy_qa is not registered in this test: the question is free text nobody registered
    # takes, so help answers, never a crash.
    assert (route["skill"], route["reason"]) == ("help", "fallback")
    assert bot.traces[0].step("normalise").details["mention_removed"] is True


async def test_bot_added_then_members_added(bot: BotUnderTest) -> None:
    await replay(bot, "conversation-update-bot-added-to-team")
    await replay(bot, "conversation-update-members-added")
    welcome, members = bot.connector.messages()
    assert_valid_card(welcome.body["attachments"][0]["content"])
    assert "hilfe" in members.body["text"] and "attachments" not in members.body
    assert [line["event"] for line in bot.audit()] == ["welcome", "welcome"]


async def test_feedback_invoke(bot: BotUnderTest) -> None:
    status, _, _ = await replay(bot, "invoke-feedback")
    assert status == 200
    [line] = bot.audit()
    assert (line["event"], line["outcome"], line["scope"]) == ("feedback", "up", "personal")
    assert "gesucht" not in str(line)


async def test_compose_extension_query_is_answered(bot: BotUnderTest) -> None:
    status, _, body = await replay(bot, "invoke-compose-extension-query")
    assert status == 200
    assert "composeExtension" in body
