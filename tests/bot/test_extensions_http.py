"""The recorded invokes through the REAL HTTP endpoint (create_app, the SDK, the adapter):
the invoke response body Teams/Outlook receive is the extension's JSON object, never a 500."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests.bot.extension_kit import assert_outlook_safe, cards_in, invoke, seeded_services
from tests.bot.kit import (
    BotUnderTest,
    start_bot,
)
from tests.support.connector import ConnectorRecorder


@pytest.fixture
async def bot(
    aiohttp_client: Any, connector: ConnectorRecorder, data_dir: Path
) -> AsyncIterator[BotUnderTest]:
    services = await seeded_services(data_dir)
    yield await start_bot(
        aiohttp_client, connector, data_dir, services=services, allris_host="ratsinfo.luebeck.de"
    )
    await services.aclose()


async def post(bot: BotUnderTest, activity: dict[str, Any]) -> dict[str, Any]:
    response = await bot.post(activity)
    assert response.status == 200, await response.text()
    body = await response.json()
    assert isinstance(body, dict), f"invoke body must be a JSON object, got {body!r}"
    return body


@pytest.mark.parametrize("fixture", ["query_teams.json", "query_outlook.json"])
async def test_search_over_http(bot: BotUnderTest, fixture: str) -> None:
    body = await post(bot, invoke(fixture, bot.connector.service_url))
    result = body["composeExtension"]
    assert result["type"] == "result" and result["attachments"]
    for card in cards_in(body):
        assert_outlook_safe(card)
    assert bot.connector.messages() == []  # answered in the HTTP response, nothing proactive


async def test_message_action_over_http(bot: BotUnderTest) -> None:
    body = await post(bot, invoke("fetch_task_summarise.json", bot.connector.service_url))
    [dialog] = cards_in(body)
    assert_outlook_safe(dialog, dialog=True)
    submit = invoke("submit_action_insert.json", bot.connector.service_url)
    submit["value"]["data"] = dialog["actions"][0]["data"]
    body = await post(bot, submit)
    [card] = cards_in(body)
    assert_outlook_safe(card)


async def test_link_unfurl_over_http(bot: BotUnderTest) -> None:
    body = await post(bot, invoke("query_link.json", bot.connector.service_url))
    [card] = cards_in(body)
    assert_outlook_safe(card)
    foreign = invoke("query_link.json", bot.connector.service_url)
    foreign["value"]["url"] = "https://example.org/paper/1"
    assert (await post(bot, foreign))["composeExtension"]["attachments"] == []


@pytest.mark.parametrize(
    "change",
    [
        {
            "value": {
                "parameters": [{"name": "query", "value": "x" * 2000}],
                "commandId": "allrisSearch",
            }
        },
        {"value": {"parameters": [{"name": "query", "value": "Radverkehr"}]}},
        {"value": None},
        {"from": {"id": "29:no-aad-object-id", "name": "Ohne Konto"}},
        {  # a question is answered by the generator: refused without a KI-Pass
            "from": {"id": "29:x", "aadObjectId": "aad-user-without-kipass"},
            "value": {
                "parameters": [{"name": "query", "value": "Was kostet der Radverkehr?"}],
                "commandId": "allrisSearch",
            },
        },
    ],
)
async def test_bad_invokes_over_http_get_a_german_hint(
    bot: BotUnderTest, change: dict[str, Any]
) -> None:
    activity = invoke("query_teams.json", bot.connector.service_url)
    activity.update(change)
    body = await post(bot, activity)
    result = body["composeExtension"]
    assert result["type"] == "message"
    assert result["text"] and json.dumps(result, ensure_ascii=False).isprintable()
