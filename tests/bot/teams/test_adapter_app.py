"""The adapter inside the real composition root (bot.app.create_app), auth ON, over loopback."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import ClientSession, web

from bot.app import create_app
from tests.bot.kit import make_services, make_settings
from tests.bot.teams.test_auth import forged_tokens
from tests.support.botframework import BotFrameworkStubs
from tests.support.turns import APP_ID, TENANT_ID, compose_extension_query, message


@pytest.fixture
async def app_url(stubs: BotFrameworkStubs, data_dir: Path) -> AsyncIterator[str]:
    settings = make_settings(data_dir, **stubs.settings_overrides(APP_ID, TENANT_ID))
    assert not settings.local_mode
    runner = web.AppRunner(create_app(settings, services=make_services(settings)), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    yield f"http://127.0.0.1:{runner.addresses[0][1]}/api/messages"
    await runner.cleanup()


async def post(url: str, body: dict[str, Any], token: str | None) -> tuple[int, str]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with ClientSession() as client, client.post(url, json=body, headers=headers) as response:
        return response.status, await response.text()


async def test_hilfe_with_a_valid_token_replies_with_the_bot_token(
    app_url: str, stubs: BotFrameworkStubs
) -> None:
    service_url = stubs.connector.service_url
    for _ in range(3):
        activity = message(service_url, "hilfe")
        status, _ = await post(app_url, activity, stubs.identity.sign(APP_ID, service_url))
        assert status == 200
        replies = [
            c
            for c in stubs.connector.replies_to(activity["conversation"]["id"])
            if c.body.get("type") == "message"
        ]
        assert replies, "no reply reached the connector"
        assert {c.authorization for c in replies} == {"Bearer outbound-token-1"}
    assert len(stubs.entra.token_requests) == 1


async def test_forged_tokens_get_401_from_the_app(app_url: str, stubs: BotFrameworkStubs) -> None:
    service_url = stubs.connector.service_url
    cases = {name: pair for name, pair in forged_tokens(stubs.identity).items()}
    cases["no header"] = ("", "msteams")
    statuses = {}
    for name, (token, channel) in cases.items():
        status, body = await post(app_url, message(service_url, "hilfe", channel_id=channel), token)
        statuses[name] = status
        assert "Traceback" not in body
    assert statuses == dict.fromkeys(cases, 401)
    assert stubs.connector.calls == []


async def test_message_extension_query_through_the_app_is_200_json(
    app_url: str, stubs: BotFrameworkStubs
) -> None:
    service_url = stubs.connector.service_url
    activity = compose_extension_query(service_url, "Radverkehr")
    activity["value"]["commandId"] = "allrisSearch"
    status, body = await post(app_url, activity, stubs.identity.sign(APP_ID, service_url))
    assert status == 200
    assert "composeExtension" in json.loads(body)
