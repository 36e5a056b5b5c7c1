"""Validation of the Bot Connector's inbound JWT (the "channel token").

The checks follow the Bot Framework authentication spec ("Authenticate requests from the Bot
Connector service to your bot"):
1. `Authorization: Bearer <token>` is present;
2. the token is a JWT signed with RS256 (nothing else: no `none`, no HMAC tricks with the public
   key) by a key published in the OpenID metadata's JWKS;
3. that key's `endorsements` contain the activity's channelId;
4. `iss` is the Bot Connector issuer, `aud` is this bot's app id;
5. `exp`/`nbf` hold, with a small clock skew;
6. the `serviceurl` claim equals the activity's serviceUrl (otherwise a captured token could
   send the bot's outbound token to an attacker's URL).
Every failure raises `AuthError` with a plain-English reason; nothing here raises anything else
for a bad token.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import jwt

from bot.teams.auth.errors import AuthError
from bot.teams.auth.openid import OpenIdKeySet

BOT_CONNECTOR_ISSUER = "https://api.botframework.com"
ALLOWED_ALGORITHMS = ("RS256",)
# The Bot Framework spec names 5 minutes as the industry-standard clock skew; the SDK uses it too.
DEFAULT_CLOCK_SKEW_SECONDS = 300
# Real channel tokens are about 1.5 KB; refuse to parse megabytes of "token".
MAX_TOKEN_CHARS = 16 * 1024


@dataclass(frozen=True)
class VerifiedToken:
    """A token whose signature, issuer, audience and lifetime hold; not yet tied to an activity."""

    claims: dict[str, Any]
    endorsements: frozenset[str]  # the channels its signing key is endorsed for


def _same_service_url(claimed: Any, actual: str | None) -> bool:
    if not isinstance(claimed, str) or not actual:
        return False
    return claimed.rstrip("/").lower() == actual.rstrip("/").lower()


class ChannelTokenValidator:
    def __init__(
        self,
        app_id: str,
        keys: OpenIdKeySet,
        *,
        issuers: Iterable[str] = (BOT_CONNECTOR_ISSUER,),
        clock_skew_seconds: int = DEFAULT_CLOCK_SKEW_SECONDS,
    ) -> None:
        if not app_id:
            raise ValueError("ChannelTokenValidator needs the bot's app id (the token audience)")
        self.app_id = app_id
        self.keys = keys
        self.issuers = tuple(issuers)
        self.clock_skew_seconds = clock_skew_seconds

    async def validate(
        self, auth_header: str | None, *, channel_id: str | None, service_url: str | None
    ) -> dict[str, Any]:
        """The verified claims of the request's token; raises AuthError otherwise."""
        verified = await self.verify(auth_header)
        return self.check_activity(verified, channel_id=channel_id, service_url=service_url)

    async def verify(self, auth_header: str | None) -> VerifiedToken:
        """Checks 1, 2, 4 and 5: everything that needs only the Authorization header.

        The adapter runs this before it reads the body, so an unauthenticated request costs
        no body parsing (docs/faults.md); `check_activity` adds the checks that need it."""
        token = self._bearer_token(auth_header)
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise AuthError(f"token is not a JWT ({exc})") from None
        alg = header.get("alg")
        if alg not in ALLOWED_ALGORITHMS:
            raise AuthError(f"token algorithm {str(alg)[:20]!r} is not allowed")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise AuthError("token names no signing key (kid)")
        key = await self.keys.get(kid)
        if key is None:
            raise AuthError(f"token is signed by an unknown key {kid[:64]!r}")
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key.public_key,
                algorithms=list(ALLOWED_ALGORITHMS),
                audience=self.app_id,
                issuer=list(self.issuers),
                leeway=self.clock_skew_seconds,
                options={"require": ["exp", "iss", "aud"], "verify_signature": True},
            )
        except jwt.ExpiredSignatureError:
            raise AuthError("token has expired") from None
        except jwt.ImmatureSignatureError:
            raise AuthError("token is not valid yet (nbf/iat in the future)") from None
        except jwt.InvalidAudienceError:
            raise AuthError("token audience is not this bot's app id") from None
        except jwt.InvalidIssuerError:
            raise AuthError("token issuer is not the Bot Connector") from None
        except jwt.InvalidSignatureError:
            raise AuthError("token signature does not verify") from None
        except jwt.PyJWTError as exc:
            raise AuthError(f"token rejected: {exc}") from None
        return VerifiedToken(claims, frozenset(key.endorsements))

    @staticmethod
    def check_activity(
        verified: VerifiedToken, *, channel_id: str | None, service_url: str | None
    ) -> dict[str, Any]:
        """Checks 3 and 6: the token's key and claims against the activity it came with."""
        if not channel_id or channel_id not in verified.endorsements:
            raise AuthError(f"signing key is not endorsed for channel {str(channel_id)[:40]!r}")
        claims = verified.claims
        service_url_claim = claims.get("serviceurl", claims.get("serviceUrl"))
        if not _same_service_url(service_url_claim, service_url):
            raise AuthError("token serviceurl claim does not match the activity's serviceUrl")
        return claims

    @staticmethod
    def _bearer_token(auth_header: str | None) -> str:
        if not auth_header:
            raise AuthError("no Authorization header")
        scheme, _, token = auth_header.strip().partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise AuthError("Authorization header is not 'Bearer <token>'")
        if len(token) > MAX_TOKEN_CHARS:
            raise AuthError("token is too long")
        return token
