"""A loopback stand-in for Microsoft Entra (token endpoint) and Microsoft Graph (users, groups).

It answers the REAL calls msal and msgraph-sdk make, over HTTPS with a self-signed certificate
for 127.0.0.1 (msal only accepts https authorities):
- `GET /{tenant}/v2.0/.well-known/openid-configuration` (msal's tenant discovery),
- `POST /{tenant}/oauth2/v2.0/token` (client credentials: secret, or a certificate-signed
  client assertion that is verified against the registered certificate),
- `GET /v1.0/users` ($top), `GET /v1.0/users/{id or upn}` ($select),
- `GET /v1.0/users/{id}/transitiveMemberOf/graph.group` (and microsoft.graph.group), paged via
  @odata.nextLink with a $skiptoken.
Failure modes are switches on the server (`throttle_next`, `fail_next`, `delay_seconds`,
`malformed`, `deny_permission`), and every request is recorded for assertions.
Used by tests/graph and bench/directory.py. No SDK function is patched.
"""

from __future__ import annotations

import asyncio
import secrets
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jwt
from aiohttp import web
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.support.botframework import LoopbackTls, self_signed

TENANT = "7c2b0d4e-3f51-4b8a-9d0e-1a2b3c4d5e6f"
CLIENT_ID = "0f9e8d7c-6b5a-4c3d-8e2f-1a0b9c8d7e6f"
CLIENT_SECRET = "loopback-secret"
EXPIRY_ATTRIBUTE = f"extension_{CLIENT_ID.replace('-', '')}_kipassValidUntil"
STEPS_ATTRIBUTE = f"extension_{CLIENT_ID.replace('-', '')}_kipassSteps"


