"""Replay of real Microsoft 365 Agents Playground traffic (tests/fixtures/playground) through the
real endpoint; replies go to a loopback connector stub."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from graph.principal import Principal
from tests.bot.card_schema import assert_valid_card
from tests.bot.kit import (
    BotUnderTest,
    FakeDirectory,
    fixture,
    make_services,
    make_settings,
    start_bot,
)
from tests.support.connector import ConnectorRecorder

PLAYGROUND_USER = "00000000-0000-0000-0000-0000000000020"  # Alex Wilber
PLAYGROUND_TENANT = "00000000-0000-0000-0000-0000000000001"


@pytest.fixture
async def bot(aiohttp_client: Any, connector: ConnectorRecorder, data_dir: Path) -> BotUnderTest:
    settings = make_settings(data_dir, allowed_tenants=(PLAYGROUND_TENANT,))
    alex = Principal(
        id=PLAYGROUND_USER,
        name="Alex Wilber",
        tenant_id=PLAYGROUND_TENANT,
        kipass_valid_until=date(2099, 12, 31),
    )
    services = make_services(settings, directory=FakeDirectory([alex]))
    return await start_bot(aiohttp_client, connector, data_dir, services=services)


async def replay(bot: BotUnderTest, name: str) -> dict[str, Any]:
    activity = fixture(f"playground/{name}.json", bot.connector.service_url)
    response = await bot.post(activity)
    assert response.status in (200, 201), await response.text()
    return activity


@pytest.mark.parametrize("scope", ["personal", "groupchat", "channel"])
async def test_opening_a_conversation_welcomes_once(bot: BotUnderTest, scope: str) -> None:
    await replay(bot, f"{scope}-installation-update")
    assert bot.connector.calls == []
    update = await replay(bot, f"{scope}-conversation-update")
    [welcome] = bot.connector.messages()
    assert welcome.conversation_id == update["conversation"]["id"]
    assert_valid_card(welcome.body["attachments"][0]["content"])
    # The Playground re-sends both on every page load (new activity ids): no second welcome.
    again = fixture(f"playground/{scope}-conversation-update.json", bot.connector.service_url)
    again["id"] = "reloaded-page"
    await bot.post(again)
    assert len(bot.connector.messages()) == 1


async def test_personal_hilfe(bot: BotUnderTest) -> None:
    activity = await replay(bot, "personal-message-hilfe")
    [reply] = bot.connector.messages()
    assert reply.activity_id == activity["id"]
    assert reply.body["summary"].startswith("Befehle: hilfe")
    assert_valid_card(reply.body["attachments"][0]["content"])
    [trace] = bot.traces
    assert trace.step("route").details["skill"] == "help"


async def test_personal_frage_routes_to_policy_qa(bot: BotUnderTest) -> None:
    await replay(bot, "personal-message-frage")
    route = bot.traces[0].step("route").details
    assert (route["skill"], route["command"]) == ("policy_qa", "frage")


async def test_personal_kipass_for_the_playground_user(bot: BotUnderTest) -> None:
    await replay(bot, "personal-message-kipass")
    [reply] = bot.connector.messages()
    assert "31.12.2099" in str(reply.body)
    for attachment in reply.body.get("attachments", []):
        assert_valid_card(attachment["content"])
    [turn] = [line for line in bot.audit() if line["event"] == "turn"]
    assert turn["skill"] == "kipass" and turn["outcome"] == "ok"


async def test_group_chat_mention_is_stripped(bot: BotUnderTest) -> None:
    activity = await replay(bot, "groupchat-message-mention")
    [trace] = bot.traces
    assert trace.step("normalise").details["mention_removed"] is True
    route = trace.step("route").details
    assert route["command"] == "suche"
    [reply] = bot.connector.messages()
    assert reply.conversation_id == activity["conversation"]["id"]


async def test_channel_mention_reply_goes_into_the_thread(bot: BotUnderTest) -> None:
    activity = await replay(bot, "channel-message-mention")
    assert activity["conversation"]["id"] == "team-id;messageid=1795757882213"
    [reply] = bot.connector.messages()
    assert reply.conversation_id == "team-id;messageid=1795757882213"
    assert reply.body["replyToId"] == activity["id"]
    assert bot.traces[0].step("route").details["skill"] == "help"


async def test_playground_from_another_tenant_is_rejected(
    aiohttp_client: Any, connector: ConnectorRecorder, data_dir: Path
) -> None:
    bot = await start_bot(aiohttp_client, connector, data_dir, allowed_tenants=("contoso",))
    await replay(bot, "personal-message-hilfe")
    assert connector.calls == []


async def test_card_feedback_click_is_audited_and_thanked(bot: BotUnderTest) -> None:
    activity = await replay(bot, "personal-card-feedback-down")
    assert activity.get("text") is None and activity["value"]["kiwFeedback"] == "down"
    [reply] = bot.connector.messages()
    assert reply.body["text"] == "Danke für Ihre Rückmeldung."
    [line] = bot.audit()
    assert (line["event"], line["outcome"], line["scope"]) == ("feedback", "down", "personal")
    assert line["user"] and PLAYGROUND_USER not in str(line)


@pytest.mark.parametrize("scope", ["channel", "groupchat"])
async def test_kipass_mentioned_in_a_shared_conversation_answers_in_the_1to1_chat(
    bot: BotUnderTest, scope: str
) -> None:
    """The Playground's own channel and group-chat payloads with `kipass`: the status goes to
    the 1:1 chat created for Alex, the shared conversation gets the neutral line only."""
    activity = fixture(f"playground/{scope}-message-mention.json", bot.connector.service_url)
    activity["text"] = "<at>Test Bot</at> kipass"
    response = await bot.post(activity)
    assert response.status in (200, 201), await response.text()
    [line] = bot.connector.replies_to(activity["conversation"]["id"])
    assert line.body["text"] == "Ich habe Ihnen die Details im persönlichen Chat geschickt."
    assert "2099" not in str(line.body) and "gültig" not in str(line.body)
    [created] = bot.connector.created
    assert [m["id"] for m in created.body["members"]] == [activity["from"]["id"]]
    assert created.body["bot"]["id"] == activity["recipient"]["id"]
    assert created.body["channelData"] == {"tenant": {"id": PLAYGROUND_TENANT}}
    [status] = bot.connector.replies_to(created.reply_id)
    assert "Ihr KI-Pass ist gültig bis 31.12.2099." in str(status.body)
