"""`BotFrameworkAuthentication` for CloudAdapter: our validator inbound, cached clients outbound.

The SDK's implementations (`_BuiltinBotFrameworkAuthentication` and friends) validate tokens with
blocking key downloads, map only one error type to 401, and build new credentials, MSAL clients
and connector clients for every turn. This class implements the same abstract interface so the
SDK's `CloudAdapterBase.process_activity` / `continue_conversation` run unchanged on top of it.

Scope: Bot Connector channel tokens (Teams and the other Azure Bot Service channels). Emulator
and skill (bot-to-bot) tokens are refused; the project uses neither.
"""

from __future__ import annotations

from aiohttp import ClientSession
from botbuilder.schema import Activity, CallerIdConstants
from botframework.connector.auth import (
    AuthenticateRequestResult,
    AuthenticationConstants,
    BotFrameworkAuthentication,
    ClaimsIdentity,
    ConnectorFactory,
    MicrosoftAppCredentials,
    UserTokenClient,
)
from botframework.connector.auth._user_token_client_impl import _UserTokenClientImpl

from bot.teams.auth.errors import AuthError
from bot.teams.auth.outbound import (
    BOT_CONNECTOR_SCOPE,
    CachedTokenCredentials,
    OutboundTokenProvider,
)
from bot.teams.auth.validator import ChannelTokenValidator, VerifiedToken
from bot.teams.connector import CachedConnectorFactory


class KiwBotFrameworkAuthentication(BotFrameworkAuthentication):
    def __init__(
        self,
        app_id: str,
        validator: ChannelTokenValidator | None,
        tokens: OutboundTokenProvider | None,
        session: ClientSession,
        *,
        oauth_scope: str = BOT_CONNECTOR_SCOPE,
        oauth_api_url: str = AuthenticationConstants.OAUTH_URL,
    ) -> None:
        """`validator is None` means local mode: no inbound check, replies sent without token."""
        self.app_id = app_id
        self.validator = validator
        self.oauth_scope = oauth_scope
        self._oauth_api_url = oauth_api_url
        self.credentials = (
            CachedTokenCredentials(tokens, app_id, oauth_scope)
            if tokens is not None
            else MicrosoftAppCredentials.empty()
        )
        self.tokens = tokens
        self.connector_factory = CachedConnectorFactory(session, tokens)
        self._user_token_client: UserTokenClient | None = None

    @property
    def local_mode(self) -> bool:
        return self.validator is None

    async def authenticate_request(
        self, activity: Activity, auth_header: str
    ) -> AuthenticateRequestResult:
        return self.authenticate_activity(activity, await self.verify_header(auth_header))

    async def verify_header(self, auth_header: str) -> VerifiedToken | None:
        """The header's token checked on its own (None in local mode); raises AuthError."""
        if self.validator is None:
            return None
        return await self.validator.verify(auth_header)

    def authenticate_activity(
        self, activity: Activity, verified: VerifiedToken | None
    ) -> AuthenticateRequestResult:
        """The SDK's result for an activity whose header `verify_header` accepted."""
        if self.validator is None:
            claims = ClaimsIdentity({}, True, AuthenticationConstants.ANONYMOUS_AUTH_TYPE)
            caller_id = None
        else:
            if verified is None:
                raise AuthError("no verified token")
            checked = self.validator.check_activity(
                verified, channel_id=activity.channel_id, service_url=activity.service_url
            )
            claims = ClaimsIdentity(checked, True)
            caller_id = CallerIdConstants.public_azure_channel
        result = AuthenticateRequestResult()
        result.claims_identity = claims
        result.audience = self.oauth_scope
        result.caller_id = caller_id
        result.connector_factory = self.connector_factory
        return result

    async def authenticate_streaming_request(
        self, auth_header: str, channel_id_header: str
    ) -> AuthenticateRequestResult:
        raise AuthError("streaming (Direct Line ASE) connections are not supported")

    def create_connector_factory(self, claims_identity: ClaimsIdentity) -> ConnectorFactory:
        # Proactive turns (continue_conversation) come here; one bot, one set of clients.
        return self.connector_factory

    async def create_user_token_client(self, claims_identity: ClaimsIdentity) -> UserTokenClient:
        # The SDK asks for this on every turn; building it costs another msrest configuration.
        if self._user_token_client is None:
            self._user_token_client = _UserTokenClientImpl(
                self.app_id, self.credentials, self._oauth_api_url
            )
        return self._user_token_client

    def get_originating_audience(self) -> str:
        return self.oauth_scope

    async def authenticate_channel_request(self, auth_header: str) -> ClaimsIdentity:
        raise AuthError("skill (bot-to-bot) requests are not supported")

    async def close(self) -> None:
        await self.connector_factory.close()
        if self._user_token_client is not None:
            await self._user_token_client._client.__aexit__(None, None, None)
        if self.tokens is not None:
            self.tokens.close()
