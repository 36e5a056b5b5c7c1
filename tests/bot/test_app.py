"""The HTTP surface of the bot (local mode): messages, probes, bad input; never a 500."""

from __future__ import annotations

from tests.bot.kit import (
    BotUnderTest,
    message,
)


async def test_hilfe_in_personal_chat_gets_help_card(bot: BotUnderTest) -> None:
    activity = message("hilfe", bot.connector.service_url)
    response = await bot.post(activity)
    assert response.status in (200, 201)
    [reply] = bot.connector.messages()
    assert reply.activity_id == activity["id"]  # a reply to the user's message
    card = reply.body["attachments"][0]
    assert card["contentType"] == "application/vnd.microsoft.card.adaptive"
    assert card["content"]["version"] == "1.5"
    assert "hilfe" in reply.body["summary"]  # plain-text fallback lists the commands
    assert "text" not in reply.body  # Teams would show it above the card: the help twice
