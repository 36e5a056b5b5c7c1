"""The HTTP -> Bot Framework boundary. FIRST VERSION: stock CloudAdapter.

Contract used by bot/app.py (do not change without updating it):
    adapter = build_adapter(settings, session)
    response = await adapter.handle(request, bot)   # never raises; never a 500 for auth failures
"""

from __future__ import annotations

from types import SimpleNamespace

from aiohttp import ClientSession, web
from botbuilder.core import Bot
from botbuilder.integration.aiohttp import CloudAdapter, ConfigurationBotFrameworkAuthentication

from bot.settings import Settings


class KiwAdapter(CloudAdapter):
    async def handle(self, request: web.Request, bot: Bot) -> web.Response:
        response = await self.process(request, bot)
        return response if response is not None else web.Response(status=200)


def build_adapter(settings: Settings, session: ClientSession) -> KiwAdapter:
    config = SimpleNamespace(
        APP_ID=settings.microsoft_app_id,
        APP_PASSWORD=settings.microsoft_app_password,
        APP_TYPE=settings.microsoft_app_type.value,
        APP_TENANTID=settings.microsoft_app_tenant_id,
    )
    return KiwAdapter(ConfigurationBotFrameworkAuthentication(config))
