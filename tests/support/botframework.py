"""Loopback stand-ins for the Bot Framework services the bot talks to, for tests and benchmarks.

- `BotConnectorIdentity`: the Bot Connector's OpenID metadata + JWKS (keys generated here, with
  Teams endorsements) and a signer that issues channel tokens exactly as the Bot Connector does.
- `EntraTokenEndpoint`: an HTTPS (self-signed, loopback) stand-in for login.microsoftonline.com
  that MSAL really talks to: tenant OpenID discovery and the client-credentials token endpoint.
- the Bot Connector REST API the bot replies to (`serviceUrl`): `ConnectorRecorder` from
  tests/support/connector.py, recording every call with its bearer token.

Everything binds to 127.0.0.1 on a free port. No SDK function is patched: the bot's code and the
SDK run for real against these servers.
"""

from __future__ import annotations

import base64
import datetime as dt
import ipaddress
import itertools
import json
import ssl
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
from aiohttp import web
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from jwt.algorithms import RSAAlgorithm

from tests.support.connector import ConnectorRecorder

BOT_CONNECTOR_ISSUER = "https://api.botframework.com"
METADATA_PATH = "/v1/.well-known/openidconfiguration"
REJECTED_SECRET = "wrong-secret"  # the token endpoint answers invalid_client for this one
JWKS_PATH = "/v1/.well-known/keys"


@dataclass
class SigningKey:
    kid: str
    private_key: rsa.RSAPrivateKey
    endorsements: list[str]

    def jwk(self) -> dict[str, Any]:
        public = json.loads(RSAAlgorithm.to_jwk(self.private_key.public_key()))
        return {**public, "kid": self.kid, "use": "sig", "endorsements": self.endorsements}

    def private_pem(self) -> bytes:
        return self.private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )


_RSA_KEYS: dict[str, rsa.RSAPrivateKey] = {}


def _rsa_key(slot: str) -> rsa.RSAPrivateKey:
    """RSA keys are slow to generate; one per slot name per test process is enough."""
    if slot not in _RSA_KEYS:
        _RSA_KEYS[slot] = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return _RSA_KEYS[slot]


def new_signing_key(
    kid: str, endorsements: list[str] | None = None, *, slot: str | None = None
) -> SigningKey:
    """A key named `kid`; different `slot`s (default: the kid) give different private keys."""
    key = _rsa_key(slot or kid)
    return SigningKey(kid, key, ["msteams"] if endorsements is None else endorsements)


async def _start(app: web.Application, ssl_context: ssl.SSLContext | None = None) -> web.AppRunner:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=ssl_context)
    await site.start()
    return runner


def _port(runner: web.AppRunner) -> int:
    return int(runner.addresses[0][1])


class BotConnectorIdentity:
    """OpenID metadata + JWKS on loopback, plus a signer for channel tokens."""

    def __init__(self) -> None:
        self.keys: list[SigningKey] = [new_signing_key("key-1")]
        self.metadata_hits = 0
        self.jwks_hits = 0
        self.base_url = ""
        self._runner: web.AppRunner | None = None

    @property
    def metadata_url(self) -> str:
        return self.base_url + METADATA_PATH

    async def start(self) -> BotConnectorIdentity:
        app = web.Application()
        app.router.add_get(METADATA_PATH, self._metadata)
        app.router.add_get(JWKS_PATH, self._jwks)
        self._runner = await _start(app)
        self.base_url = f"http://127.0.0.1:{_port(self._runner)}"
        return self

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def add_key(self, kid: str, endorsements: list[str] | None = None) -> SigningKey:
        key = new_signing_key(kid, endorsements)
        self.keys.append(key)
        return key

    async def _metadata(self, _: web.Request) -> web.Response:
        self.metadata_hits += 1
        return web.json_response(
            {
                "issuer": BOT_CONNECTOR_ISSUER,
                "authorization_endpoint": "https://invalid.botframework.com",
                "jwks_uri": self.base_url + JWKS_PATH,
                "id_token_signing_alg_values_supported": ["RS256"],
                "token_endpoint_auth_methods_supported": ["private_key_jwt"],
            }
        )

    async def _jwks(self, _: web.Request) -> web.Response:
        self.jwks_hits += 1
        return web.json_response({"keys": [k.jwk() for k in self.keys]})

    def claims(self, app_id: str, service_url: str, **overrides: Any) -> dict[str, Any]:
        now = int(time.time())
        claims: dict[str, Any] = {
            "serviceurl": service_url,
            "nbf": now - 5,
            "exp": now + 3600,
            "iss": BOT_CONNECTOR_ISSUER,
            "aud": app_id,
        }
        claims.update(overrides)
        return {k: v for k, v in claims.items() if v is not None}

    def sign(
        self,
        app_id: str,
        service_url: str,
        *,
        key: SigningKey | None = None,
        headers: Mapping[str, Any] | None = None,
        **claim_overrides: Any,
    ) -> str:
        """A channel token as the Bot Connector issues it (RS256, `kid` of a published key)."""
        signing_key = key or self.keys[0]
        return jwt.encode(
            self.claims(app_id, service_url, **claim_overrides),
            signing_key.private_pem(),
            algorithm="RS256",
            headers={"kid": signing_key.kid, **(headers or {})},
        )


def unsigned_token(claims: Mapping[str, Any], header: Mapping[str, Any]) -> str:
    """Hand-built JWT (for `alg: none` and similar forgeries PyJWT refuses to produce)."""

    def part(data: Mapping[str, Any]) -> str:
        raw = json.dumps(dict(data), separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    return f"{part(header)}.{part(claims)}."


def self_signed(
    common_name: str, key: rsa.RSAPrivateKey, san_ip: str | None = None
) -> x509.Certificate:
    """A certificate valid for a day; with `san_ip` a server certificate for that address that
    is its own CA (clients trust the certificate file itself)."""
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = dt.datetime.now(dt.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
    )
    if san_ip:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(san_ip))]),
            critical=False,
        ).add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
    return builder.sign(key, hashes.SHA256())


