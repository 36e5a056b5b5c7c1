"""The bot's outbound access token (bot -> Bot Connector), cached until shortly before expiry.

Why: botbuilder 4.17.1 builds a new `MicrosoftAppCredentials` (and with it a new MSAL client with
an empty cache) for every turn, and asks for the token synchronously inside the event loop while
signing the reply. In production that is one blocking round trip to Entra ID per reply.
Here one MSAL client (graph/entra.py, the wrapper the directory and the dashboard's sign-in use
too) lives as long as the adapter; the token is fetched in a worker thread (MSAL is
synchronous), one fetch at a time, and reused until `refresh_margin` before it expires.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

import msal
from botframework.connector.auth import AppCredentials

from graph.entra import (
    BOT_SETTINGS,
    DEFAULT_AUTHORITY_HOST,
    EntraApp,
    EntraHttp,
    EntraRefused,
    EntraUnreachable,
    authority_url,
    read_token,
)

log = logging.getLogger(__name__)

BOT_CONNECTOR_SCOPE = "https://api.botframework.com"
# Tenant used for multi-tenant bots' outbound tokens (Bot Framework convention).
MULTI_TENANT_AUTHORITY_TENANT = "botframework.com"
# All tries for one token together; inside Teams' ~15 s, leaving room for the reply itself.
DEFAULT_DEADLINE_SECONDS = 8.0


class OutboundTokenError(PermissionError):
    """The token endpoint refused or failed (plain English, for the admin's log)."""


class OutboundTokenUnavailable(OutboundTokenError):
    """The token authority could not be reached or did not answer within the deadline."""


Acquire = Callable[[], Mapping[str, Any]]
_WHAT = "Could not get the bot's access token for the Bot Connector"


class OutboundTokenProvider:
    """One cached token; fetches bounded by a deadline, retried with backoff.

    - All tries of one fetch together take at most `deadline_seconds`; the caller (a turn) then
      gets OutboundTokenUnavailable, which the adapter answers with 503.
    - After a failed fetch, callers fail at once for `cooldown_seconds` instead of queueing
      behind one another (a hanging authority used to stack up one timeout per waiting POST).
    - A token that is only due for refresh (inside `refresh_margin`) but not expired is used
      while the refresh runs in the background, and still when it fails, so a short authority
      outage costs nothing and no turn waits for a refresh."""

    def __init__(
        self,
        acquire: Acquire,
        *,
        refresh_margin_seconds: float = 300.0,
        clock: Callable[[], float] = time.time,
        http: EntraHttp | None = None,
        deadline_seconds: float = DEFAULT_DEADLINE_SECONDS,
        attempts: int = 3,
        backoff_seconds: float = 0.25,
        cooldown_seconds: float = 5.0,
    ) -> None:
        self._acquire = acquire
        self._http = http
        self._margin = refresh_margin_seconds
        self._clock = clock
        self._deadline = deadline_seconds
        self._attempts = max(1, attempts)
        self._backoff = backoff_seconds
        self._cooldown = cooldown_seconds
        self._token: str | None = None
        self._expires_at = 0.0
        self._refresh_at = 0.0
        self._failure: OutboundTokenError | None = None
        self._failed_at = 0.0
        self._lock = asyncio.Lock()
        self._sync_lock = threading.Lock()
        self.refresh_task: asyncio.Task[None] | None = None  # a background refresh, if running
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
        deadline_seconds: float = DEFAULT_DEADLINE_SECONDS,
    ) -> OutboundTokenProvider:
        """SingleTenant (tenant id given) or MultiTenant (botframework.com) app registration."""
        # No retry of msal's own: the provider retries with backoff within its deadline.
        entra = EntraApp(
            client_id=app_id,
            credential=secret,
            authority=authority_url(tenant_id or MULTI_TENANT_AUTHORITY_TENANT, authority_host),
            timeout_seconds=deadline_seconds,
            retries=0,
            settings=BOT_SETTINGS,
        )
        scopes = [scope.rstrip("/") + "/.default"]

        def acquire() -> Mapping[str, Any]:
            result: Mapping[str, Any] = entra.client().acquire_token_for_client(scopes=scopes)
            return result

        return cls(acquire, http=entra.http, deadline_seconds=deadline_seconds)

    @classmethod
    def for_managed_identity(
        cls,
        client_id: str,
        *,
        resource: str = BOT_CONNECTOR_SCOPE,
        deadline_seconds: float = DEFAULT_DEADLINE_SECONDS,
    ) -> OutboundTokenProvider:
        """UserAssignedMSI: the platform's managed identity endpoint issues the token."""
        clients: list[msal.ManagedIdentityClient] = []
        http = EntraHttp(timeout=deadline_seconds, retries=0)

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

        return cls(acquire, http=http, deadline_seconds=deadline_seconds)

    def close(self) -> None:
        """Close the token endpoint connection (keep-alive) held by MSAL's HTTP session."""
        if self.refresh_task is not None:
            self.refresh_task.cancel()
        if self._http is not None:
            self._http.close()

    def _valid(self, now: float) -> bool:
        return self._token is not None and now < self._refresh_at and now < self._expires_at - 10

    def _usable(self, now: float) -> bool:
        """Not expired (it may be due for refresh)."""
        return self._token is not None and now < self._expires_at - 10

    async def token(self) -> str:
        """A valid access token; at most one fetch in flight, never blocking the event loop.

        While the current token is still usable (only due for refresh) it is returned at once
        and the refresh runs in the background: no turn waits for the authority then. Without
        a usable token the caller waits for the fetch, at most the deadline, and gets
        OutboundTokenError (refused) or OutboundTokenUnavailable (unreachable, too slow)."""
        now = self._clock()
        if self._valid(now):
            assert self._token is not None
            return self._token
        if self._usable(now):
            if self.refresh_task is None and not self._cooling_down(now):
                self.refresh_task = asyncio.create_task(self._refresh())
                self.refresh_task.add_done_callback(self._refresh_done)
            assert self._token is not None
            return self._token
        if self._cooling_down(now):
            assert self._failure is not None
            raise self._failure
        await self._refresh()
        if not self._valid(self._clock()):
            raise self._failure or OutboundTokenUnavailable("no outbound token")
        assert self._token is not None
        return self._token

    async def ping(self) -> None:
        """For /readyz: fails when the bot could not sign a reply now."""
        await self.token()

    async def _refresh(self) -> None:
        """One fetch (shared by everyone waiting), bounded by the deadline; failures recorded."""
        try:
            async with asyncio.timeout(self._deadline):
                async with self._lock:
                    now = self._clock()
                    if not self._valid(now) and not self._cooling_down(now):
                        await self._fetch_with_retries()
        except TimeoutError:
            self._record(
                OutboundTokenUnavailable(
                    f"the token authority did not answer within {self._deadline:g} s"
                )
            )
        except OutboundTokenError as exc:
            self._record(exc)

    def _refresh_done(self, _task: asyncio.Task[None]) -> None:
        self.refresh_task = None

    def _cooling_down(self, now: float) -> bool:
        return self._failure is not None and now - self._failed_at < self._cooldown

    def _record(self, failure: OutboundTokenError) -> None:
        if failure is not self._failure:
            log.error("Outbound token unavailable: %s", failure)
        self._failure = failure
        self._failed_at = self._clock()

    async def _fetch_with_retries(self) -> None:
        started = time.monotonic()
        last: OutboundTokenUnavailable | None = None
        for attempt in range(self._attempts):
            remaining = self._deadline - (time.monotonic() - started)
            if remaining <= 0:
                break
            try:
                await asyncio.to_thread(self._fetch, remaining)
            except OutboundTokenUnavailable as exc:
                last = exc
                log.warning("Outbound token try %d failed: %s", attempt + 1, exc)
                await asyncio.sleep(min(self._backoff * 2**attempt, max(remaining - 0.05, 0)))
                continue
            self._failure = None
            return
        raise last or OutboundTokenUnavailable("no time left to ask the token authority")

    def current_token(self) -> str:
        """For the SDK's synchronous signing hook: a cache read. The connector factory has
        awaited `token()` before handing out a client; fetching here would block the event loop
        for as long as the authority takes, so an expired token is an error instead."""
        if not self._usable(self._clock()):
            raise OutboundTokenUnavailable("the cached outbound token expired during the turn")
        assert self._token is not None
        return self._token

    def _fetch(self, timeout: float) -> None:
        with self._sync_lock:
            now = self._clock()
            if self._valid(now):
                return
            if self._http is not None:
                self._http.timeout = max(timeout, 0.1)
            try:
                result = self._acquire()
            except Exception as exc:  # network, TLS, discovery: MSAL raises many kinds
                raise OutboundTokenUnavailable(
                    f"token authority unreachable: {type(exc).__name__}: {str(exc)[:300]}"
                ) from exc
            self.fetch_count += 1
            try:
                token = read_token(result, BOT_SETTINGS)
            except EntraUnreachable as exc:
                raise OutboundTokenUnavailable(f"{_WHAT}: {exc}") from None
            except EntraRefused as exc:
                raise OutboundTokenError(f"{_WHAT}: {exc}") from None
            lifetime = token.expires_in
            self._token = token.access_token
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
