"""Signing keys from the Bot Connector's OpenID metadata, fetched asynchronously and cached.

Why not the SDK's `_OpenIdMetadata`: it downloads with blocking `requests` inside the event loop,
crashes with IndexError when a token names a key id it does not know (so key rollover never
triggers a refetch) and turns every failure into a 500. Here:
- keys are fetched with the shared aiohttp session, at most one fetch in flight (single flight);
- the key set is refreshed when older than `max_age` (a day, as the SDK does);
- an unknown `kid` triggers a refetch (rollover), but at most once per `unknown_kid_interval`,
  so tokens with random kids cannot hammer the metadata endpoint;
- a failed refresh keeps the old keys; only a cold start without any keys is "unavailable".
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from aiohttp import ClientError, ClientSession
from jwt.algorithms import RSAAlgorithm

from bot.teams.auth.errors import SigningKeysUnavailable

log = logging.getLogger(__name__)

# Public cloud Bot Connector metadata (what the SDK's ChannelValidation uses).
BOT_CONNECTOR_OPENID_METADATA_URL = (
    "https://login.botframework.com/v1/.well-known/openidconfiguration"
)
# Metadata and JWKS together; the request that triggered the fetch waits for it, and Teams
# retries after ~15 s (docs/faults.md). The session's own 60 s timeout would be far too long.
DEFAULT_FETCH_DEADLINE_SECONDS = 5.0
# After a failed fetch, do not try again for this long (seconds): a down metadata endpoint
# must not turn every request into another outbound call.
_RETRY_AFTER_FAILURE = 5.0


@dataclass(frozen=True)
class SigningKeyInfo:
    kid: str
    public_key: Any  # cryptography RSAPublicKey; typed loosely because PyJWT returns a union
    endorsements: frozenset[str]


def _parse_keys(jwks: Mapping[str, Any]) -> dict[str, SigningKeyInfo]:
    keys: dict[str, SigningKeyInfo] = {}
    raw_keys = jwks.get("keys")
    if not isinstance(raw_keys, list):
        raise ValueError("JWKS document has no 'keys' list")
    for raw in raw_keys:
        if (
            not isinstance(raw, dict)
            or raw.get("kty") != "RSA"
            or not isinstance(raw.get("kid"), str)
        ):
            continue  # only RSA keys can verify RS256; skip anything else rather than fail all
        try:
            public_key = RSAAlgorithm.from_jwk(json.dumps(raw))
        except (ValueError, KeyError, TypeError) as exc:
            log.warning("Skipping malformed signing key %s: %s", raw.get("kid"), exc)
            continue
        endorsements = raw.get("endorsements") or []
        keys[raw["kid"]] = SigningKeyInfo(
            raw["kid"],
            public_key,
            frozenset(e for e in endorsements if isinstance(e, str)),
        )
    return keys


class OpenIdKeySet:
    def __init__(
        self,
        session: ClientSession,
        metadata_url: str = BOT_CONNECTOR_OPENID_METADATA_URL,
        *,
        max_age_seconds: float = 24 * 3600,
        unknown_kid_interval_seconds: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
        fetch_deadline_seconds: float = DEFAULT_FETCH_DEADLINE_SECONDS,
    ) -> None:
        self._session = session
        self._deadline = fetch_deadline_seconds
        self.metadata_url = metadata_url
        self._max_age = max_age_seconds
        self._unknown_kid_interval = unknown_kid_interval_seconds
        self._clock = clock
        self._keys: dict[str, SigningKeyInfo] = {}
        self._fetched_at: float | None = None
        self._last_unknown_kid_refetch: float | None = None
        self._failed_at: float | None = None
        self._lock = asyncio.Lock()
        self.fetch_count = 0

    async def get(self, kid: str) -> SigningKeyInfo | None:
        """The key named `kid`, refetching once (rate-limited) when it is not known yet."""
        if self._is_stale() and not self._recently_failed():
            async with self._lock:
                # Single flight: another task may have fetched while we waited for the lock.
                if self._is_stale() and not (self._keys and self._recently_failed()):
                    await self._fetch(reason="key set missing or older than max age")
        key = self._keys.get(kid)
        if key is not None:
            return key
        async with self._lock:
            key = self._keys.get(kid)
            if key is not None:  # fetched by the task we waited for (rollover seen by many)
                return key
            now = self._clock()
            if (
                self._last_unknown_kid_refetch is not None
                and now - self._last_unknown_kid_refetch < self._unknown_kid_interval
            ):
                return None
            self._last_unknown_kid_refetch = now
            await self._fetch(reason=f"unknown key id {kid[:64]!r}")
        return self._keys.get(kid)

    def _recently_failed(self) -> bool:
        return (
            self._failed_at is not None and self._clock() - self._failed_at < _RETRY_AFTER_FAILURE
        )

    def _is_stale(self) -> bool:
        return self._fetched_at is None or self._clock() - self._fetched_at > self._max_age

    async def _fetch(self, *, reason: str) -> None:
        """Replace the key set; on failure keep the old keys (or raise if there are none)."""
        now = self._clock()
        if not self._keys and self._recently_failed():
            raise SigningKeysUnavailable("signing keys unavailable (recent fetch failed)")
        try:
            async with asyncio.timeout(self._deadline):
                keys = await self._download()
        except (ClientError, TimeoutError, ValueError) as exc:
            self._failed_at = now
            log.error(
                "Could not load Bot Connector signing keys from %s (%s): %s",
                self.metadata_url,
                reason,
                str(exc) or f"no answer within {self._deadline:g} s",
            )
            if not self._keys:
                raise SigningKeysUnavailable(str(exc) or "no answer in time") from exc
            return
        self._keys = keys
        self._fetched_at = self._clock()
        self._failed_at = None
        log.info("Loaded %d Bot Connector signing keys (%s)", len(keys), reason)

    async def _download(self) -> dict[str, SigningKeyInfo]:
        self.fetch_count += 1
        async with self._session.get(self.metadata_url) as response:
            response.raise_for_status()
            metadata = await response.json(content_type=None)
        jwks_uri = metadata.get("jwks_uri") if isinstance(metadata, dict) else None
        if not isinstance(jwks_uri, str) or not jwks_uri:
            raise ValueError("OpenID metadata has no jwks_uri")
        async with self._session.get(jwks_uri) as response:
            response.raise_for_status()
            jwks = await response.json(content_type=None)
        if not isinstance(jwks, dict):
            raise ValueError("JWKS document is not a JSON object")
        return _parse_keys(jwks)