def _pem_key(key: rsa.RSAPrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def write_client_certificate(path: Path) -> x509.Certificate:
    """A PEM file with the app's private key and certificate (KIW_GRAPH_CLIENT_CERTIFICATE)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    cert = self_signed("kiw-graph-client", key)
    path.write_bytes(_pem_key(key) + cert.public_bytes(serialization.Encoding.PEM))
    return cert


@dataclass
class GraphUser:
    id: str
    display_name: str
    upn: str
    groups: list[tuple[str, str]] = field(default_factory=list)  # (group id, display name)
    extension: dict[str, Any] = field(default_factory=dict)  # extension attributes


class GraphServer:
    def __init__(self, directory: Path, *, page_size: int = 2) -> None:
        self.users: dict[str, GraphUser] = {}
        self.page_size = page_size
        self.client_certificate: x509.Certificate | None = None  # accept assertions signed by it
        self.token_lifetime = 3600
        # switches
        self.throttle_next = 0  # answer this many requests with 429 Retry-After
        self.retry_after = "1"
        self.fail_next = 0  # answer this many Graph requests with 500
        self.delay_seconds = 0.0  # delay every Graph answer
        self.malformed: str | None = None  # "html" | "shape" | "groups": break the next answers
        # "users" | "groups": answer that call with 403 Authorization_RequestDenied
        self.deny_permission: str | None = None
        self.next_link_base: str | None = None  # send @odata.nextLink to this base instead
        self.extra_groups: dict[str, str] = {}  # groups without members (id -> display name)
        # records
        self.requests: list[tuple[str, str, dict[str, str]]] = []  # (method, path_qs, headers)
        self.token_requests = 0
        self.hits: Counter[str] = Counter()
        self._tokens: set[str] = set()
        tls = LoopbackTls.create(directory)
        self.ca_file = tls.cert_file  # its own CA: clients trust this file
        self._ssl = tls.server_context()
        self._runner: web.AppRunner | None = None
        self.port = 0

    # ------------------------------------------------------------ lifecycle

    @property
    def base(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    @property
    def graph_base_url(self) -> str:
        return f"{self.base}/v1.0"

    async def start(self) -> GraphServer:
        app = web.Application()
        app.router.add_get("/{tenant}/v2.0/.well-known/openid-configuration", self._discovery)
        app.router.add_post("/{tenant}/oauth2/v2.0/token", self._token)
        app.router.add_get("/v1.0/users", self._list_users)
        app.router.add_get("/v1.0/users/{user}", self._user)
        app.router.add_get("/v1.0/users/{user}/transitiveMemberOf/{cast}", self._member_of)
        app.router.add_get("/v1.0/groups/{group}", self._group)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0, ssl_context=self._ssl)
        await site.start()
        self.port = self._runner.addresses[0][1]
        return self

    async def close(self) -> None:
        if self._runner:
            await self._runner.cleanup()

    def add_user(self, user: GraphUser) -> GraphUser:
        self.users[user.id.lower()] = user
        return user

    def graph_calls(self, fragment: str = "") -> list[str]:
        return [p for m, p, _ in self.requests if p.startswith("/v1.0") and fragment in p]

    # ------------------------------------------------------------ Entra

    async def _discovery(self, request: web.Request) -> web.Response:
        tenant = request.match_info["tenant"]
        self.hits["discovery"] += 1
        if tenant != TENANT:
            return web.json_response(
                {
                    "error": "invalid_tenant",
                    "error_description": f"AADSTS90002: Tenant '{tenant}' not found.",
                },
                status=400,
            )
        root = f"{self.base}/{tenant}"
        return web.json_response(
            {
                "issuer": f"{self.base}/{tenant}/v2.0",
                "authorization_endpoint": f"{root}/oauth2/v2.0/authorize",
                "token_endpoint": f"{root}/oauth2/v2.0/token",
                "jwks_uri": f"{root}/discovery/v2.0/keys",
                "response_types_supported": ["code", "id_token", "token"],
                "subject_types_supported": ["pairwise"],
                "id_token_signing_alg_values_supported": ["RS256"],
            }
        )

    async def _token(self, request: web.Request) -> web.Response:
        self.token_requests += 1
        form = await request.post()
        if form.get("grant_type") != "client_credentials":
            return self._token_error("unsupported_grant_type", "AADSTS70003: grant type")
        if form.get("client_id") != CLIENT_ID:
            client = form.get("client_id")
            return self._token_error(
                "unauthorized_client",
                f"AADSTS700016: Application with identifier '{client!s}' was not found",
            )
        if "https://graph.microsoft.com/.default" not in str(form.get("scope", "")).split():
            return self._token_error("invalid_scope", "AADSTS70011: scope")
        assertion = form.get("client_assertion")
        if assertion is not None:
            if self.client_certificate is None:
                return self._token_error(
                    "invalid_client", "AADSTS700027: no certificate registered"
                )
            try:
                claims = jwt.decode(
                    str(assertion),
                    self.client_certificate.public_key(),  # type: ignore[arg-type]
                    algorithms=["PS256", "RS256"],
                    audience=f"{self.base}/{TENANT}/oauth2/v2.0/token",
                    issuer=CLIENT_ID,
                )
            except jwt.PyJWTError as exc:
                return self._token_error("invalid_client", f"AADSTS700027: {exc}")
            if claims.get("sub") != CLIENT_ID:
                return self._token_error("invalid_client", "AADSTS700027: sub")
        elif form.get("client_secret") != CLIENT_SECRET:
            return self._token_error(
                "invalid_client", "AADSTS7000215: Invalid client secret provided."
            )
        token = secrets.token_urlsafe(24)
        self._tokens.add(token)
        return web.json_response(
            {"token_type": "Bearer", "expires_in": self.token_lifetime, "access_token": token}
        )

    @staticmethod
    def _token_error(error: str, description: str) -> web.Response:
        return web.json_response({"error": error, "error_description": description}, status=401)

    # ------------------------------------------------------------ Graph

    async def _guard(self, request: web.Request, what: str) -> web.Response | None:
        self.requests.append((request.method, request.path_qs, dict(request.headers)))
        self.hits[what] += 1
        if self.delay_seconds:
            await asyncio.sleep(self.delay_seconds)
        auth = request.headers.get("Authorization", "")
        if not auth.startswith("Bearer ") or auth.removeprefix("Bearer ") not in self._tokens:
            return self._graph_error(401, "InvalidAuthenticationToken", "Access token is empty.")
        if self.throttle_next > 0:
            self.throttle_next -= 1
            return web.json_response(
                {"error": {"code": "TooManyRequests", "message": "Too many requests"}},
                status=429,
                headers={"Retry-After": self.retry_after},
            )
        if self.fail_next > 0:
            self.fail_next -= 1
            return self._graph_error(500, "generalException", "Internal error")
        if self.deny_permission == what:
            return self._graph_error(
                403,
                "Authorization_RequestDenied",
                "Insufficient privileges to complete the operation.",
            )
        if self.malformed == "html":
            return web.Response(text="<html>Gateway</html>", content_type="text/html", status=200)
        return None

    @staticmethod
    def _graph_error(status: int, code: str, message: str) -> web.Response:
        return web.json_response({"error": {"code": code, "message": message}}, status=status)

    def _find(self, key: str) -> GraphUser | None:
        key = key.lower()
        if key in self.users:
            return self.users[key]
        return next((u for u in self.users.values() if u.upn.lower() == key), None)

    async def _list_users(self, request: web.Request) -> web.Response:
        if (early := await self._guard(request, "users")) is not None:
            return early
        top = int(request.query.get("$top", "100"))
        value = [{"id": u.id} for u in list(self.users.values())[:top]]
        return web.json_response({"@odata.context": "users", "value": value})

    async def _user(self, request: web.Request) -> web.Response:
        if (early := await self._guard(request, "users")) is not None:
            return early
        user = self._find(request.match_info["user"])
        if user is None:
            return self._graph_error(404, "Request_ResourceNotFound", "Resource does not exist.")
        if self.malformed == "shape":
            return web.json_response({"id": 12345, "displayName": ["not", "a", "name"]})
        select = set(request.query.get("$select", "id,displayName,userPrincipalName").split(","))
        body: dict[str, Any] = {
            "@odata.context": f"{self.graph_base_url}/$metadata#users/$entity",
            "id": user.id,
            "displayName": user.display_name,
            "userPrincipalName": user.upn,
        }
        body.update({k: v for k, v in user.extension.items() if k in select})
        return web.json_response(
            {k: v for k, v in body.items() if k in select or k.startswith("@")}
        )

    async def _group(self, request: web.Request) -> web.Response:
        if (early := await self._guard(request, "group")) is not None:
            return early
        wanted = request.match_info["group"].lower()
        known = {gid.lower(): name for u in self.users.values() for gid, name in u.groups}
        known.update({gid.lower(): name for gid, name in self.extra_groups.items()})
        if wanted not in known:
            return self._graph_error(404, "Request_ResourceNotFound", "Resource does not exist.")
        return web.json_response({"id": wanted, "displayName": known[wanted]})

    async def _member_of(self, request: web.Request) -> web.Response:
        if request.match_info["cast"] not in ("graph.group", "microsoft.graph.group"):
            return self._graph_error(400, "Request_BadRequest", "unsupported cast")
        if (early := await self._guard(request, "groups")) is not None:
            return early
        user = self._find(request.match_info["user"])
        if user is None:
            return self._graph_error(404, "Request_ResourceNotFound", "Resource does not exist.")
        if self.malformed == "groups":
            return web.json_response({"value": "not a list"})
        start = int(request.query.get("$skiptoken", "0"))
        chunk = user.groups[start : start + self.page_size]
        body: dict[str, Any] = {
            "@odata.context": f"{self.graph_base_url}/$metadata#groups",
            "value": [
                {"@odata.type": "#microsoft.graph.group", "id": gid, "displayName": name}
                for gid, name in chunk
            ],
        }
        if start + self.page_size < len(user.groups):
            body["@odata.nextLink"] = (
                f"{self.next_link_base or self.graph_base_url}/users/{user.id}/transitiveMemberOf/microsoft.graph.group"
                f"?$select=id,displayName&$skiptoken={start + self.page_size}"
            )
        return web.json_response(body)
