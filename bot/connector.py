"""Connector clients (bot -> Bot Connector REST API), one per serviceUrl, reused across turns.

Why: botbuilder 4.17.1's `_ConnectorFactoryImpl` builds a new `ConnectorClient` per turn, and
msrest's configuration set-up (its retry policy builds a list of ~1000 status codes, a new
requests session and connection pool) costs about 10 ms of CPU each time. A `ConnectorClient`
holds no per-turn state, so one per serviceUrl serves every turn.
"""

from __future__ import annotations

from collections import OrderedDict

from botframework.connector.aio import ConnectorClient
from botframework.connector.auth import ConnectorFactory, MicrosoftAppCredentials
from msrest.authentication import Authentication

from bot.auth.outbound import OutboundTokenProvider

USER_AGENT = "KI-Werkstatt-Assistent (botbuilder-python 4.17.1)"
# Teams uses a handful of regional service URLs; the bound only guards against surprises.
MAX_CACHED_CLIENTS = 64


class CachedConnectorFactory(ConnectorFactory):
    def __init__(
        self,
        credentials: Authentication | None = None,
        tokens: OutboundTokenProvider | None = None,
    ) -> None:
        # No credentials: local mode, replies go out without a token (Agents Playground).
        self._credentials = credentials or MicrosoftAppCredentials.empty()
        self._tokens = tokens
        self._clients: OrderedDict[str, ConnectorClient] = OrderedDict()
        self.clients_created = 0

    async def create(self, service_url: str, audience: str | None = None) -> ConnectorClient:
        # Make sure the token is fresh *here*, asynchronously: the SDK later asks for it from a
        # synchronous hook inside the event loop, which must then only read the cache.
        if self._tokens is not None:
            await self._tokens.token()
        key = service_url.rstrip("/").lower()
        client = self._clients.get(key)
        if client is None:
            client = ConnectorClient(self._credentials, base_url=service_url)
            client.config.add_user_agent(USER_AGENT)
            self.clients_created += 1
            self._clients[key] = client
            if len(self._clients) > MAX_CACHED_CLIENTS:
                # Dropped, not closed: a turn still running may hold it.
                self._clients.popitem(last=False)
        else:
            self._clients.move_to_end(key)
        return client

    async def close(self) -> None:
        clients, self._clients = list(self._clients.values()), OrderedDict()
        for client in clients:
            await client.__aexit__(None, None, None)
