"""The adapter alone behind a real aiohttp server, auth ON, against the loopback Bot Framework
stubs (tests/support/botframework.py): for tests of the HTTP edge with a stock SDK bot."""

from __future__ import annotations

import io
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import ClientSession, web
from botbuilder.core import Bot

from bot.teams.adapter import KiwAdapter
from tests.support.botframework import BotFrameworkStubs
from tests.support.turns import APP_ID


@dataclass
class Endpoint:
    url: str
    adapter: KiwAdapter
    stubs: BotFrameworkStubs
    client: ClientSession

    @property
    def service_url(self) -> str:
        return self.stubs.connector.service_url

    def token(self, **claims: Any) -> str:
        return self.stubs.identity.sign(APP_ID, self.service_url, **claims)

    async def post(
        self, body: Any, *, token: str | None = "valid", headers: dict[str, str] | None = None
    ) -> tuple[int, str]:
        all_headers = dict(headers or {})
        if token == "valid":
            token = self.token()
        if token is not None:
            all_headers["Authorization"] = f"Bearer {token}"
        if isinstance(body, (bytes, str)):
            all_headers.setdefault("Content-Type", "application/json")
            raw = body.encode() if isinstance(body, str) else body
            kwargs: dict[str, Any] = {"data": io.BytesIO(raw)}
        else:
            kwargs = {"json": body}
        async with self.client.post(self.url, headers=all_headers, **kwargs) as response:
            return response.status, await response.text()


async def serve(adapter: KiwAdapter, bot: Bot) -> web.AppRunner:
    async def messages(request: web.Request) -> web.Response:
        return await adapter.handle(request, bot)

    app = web.Application()
    app.router.add_post("/api/messages", messages)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    return runner


MakeEndpoint = Callable[..., Awaitable[Endpoint]]
