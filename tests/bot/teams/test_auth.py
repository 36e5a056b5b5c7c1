"""Inbound JWT validation against a real OpenID metadata + JWKS server on loopback."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
from collections.abc import AsyncIterator
from typing import Any

import jwt
import pytest
from aiohttp import ClientSession
from cryptography.hazmat.primitives import serialization

from bot.teams.auth import (
    AuthError,
    ChannelTokenValidator,
    OpenIdKeySet,
    OutboundTokenProvider,
    SigningKeysUnavailable,
)
from bot.teams.auth.outbound import OutboundTokenError
from tests.support.botframework import BotConnectorIdentity, new_signing_key, unsigned_token
from tests.support.turns import APP_ID

SERVICE_URL = "https://smba.trafficmanager.net/emea/"


@pytest.fixture
async def identity() -> AsyncIterator[BotConnectorIdentity]:
    server = await BotConnectorIdentity().start()
    yield server
    await server.close()


@pytest.fixture
async def session() -> AsyncIterator[ClientSession]:
    async with ClientSession() as s:
        yield s


@pytest.fixture
def keys(identity: BotConnectorIdentity, session: ClientSession) -> OpenIdKeySet:
    return OpenIdKeySet(session, identity.metadata_url, unknown_kid_interval_seconds=30)


@pytest.fixture
def validator(keys: OpenIdKeySet) -> ChannelTokenValidator:
    return ChannelTokenValidator(APP_ID, keys)


async def check(validator: ChannelTokenValidator, token: str, channel: str = "msteams") -> Any:
    return await validator.validate(f"Bearer {token}", channel_id=channel, service_url=SERVICE_URL)


def forged_tokens(identity: BotConnectorIdentity) -> dict[str, tuple[str, str]]:
    """name -> (token, channel id) for every way a token must be refused."""
    published = identity.keys[0]
    impostor = new_signing_key(published.kid, slot="impostor")  # same kid, other private key
    claims = identity.claims(APP_ID, SERVICE_URL)
    public_pem = published.private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    hs256_with_public_key = _hs256(claims, public_pem, published.kid)
    return {
        "wrong audience": (identity.sign("another-bot", SERVICE_URL), "msteams"),
        "wrong issuer": (identity.sign(APP_ID, SERVICE_URL, iss="https://evil.example"), "msteams"),
        "expired": (
            identity.sign(APP_ID, SERVICE_URL, exp=1_000_000_000, nbf=999_999_000),
            "msteams",
        ),
        "not yet valid": (
            identity.sign(APP_ID, SERVICE_URL, nbf=claims["exp"] - 60),
            "msteams",
        ),
        "no expiry": (identity.sign(APP_ID, SERVICE_URL, exp=None), "msteams"),
        "unknown key": (
            identity.sign(APP_ID, SERVICE_URL, key=new_signing_key("never-published")),
            "msteams",
        ),
        "bad signature": (identity.sign(APP_ID, SERVICE_URL, key=impostor), "msteams"),
        "alg none": (unsigned_token(claims, {"alg": "none", "kid": published.kid}), "msteams"),
        "HS256 with the public key": (hs256_with_public_key, "msteams"),
        "channel not endorsed": (identity.sign(APP_ID, SERVICE_URL), "webchat"),
        "serviceurl mismatch": (
            identity.sign(APP_ID, "https://attacker.example/"),
            "msteams",
        ),
        "garbage": ("not-a-jwt-at-all", "msteams"),
        "no kid": (
            jwt.encode(claims, published.private_pem(), algorithm="RS256"),
            "msteams",
        ),
    }


def _hs256(claims: dict[str, Any], secret: bytes, kid: str) -> str:
    """HMAC-sign with the RSA public key as the secret (the classic algorithm-confusion attack).
    PyJWT refuses PEM keys as HMAC secrets, so the token is assembled by hand."""

    def b64(raw: bytes) -> str:
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    head = b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": kid}).encode())
    body = b64(json.dumps(claims).encode())
    signature = hmac.new(secret, f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{b64(signature)}"


async def test_valid_channel_token_is_accepted(
    identity: BotConnectorIdentity, validator: ChannelTokenValidator
) -> None:
    claims = await check(validator, identity.sign(APP_ID, SERVICE_URL))
    assert claims["aud"] == APP_ID
    assert claims["serviceurl"] == SERVICE_URL


async def test_every_forged_or_expired_token_is_refused(
    identity: BotConnectorIdentity, validator: ChannelTokenValidator
) -> None:
    accepted = []
    for name, (token, channel) in forged_tokens(identity).items():
        try:
            await check(validator, token, channel)
        except AuthError as refused:
            assert refused.reason, name
        else:
            accepted.append(name)
    assert accepted == []


@pytest.mark.parametrize(
    "header", ["", "Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "Bearer " + "x" * 20_000]
)
async def test_malformed_authorization_headers_are_refused(
    validator: ChannelTokenValidator, header: str
) -> None:
    with pytest.raises(AuthError):
        await validator.validate(header, channel_id="msteams", service_url=SERVICE_URL)


async def test_key_rollover_is_picked_up_by_refetch(
    identity: BotConnectorIdentity, validator: ChannelTokenValidator, keys: OpenIdKeySet
) -> None:
    await check(validator, identity.sign(APP_ID, SERVICE_URL))
    assert identity.jwks_hits == 1
    rolled = identity.add_key("key-2")
    claims = await check(validator, identity.sign(APP_ID, SERVICE_URL, key=rolled))
    assert claims["aud"] == APP_ID
    assert identity.jwks_hits == 2
    # Known keys are served from the cache.
    await check(validator, identity.sign(APP_ID, SERVICE_URL, key=rolled))
    assert identity.jwks_hits == 2


async def test_concurrent_tokens_with_a_new_key_share_one_refetch(
    identity: BotConnectorIdentity, validator: ChannelTokenValidator
) -> None:
    await check(validator, identity.sign(APP_ID, SERVICE_URL))
    rolled = identity.add_key("key-2")
    results = await asyncio.gather(
        *(check(validator, identity.sign(APP_ID, SERVICE_URL, key=rolled)) for _ in range(20))
    )
    assert len(results) == 20
    assert identity.jwks_hits == 2


async def test_unknown_key_ids_cannot_hammer_the_metadata_endpoint(
    identity: BotConnectorIdentity, session: ClientSession
) -> None:
    # A clock that stands still: making 25 RSA keys can take longer than the 30 s interval on a
    # loaded machine, and the test is about the count of refetches, not about wall time.
    keys = OpenIdKeySet(
        session, identity.metadata_url, unknown_kid_interval_seconds=30, clock=lambda: 0.0
    )
    validator = ChannelTokenValidator(APP_ID, keys)
    await check(validator, identity.sign(APP_ID, SERVICE_URL))
    for i in range(25):
        with pytest.raises(AuthError):
            await check(
                validator, identity.sign(APP_ID, SERVICE_URL, key=new_signing_key(f"junk-{i}"))
            )
    assert (
        identity.jwks_hits == 2
    )  # the first unknown kid refetches, the rest wait out the interval
    assert identity.metadata_hits == 2


async def test_unreachable_metadata_at_cold_start_is_unavailable_not_a_crash(
    session: ClientSession,
) -> None:
    keys = OpenIdKeySet(session, "http://127.0.0.1:9/v1/.well-known/openidconfiguration")
    validator = ChannelTokenValidator(APP_ID, keys)
    token = BotConnectorIdentity().sign(APP_ID, SERVICE_URL)
    with pytest.raises(SigningKeysUnavailable):
        await check(validator, token)
    # A second request within the retry pause does not call out again.
    with pytest.raises(SigningKeysUnavailable):
        await check(validator, token)
    assert keys.fetch_count == 1


async def test_failed_refresh_keeps_the_known_keys(
    identity: BotConnectorIdentity, session: ClientSession
) -> None:
    now = [0.0]
    keys = OpenIdKeySet(session, identity.metadata_url, max_age_seconds=60, clock=lambda: now[0])
    validator = ChannelTokenValidator(APP_ID, keys)
    await check(validator, identity.sign(APP_ID, SERVICE_URL))
    keys.metadata_url = "http://127.0.0.1:9/down"
    now[0] = 3600.0  # the key set is stale, the refresh fails
    claims = await check(validator, identity.sign(APP_ID, SERVICE_URL))
    assert claims["aud"] == APP_ID


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


async def test_outbound_token_is_cached_until_shortly_before_expiry() -> None:
    clock = FakeClock()
    issued: list[int] = []

    def acquire() -> dict[str, Any]:
        issued.append(1)
        return {"access_token": f"token-{len(issued)}", "expires_in": 3600}

    provider = OutboundTokenProvider(acquire, refresh_margin_seconds=300, clock=clock)
    tokens = await asyncio.gather(*(provider.token() for _ in range(20)))
    assert set(tokens) == {"token-1"} and len(issued) == 1
    clock.now += 3600 - 301
    assert await provider.token() == "token-1"
    assert provider.current_token() == "token-1"
    clock.now += 2  # inside the refresh margin: still usable, refreshed in the background
    assert await provider.token() == "token-1"
    assert provider.refresh_task is not None
    await provider.refresh_task
    assert await provider.token() == "token-2"
    assert len(issued) == 2


async def test_outbound_token_failure_is_a_plain_error() -> None:
    provider = OutboundTokenProvider(
        lambda: {"error": "invalid_client", "error_description": "AADSTS7000215: bad secret"}
    )
    with pytest.raises(OutboundTokenError) as refused:
        await provider.token()
    # The setting the bot's own registration is configured by, not the directory's.
    assert str(refused.value) == (
        "Could not get the bot's access token for the Bot Connector: token request refused: "
        "the client secret is wrong (MicrosoftAppPassword) (AADSTS7000215)"
    )