@dataclass
class LoopbackTls:
    """A self-signed certificate for 127.0.0.1 and the CA file clients must trust."""

    cert_file: Path
    key_file: Path

    @classmethod
    def create(cls, directory: Path) -> LoopbackTls:
        key = _rsa_key("loopback-tls")
        cert = self_signed("127.0.0.1", key, san_ip="127.0.0.1")
        cert_file = directory / "loopback-cert.pem"
        key_file = directory / "loopback-key.pem"
        cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        key_file.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.TraditionalOpenSSL,
                serialization.NoEncryption(),
            )
        )
        return cls(cert_file, key_file)

    def server_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert_file, self.key_file)
        return context


class EntraTokenEndpoint:
    """login.microsoftonline.com on loopback (HTTPS, as MSAL insists): discovery + token."""

    def __init__(self, tls: LoopbackTls, lifetime_seconds: int = 3600) -> None:
        self.tls = tls
        self.lifetime_seconds = lifetime_seconds
        self.token_requests: list[dict[str, str]] = []
        self.issued: list[str] = []
        self.base_url = ""
        self._runner: web.AppRunner | None = None
        self._counter = itertools.count(1)

    async def start(self) -> EntraTokenEndpoint:
        app = web.Application()
        app.router.add_get("/{tenant}/v2.0/.well-known/openid-configuration", self._discovery)
        app.router.add_post("/{tenant}/oauth2/v2.0/token", self._token)
        self._runner = await _start(app, self.tls.server_context())
        self.base_url = f"https://127.0.0.1:{_port(self._runner)}"
        return self

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _discovery(self, request: web.Request) -> web.Response:
        tenant = request.match_info["tenant"]
        base = f"{self.base_url}/{tenant}"
        return web.json_response(
            {
                "issuer": f"{base}/v2.0",
                "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
                "token_endpoint": f"{base}/oauth2/v2.0/token",
                "device_authorization_endpoint": f"{base}/oauth2/v2.0/devicecode",
            }
        )

    async def _token(self, request: web.Request) -> web.Response:
        form = {k: str(v) for k, v in (await request.post()).items()}
        form["tenant"] = request.match_info["tenant"]
        self.token_requests.append(form)
        if form.get("grant_type") != "client_credentials":
            return web.json_response({"error": "unsupported_grant_type"}, status=400)
        if form.get("client_secret") == REJECTED_SECRET:
            return web.json_response(
                {"error": "invalid_client", "error_description": "AADSTS7000215: Invalid secret"},
                status=401,
            )
        token = f"outbound-token-{next(self._counter)}"
        self.issued.append(token)
        return web.json_response(
            {"token_type": "Bearer", "expires_in": self.lifetime_seconds, "access_token": token}
        )


@dataclass
class BotFrameworkStubs:
    """All three loopback services, started together."""

    identity: BotConnectorIdentity
    entra: EntraTokenEndpoint
    connector: ConnectorRecorder
    tls: LoopbackTls

    @classmethod
    async def start(cls, directory: Path) -> BotFrameworkStubs:
        tls = LoopbackTls.create(directory)
        return cls(
            await BotConnectorIdentity().start(),
            await EntraTokenEndpoint(tls).start(),
            await ConnectorRecorder().start(),
            tls,
        )

    async def close(self) -> None:
        await self.connector.close()
        await self.entra.close()
        await self.identity.close()

    def settings_overrides(self, app_id: str, tenant_id: str) -> dict[str, Any]:
        """Settings fields for a production-like bot (auth ON) that uses these stubs.

        MSAL talks HTTPS to the token endpoint; point requests at the loopback CA with
        REQUESTS_CA_BUNDLE (set it in the test with monkeypatch.setenv)."""
        return {
            "microsoft_app_id": app_id,
            "microsoft_app_password": "test-secret",
            "microsoft_app_type": "SingleTenant",
            "microsoft_app_tenant_id": tenant_id,
            "openid_metadata_url": self.identity.metadata_url,
            "bot_authority_host": self.entra.base_url,
            "audit_key": "test-audit-key",
        }


class ManagedIdentityEndpoint:
    """Azure App Service's managed identity endpoint (IDENTITY_ENDPOINT) on loopback.

    MSAL's ManagedIdentityClient uses it when IDENTITY_ENDPOINT and IDENTITY_HEADER are set; the
    stock SDK's UserAssignedMSI credentials go through it, so a stock bot can get a real token
    over loopback without HTTPS."""

    def __init__(self, header: str = "loopback-identity-header") -> None:
        self.header = header
        self.requests = 0
        self.base_url = ""
        self._runner: web.AppRunner | None = None

    @property
    def endpoint(self) -> str:
        return self.base_url + "/msi/token"

    async def start(self) -> ManagedIdentityEndpoint:
        app = web.Application()
        app.router.add_get("/msi/token", self._token)
        self._runner = await _start(app)
        self.base_url = f"http://127.0.0.1:{_port(self._runner)}"
        return self

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _token(self, request: web.Request) -> web.Response:
        if request.headers.get("X-IDENTITY-HEADER") != self.header:
            return web.json_response({"statusCode": 401, "message": "bad header"}, status=401)
        self.requests += 1
        return web.json_response(
            {
                "access_token": f"msi-token-{self.requests}",
                "expires_on": str(int(time.time()) + 3600),
                "resource": request.query.get("resource", ""),
                "token_type": "Bearer",
            }
        )
