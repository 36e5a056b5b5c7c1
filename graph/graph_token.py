"""kiota's token source for msgraph-sdk, backed by the one msal wrapper (graph/entra.py).

msgraph-sdk normally takes an azure-identity credential; here a small kiota
AccessTokenProvider hands it the app token msal keeps in its cache. The msal client is built
on the first token request, in a worker thread: building the directory never blocks start-up.
"""

from __future__ import annotations

import asyncio
import warnings
from typing import Any
from urllib.parse import urlsplit

with warnings.catch_warnings():  # see graph/msgraph.py: kiota's modules warn on first import
    warnings.simplefilter("ignore", DeprecationWarning)
    from kiota_abstractions.authentication import AccessTokenProvider, AllowedHostsValidator

from graph.entra import EntraApp, EntraError
from graph.principal import DirectoryUnavailable

GRAPH_SCOPE = "https://graph.microsoft.com/.default"


class TokenUnavailable(DirectoryUnavailable):
    """msal could not get an app token (wrong secret, unknown app or tenant, no connection)."""


class MsalTokenProvider(AccessTokenProvider):
    def __init__(self, entra: EntraApp, *, allowed_host: str) -> None:
        self.entra = entra
        self._validator = AllowedHostsValidator([allowed_host])
        self._lock = asyncio.Lock()
        self.token_requests = 0  # how often msal was asked (not how often it hit the network)

    def _acquire(self) -> str:
        try:
            return self.entra.token_for_client([GRAPH_SCOPE]).access_token
        except EntraError as exc:
            raise TokenUnavailable(str(exc)) from None

    async def token(self) -> str:
        self.token_requests += 1
        async with self._lock:  # one msal call at a time: a cold burst fetches one token
            return await asyncio.to_thread(self._acquire)

    async def get_authorization_token(
        self, uri: str, additional_authentication_context: dict[str, Any] | None = None
    ) -> str:
        if not self._validator.is_url_host_valid(uri):
            # Never send the Graph token to a host other than the configured Graph endpoint.
            raise DirectoryUnavailable(
                f"refusing to send the Graph token to {urlsplit(uri).netloc}"
            )
        return await self.token()

    def get_allowed_hosts_validator(self) -> AllowedHostsValidator:
        return self._validator

    def close(self) -> None:
        self.entra.close()
