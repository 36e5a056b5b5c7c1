"""Fixtures of the Teams edge tests: the loopback Bot Framework stubs and adapter endpoints."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import ClientSession, web
from botbuilder.core import Bot

from bot.settings import Settings
from bot.teams.adapter import build_adapter
from tests.bot.kit import BotUnderTest
from tests.bot.teams.endpoint import Endpoint, MakeEndpoint, serve
from tests.bot.teams.handler_kit import handler_bot
from tests.support.botframework import BotFrameworkStubs
from tests.support.clock import ManualClock
from tests.support.connector import ConnectorRecorder
from tests.support.turns import APP_ID, TENANT_ID, EchoTeamsBot


@pytest.fixture
async def stubs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[BotFrameworkStubs]:
    started = await BotFrameworkStubs.start(tmp_path)
    # MSAL (requests) must trust the loopback token endpoint's self-signed certificate.
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(started.tls.cert_file))
    yield started
    await started.close()


@pytest.fixture
async def make_endpoint(stubs: BotFrameworkStubs) -> AsyncIterator[MakeEndpoint]:
    made: list[tuple[Endpoint, web.AppRunner]] = []

    async def make(
        bot: Bot | None = None,
        *,
        local_mode: bool = False,
        app_type: str = "SingleTenant",
        **settings_overrides: Any,
    ) -> Endpoint:
        overrides: dict[str, Any] = {}
        if not local_mode:
            overrides = {
                **stubs.settings_overrides(APP_ID, TENANT_ID),
                "microsoft_app_type": app_type,
            }
        overrides.update(settings_overrides)
        settings = Settings(_env_file=None, **overrides)  # type: ignore[call-arg]
        client = ClientSession()
        adapter = build_adapter(settings, client)
        runner = await serve(adapter, bot or EchoTeamsBot())
        endpoint = Endpoint(
            f"http://127.0.0.1:{runner.addresses[0][1]}/api/messages", adapter, stubs, client
        )
        made.append((endpoint, runner))
        return endpoint

    yield make
    for endpoint, runner in made:
        await runner.cleanup()
        await endpoint.adapter.close()
        await endpoint.client.close()


@pytest.fixture
async def bot(
    aiohttp_client: Any, connector: ConnectorRecorder, data_dir: Path, clock: ManualClock
) -> BotUnderTest:
    """The Teams handler over the sample corpus and the loopback connector (handler_kit.py);
    modules with a bot of their own (streaming, personal, Playground) override it."""
    return await handler_bot(aiohttp_client, connector, data_dir, clock)
