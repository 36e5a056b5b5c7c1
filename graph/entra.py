"""Microsoft Entra ID through msal: the one confidential client, its HTTP session and token
cache, and the authority's answers in plain words.

Three parts of the bot ask Entra ID for tokens: the bot's own token for the Bot Connector
(bot/teams/auth/outbound.py), the directory's app token for Microsoft Graph
(graph/graph_token.py) and the dashboard's sign-in (bot/werkstatt/auth.py). What they share
lives here, once:

- msal is synchronous and its constructor already calls the authority (OpenID discovery), so
  the client is built lazily, once, on first use; every msal call here blocks, and async
  callers run it in a worker thread (`asyncio.to_thread`);
- `instance_discovery=False`: the authority comes from the admin's configuration; discovery
  would ask login.microsoftonline.com even for a sovereign cloud or a loopback test authority;
- msal's HTTP session gets a timeout on every request (msal passes none when it is handed a
  session, and requests waits forever by default: one authority that accepted but never
  answered once held every turn for minutes), the TLS verification per request (requests lets
  REQUESTS_CA_BUNDLE override a session's `verify`), and msal's own one retry on a failed
  connection (none where the caller retries itself);
- `close()` closes the session's pooled connections to the token endpoint;
- the answers: `EntraUnreachable` (network, TLS, timeouts, unreadable discovery, and the
  authority's own "try again" answers) apart from `EntraRefused` (the credentials, the app or
  the consent are wrong: retrying does not help), with the AADSTS codes admins meet most in
  plain words.

graph/ is the identity seam and imports no other project package, so bot/ may use this too.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msal
import requests
import requests.adapters

from graph.principal import DirectoryFileError

DEFAULT_AUTHORITY_HOST = "https://login.microsoftonline.com"

# Answers of the authority that mean "try again" rather than "your credentials are wrong".
TRANSIENT_ERRORS = frozenset({"temporarily_unavailable", "server_error"})

# AADSTS codes admins meet most, in plain words; {secret}, {client_id}, {tenant}: the settings
# the admin sets for this client (Settings names).
_AADSTS_HINTS = {
    "AADSTS7000215": "the client secret is wrong ({secret})",
    "AADSTS7000222": "the client secret has expired: create a new one in the app registration",
    "AADSTS700016": "no app with this client id exists in the tenant ({client_id})",
    "AADSTS90002": "the tenant does not exist ({tenant})",
    "AADSTS700027": "the certificate is not registered with the app or its signature is invalid",
    "AADSTS65001": "admin consent for the app's permissions is missing",
}


@dataclass(frozen=True)
class SettingNames:
    """Where the admin sets this client's secret, id and tenant (named in the hints)."""

    secret: str
    client_id: str
    tenant: str


GRAPH_SETTINGS = SettingNames(
    "KIW_GRAPH_CLIENT_SECRET", "KIW_GRAPH_CLIENT_ID", "KIW_GRAPH_TENANT_ID"
)
BOT_SETTINGS = SettingNames("MicrosoftAppPassword", "MicrosoftAppId", "MicrosoftAppTenantId")


class EntraError(Exception):
    """No token from Entra ID; the message says why in plain English (for the admin's log)."""


class EntraUnreachable(EntraError):
    """The authority could not be reached, was too slow, or asked to try again later."""


class EntraRefused(EntraError):
    """The authority answered and refused: wrong secret or certificate, unknown app or tenant,
    missing consent. `error` is its error code."""

    def __init__(self, message: str, error: str) -> None:
        super().__init__(message)
        self.error = error


def plain_token_error(result: Mapping[str, Any], names: SettingNames = GRAPH_SETTINGS) -> str:
    description = str(result.get("error_description") or "")
    for code, hint in _AADSTS_HINTS.items():
        if code in description:
            hint = hint.format(secret=names.secret, client_id=names.client_id, tenant=names.tenant)
            return f"token request refused: {hint} ({code})"
    error = result.get("error") or "unknown_error"
    first_line = description.splitlines()[0][:300] if description else ""
    return f"token request refused: {error}" + (f" ({first_line})" if first_line else "")


@dataclass(frozen=True)
class Token:
    access_token: str
    expires_in: float  # seconds, as the authority said (3600 when it did not)


