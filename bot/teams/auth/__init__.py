"""Bot Framework authentication for the KI-Werkstatt bot.

Inbound: `ChannelTokenValidator` checks the Bot Connector's JWT on every request (issuer,
audience, RS256 signature with a key from the OpenID metadata, channel endorsement, lifetime,
`serviceurl` claim); `OpenIdKeySet` fetches and caches the signing keys asynchronously.
Outbound: `OutboundTokenProvider` holds one MSAL client and caches the bot's access token until
shortly before it expires.
"""

from bot.teams.auth.errors import AuthError, SigningKeysUnavailable
from bot.teams.auth.openid import OpenIdKeySet, SigningKeyInfo
from bot.teams.auth.outbound import CachedTokenCredentials, OutboundTokenProvider
from bot.teams.auth.validator import ChannelTokenValidator

__all__ = [
    "AuthError",
    "CachedTokenCredentials",
    "ChannelTokenValidator",
    "OpenIdKeySet",
    "OutboundTokenProvider",
    "SigningKeyInfo",
    "SigningKeysUnavailable",
]
