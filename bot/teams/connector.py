"""Connector clients (bot -> Bot Connector REST API): one per serviceUrl, sending over the
app's shared aiohttp session.

Why: botbuilder 4.17.1's `_ConnectorFactoryImpl` builds a new `ConnectorClient` for every turn,
and msrest's configuration set-up (its retry policy builds a list of ~1000 status codes, a new
requests session and connection pool) costs several ms of CPU each time. Its default pipeline
then sends each reply with blocking `requests` in a worker thread, and signs it by calling the
credentials' synchronous token getter inside the event loop. Here:
- a `ConnectorClient` holds no per-turn state, so one per serviceUrl serves every turn;
- its pipeline sends with the shared aiohttp session (`SharedSessionDriver`): no threads, no
  GIL ping-pong with the event loop, pooled keep-alive connections;
- `BearerTokenPolicy` adds the cached outbound token (awaited fresh before the client is handed
  out), and replies are retried twice on 429 (Teams throttling) and 502/503/504
  (docs/bot-auth.md says why not msrest's policy).
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from typing import Any

from aiohttp import ClientConnectorError, ClientError, ClientSession, ClientTimeout
from botframework.connector import AsyncBfPipeline, BotFrameworkConnectorConfiguration
from botframework.connector.aio import ConnectorClient
from botframework.connector.auth import ConnectorFactory
from msrest.pipeline import Request, SansIOHTTPPolicy
from msrest.pipeline.aiohttp import AioHTTPSender
from msrest.universal_http import ClientRequest
from msrest.universal_http.aiohttp import AioHttpClientResponse
from msrest.universal_http.aiohttp import AioHTTPSender as AioHttpDriver
from msrest.universal_http.async_abc import AsyncClientResponse

from bot.teams.auth.outbound import OutboundTokenProvider

log = logging.getLogger(__name__)

USER_AGENT = "KI-Werkstatt-Assistent (botbuilder-python 4.17.1)"
# Teams uses a handful of regional service URLs; the bound only guards against surprises.
MAX_CACHED_CLIENTS = 64
# Per try. A short turn's reply is sent while Teams' POST is still open (~15 s budget), and an
# error reply may follow a failed one; a reply that takes longer has failed (docs/faults.md).
_TIMEOUT = ClientTimeout(total=6)
_RETRY_STATUSES = frozenset({429, 502, 503, 504})
_RETRIES = 2
_MAX_RETRY_AFTER_SECONDS = 3.0


class BearerTokenPolicy(SansIOHTTPPolicy):
    """Signs each connector request with the cached outbound token (none in local mode).

    Also serves as the client's `credentials` object, so SDK helpers that build further clients
    from `connector_client.config.credentials` (TeamsInfo) sign the same way."""

    def __init__(self, tokens: OutboundTokenProvider | None) -> None:
        self._tokens = tokens

    def on_request(self, request: Request, **kwargs: Any) -> None:
        if self._tokens is not None:
            request.http_request.headers["Authorization"] = f"Bearer {self._tokens.current_token()}"


class _LoadedResponse(AioHttpClientResponse):
    """msrest's aiohttp response treats an empty body as "not loaded" and raises on a 2xx
    answer without content (the Agents Playground answers some sends that way)."""

    def body(self) -> bytes:
        return self._body if self._body is not None else super().body()


class SharedSessionDriver(AioHttpDriver):
    """msrest's aiohttp driver, but over the session the app owns (msrest's own creates a
    private session per client and forwards neither headers nor body)."""

    def __init__(self, session: ClientSession) -> None:  # no super(): it would open a session
        self._session = session

    async def __aenter__(self) -> SharedSessionDriver:
        return self

    async def __aexit__(self, *exc_details: Any) -> None:
        return None  # the session belongs to the app, which closes it

    async def send(self, request: ClientRequest, **config: Any) -> AsyncClientResponse:
        for attempt in range(_RETRIES + 1):
            try:
                raw = await self._session.request(
                    request.method,
                    request.url,
                    headers=request.headers,
                    data=request.data,
                    timeout=_TIMEOUT,
                )
            except (ClientError, TimeoutError) as exc:
                # Only a request that never left is retried: after a timeout or a broken
                # answer the reply may have arrived, and a second try would duplicate it.
                if attempt == _RETRIES or not isinstance(exc, ClientConnectorError):
                    raise
                await asyncio.sleep(0.2 * (attempt + 1))
                continue
            if raw.status in _RETRY_STATUSES and attempt < _RETRIES:
                delay = _retry_after(raw.headers.get("Retry-After"), attempt)
                raw.release()
                log.info("Bot Connector answered %d; retrying in %.1f s", raw.status, delay)
                await asyncio.sleep(delay)
                continue
            response = _LoadedResponse(request, raw)
            await response.load_body()
            return response
        raise AssertionError("unreachable")


def _retry_after(header: str | None, attempt: int) -> float:
    try:
        seconds = float(header) if header else 0.5 * (attempt + 1)
    except ValueError:
        seconds = 0.5 * (attempt + 1)
    return min(max(seconds, 0.0), _MAX_RETRY_AFTER_SECONDS)


class CachedConnectorFactory(ConnectorFactory):
    def __init__(self, session: ClientSession, tokens: OutboundTokenProvider | None) -> None:
        # No token provider: local mode, replies go out without a token (Agents Playground).
        self._session = session
        self._tokens = tokens
        self._policy = BearerTokenPolicy(tokens)
        self._clients: OrderedDict[str, ConnectorClient] = OrderedDict()
        self.clients_created = 0

    async def create(self, service_url: str, audience: str | None = None) -> ConnectorClient:
        # Make sure the token is fresh *here*, asynchronously: the signing policy later reads it
        # synchronously, which must then only be a cache read.
        if self._tokens is not None:
            await self._tokens.token()
        key = service_url.rstrip("/").lower()
        client = self._clients.get(key)
        if client is None:
            client = self._new_client(service_url)
            self._clients[key] = client
            if len(self._clients) > MAX_CACHED_CLIENTS:
                self._clients.popitem(last=False)  # dropped, not closed: a turn may still hold it
        else:
            self._clients.move_to_end(key)
        return client

    def _new_client(self, service_url: str) -> ConnectorClient:
        config = BotFrameworkConnectorConfiguration(
            self._policy,
            service_url,
            pipeline_type=AsyncBfPipeline,
            sender=AioHTTPSender(driver=SharedSessionDriver(self._session)),
        )
        config.add_user_agent(USER_AGENT)
        self.clients_created += 1
        return ConnectorClient(self._policy, custom_configuration=config)

    async def close(self) -> None:
        self._clients.clear()  # nothing to close: the shared session belongs to the app