def read_token(result: Any, names: SettingNames = GRAPH_SETTINGS) -> Token:
    """The token in msal's answer, or the error it carries as EntraRefused/EntraUnreachable."""
    answer: Mapping[str, Any] = result if isinstance(result, Mapping) else {}
    token = answer.get("access_token")
    if isinstance(token, str) and token:
        return Token(token, float(answer.get("expires_in") or 3600))
    error = str(answer.get("error") or "unknown_error")
    if error in TRANSIENT_ERRORS:
        raise EntraUnreachable(plain_token_error(answer, names))
    raise EntraRefused(plain_token_error(answer, names), error)


class EntraHttp(requests.Session):
    """msal's HTTP client: a timeout and the TLS verification on every request.

    `timeout` may be changed between calls (the bot's outbound token sets it to what is left of
    its deadline before each try)."""

    def __init__(self, *, verify: bool | str = True, timeout: float = 10.0, retries: int = 1):
        super().__init__()
        self.verify = verify
        self.timeout = timeout
        adapter = requests.adapters.HTTPAdapter(max_retries=retries)
        self.mount("https://", adapter)
        self.mount("http://", adapter)

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("verify", self.verify)
        kwargs["timeout"] = kwargs.get("timeout") or self.timeout
        return super().request(method, url, *args, **kwargs)


def authority_url(tenant: str, host: str = DEFAULT_AUTHORITY_HOST) -> str:
    return f"{host.rstrip('/')}/{tenant}"


class EntraApp:
    """One msal ConfidentialClientApplication (secret or certificate) with its own token cache.

    Blocking throughout: call `client()` and `token_for_client()` in a worker thread."""

    def __init__(
        self,
        *,
        client_id: str,
        credential: str | dict[str, Any],
        authority: str,
        verify: bool | str = True,
        timeout_seconds: float = 10.0,
        retries: int = 1,
        settings: SettingNames = GRAPH_SETTINGS,
    ) -> None:
        self.client_id = client_id
        self.settings = settings
        self.authority = authority
        self._credential = credential
        self.http = EntraHttp(verify=verify, timeout=timeout_seconds, retries=retries)
        self._app: msal.ConfidentialClientApplication | None = None
        self._lock = threading.Lock()  # one build, however many threads ask at once

    def client(self) -> msal.ConfidentialClientApplication:
        with self._lock:
            if self._app is None:
                self._app = self._build()
            return self._app

    def _build(self) -> msal.ConfidentialClientApplication:
        try:
            return msal.ConfidentialClientApplication(
                self.client_id,
                client_credential=self._credential,
                authority=self.authority,
                instance_discovery=False,
                http_client=self.http,
                token_cache=msal.TokenCache(),
            )
        except ValueError as exc:  # unknown tenant, discovery unreadable, authority malformed
            raise EntraUnreachable(f"cannot use the authority {self.authority}: {exc}") from None
        except Exception as exc:  # requests' connection errors and friends
            raise EntraUnreachable(
                f"cannot reach the authority {self.authority}: {type(exc).__name__}"
            ) from None

    def token_for_client(self, scopes: list[str]) -> Token:
        """An app token (client credentials); msal answers from its cache until shortly before
        the token expires."""
        app = self.client()
        try:
            result = app.acquire_token_for_client(scopes=scopes)
        except Exception as exc:  # network, TLS: msal raises many kinds
            raise EntraUnreachable(
                f"token request failed: {type(exc).__name__}: {str(exc)[:300]}"
            ) from None
        return read_token(result, self.settings)

    def close(self) -> None:
        """Close the pooled connections to the authority (the client stays usable)."""
        self.http.close()


def load_certificate_credential(path: Path) -> dict[str, Any]:
    """msal client_credential for a certificate: .pfx/.p12, or PEM with key and certificate."""
    if not path.is_file():
        raise DirectoryFileError(
            f"client certificate {path} not found (KIW_GRAPH_CLIENT_CERTIFICATE)"
        )
    if path.suffix.lower() in (".pfx", ".p12"):
        return {"private_key_pfx_path": str(path), "public_certificate": True}
    text = path.read_text(encoding="utf-8", errors="replace")
    key = re.search(
        r"-----BEGIN (?:RSA |EC )?PRIVATE KEY-----.*?-----END (?:RSA |EC )?PRIVATE KEY-----",
        text,
        re.S,
    )
    cert = re.search(r"-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----", text, re.S)
    if not key or not cert:
        raise DirectoryFileError(
            f"client certificate {path} must hold the private key and the certificate in PEM "
            "(or be a .pfx file)"
        )
    return {"private_key": key.group(0), "public_certificate": cert.group(0)}
