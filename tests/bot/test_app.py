"""The HTTP surface of the bot (local mode): messages, probes, bad input; never a 500."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.bot.kit import (
    BotUnderTest,
    message,
    start_bot,
)
from tests.support.connector import ConnectorRecorder


@pytest.fixture
async def bot(aiohttp_client: Any, connector: ConnectorRecorder, data_dir: Path) -> BotUnderTest:
    return await start_bot(aiohttp_client, connector, data_dir)


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
