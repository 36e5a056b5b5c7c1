"""The bot's outbound access token (bot -> Bot Connector), cached until shortly before expiry.

Why: botbuilder 4.17.1 builds a new `MicrosoftAppCredentials` (and with it a new MSAL client with
an empty cache) for every turn, and asks for the token synchronously inside the event loop while
signing the reply. In production that is one blocking round trip to Entra ID per reply.
Here one MSAL client lives as long as the adapter; the token is fetched in a worker thread
(MSAL is synchronous), one fetch at a time, and reused until `refresh_margin` before it expires.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

import msal
import requests
from botframework.connector.auth import AppCredentials

log = logging.getLogger(__name__)

BOT_CONNECTOR_SCOPE = "https://api.botframework.com"
# Tenant used for multi-tenant bots' outbound tokens (Bot Framework convention).
MULTI_TENANT_AUTHORITY_TENANT = "botframework.com"
DEFAULT_AUTHORITY_HOST = "https://login.microsoftonline.com"


class OutboundTokenError(PermissionError):
    """The token endpoint refused or failed (plain English, for the admin's log)."""


Acquire = Callable[[], Mapping[str, Any]]


class OutboundTokenProvider:
    def __init__(
        self,
        acquire: Acquire,
        *,
        refresh_margin_seconds: float = 300.0,
        clock: Callable[[], float] = time.time,
        http: requests.Session | None = None,
    ) -> None:
        self._acquire = acquire
        self._http = http
        self._margin = refresh_margin_seconds
        self._clock = clock
        self._token: str | None = None
        self._expires_at = 0.0
        self._refresh_at = 0.0
        self._lock = asyncio.Lock()
        self._sync_lock = threading.Lock()
        self.fetch_count = 0

    @classmethod
    def for_client_secret(
        cls,
        app_id: str,
        secret: str,
        *,
        tenant_id: str = "",
        authority_host: str = DEFAULT_AUTHORITY_HOST,
        scope: str = BOT_CONNECTOR_SCOPE,
    ) -> OutboundTokenProvider:
        """SingleTenant (tenant id given) or MultiTenant (botframework.com) app registration."""
        authority = f"{authority_host.rstrip('/')}/{tenant_id or MULTI_TENANT_AUTHORITY_TENANT}"
        scopes = [scope.rstrip("/") + "/.default"]
        apps: list[msal.ConfidentialClientApplication] = []
        http = requests.Session()

        def acquire() -> Mapping[str, Any]:
            # Built on first use, in the worker thread: MSAL's constructor already calls the
            # authority's discovery endpoint with blocking I/O.
            if not apps:
                apps.append(
                    msal.ConfidentialClientApplication(
                        client_id=app_id,
                        client_credential=secret,
                        authority=authority,
                        # The authority comes from the admin's configuration; instance discovery
                        # would call login.microsoftonline.com even for a sovereign or test host.
                        instance_discovery=False,
                        http_client=http,
                    )
                )
            result: Mapping[str, Any] = apps[0].acquire_token_for_client(scopes=scopes)
            return result

        return cls(acquire, http=http)

    @classmethod
    def for_managed_identity(
        cls, client_id: str, *, resource: str = BOT_CONNECTOR_SCOPE
    ) -> OutboundTokenProvider:
        """UserAssignedMSI: the platform's managed identity endpoint issues the token."""
        clients: list[msal.ManagedIdentityClient] = []
        http = requests.Session()

        def acquire() -> Mapping[str, Any]:
            if not clients:
                clients.append(
                    msal.ManagedIdentityClient(
                        msal.UserAssignedManagedIdentity(client_id=client_id),
                        http_client=http,
                    )
                )
            result: Mapping[str, Any] = clients[0].acquire_token_for_client(resource=resource)
            return result

        return cls(acquire, http=http)

    def close(self) -> None:
        """Close the token endpoint connection (keep-alive) held by MSAL's HTTP session."""
        if self._http is not None:
            self._http.close()

    def _valid(self, now: float) -> bool:
        return self._token is not None and now < self._refresh_at and now < self._expires_at - 10

    async def token(self) -> str:
        """A valid access token; at most one fetch in flight, never blocking the event loop."""
        if self._valid(self._clock()):
            assert self._token is not None
            return self._token
        async with self._lock:
            if not self._valid(self._clock()):
                await asyncio.to_thread(self._fetch)
            assert self._token is not None
            return self._token

    def current_token(self) -> str:
        """For the SDK's synchronous signing hook. The connector factory has awaited `token()`
        before handing out a client, so this is a cache read; the blocking fetch is a fallback
        (e.g. a long turn that outlived its token)."""
        if not self._valid(self._clock()):
            log.warning("Outbound token fetched synchronously (turn outlived the cached token)")
            self._fetch()
        assert self._token is not None
        return self._token

    def _fetch(self) -> None:
        with self._sync_lock:
            now = self._clock()
            if self._valid(now):
                return
            result = self._acquire()
            self.fetch_count += 1
            token = result.get("access_token")
            if not isinstance(token, str) or not token:
                raise OutboundTokenError(
                    "Could not get the bot's access token for the Bot Connector: "
                    f"{result.get('error', 'unknown error')}: "
                    f"{str(result.get('error_description', ''))[:300]}"
                )
            lifetime = float(result.get("expires_in") or 3600)
            self._token = token
            self._expires_at = now + lifetime
            # Never refetch more often than every 30 s, even if the issuer hands out short tokens.
            self._refresh_at = now + max(lifetime - self._margin, min(30.0, lifetime / 2))


class CachedTokenCredentials(AppCredentials):
    """msrest credentials for the SDK's ConnectorClient that sign with the cached token."""

    def __init__(self, provider: OutboundTokenProvider, app_id: str, oauth_scope: str) -> None:
        super().__init__(app_id=app_id, oauth_scope=oauth_scope)
        self._provider = provider

    def get_access_token(self, force_refresh: bool = False) -> str:
        return self._provider.current_token()
