"""The HTTP -> Bot Framework boundary.

Contract used by bot/app.py (do not change without updating it):
    adapter = build_adapter(settings, session)
    response = await adapter.handle(request, bot)   # never raises; never a 500 for auth failures

`KiwAdapter` is the SDK's `CloudAdapter` (the turn pipeline, TurnContext, send/update/continue
run unchanged) with its HTTP front door and its authentication replaced, because botbuilder
4.17.1 answers forged tokens with 500, serialises invoke responses twice (every message-extension
invoke fails with 500), downloads signing keys with blocking `requests` and builds new MSAL and
connector clients per turn. See docs/bot-auth.md for what each part fixes and the measurements.

HTTP statuses of `handle`:
    200  activity processed (invoke: the invoke response's status and JSON body)
    400  body is not JSON / nested deeper than MAX_JSON_DEPTH / not an activity / lacks type,
         from, conversation, channelId, serviceUrl
    401  token missing or invalid (reason in the log, never in the response)
    405  not POST
    413  body larger than MAX_BODY_BYTES
    415  content type is not application/json
    500  the bot's turn raised past its own error boundary (generic body, stack only in the log)
    503  signing keys could not be loaded at all (metadata endpoint unreachable at cold start),
         or the bot's own outbound token could not be had: refused (wrong secret), authority
         unreachable or silent past KIW_OUTBOUND_TOKEN_DEADLINE_SECONDS (reason in the log;
         the body says "vorübergehend nicht erreichbar" in German, with Retry-After)

Order: method and content type, then the token (header only), then the body (size, JSON depth,
activity fields), then the token against the activity (channel endorsement, serviceUrl).
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from http import HTTPStatus
from typing import Any

from aiohttp import ClientError, ClientSession, web
from botbuilder.core import Bot, InvokeResponse
from botbuilder.core.serializer_helper import serializer_helper
from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.schema import Activity
from msrest.exceptions import DeserializationError
from msrest.serialization import Model

from bot.settings import AppType, Settings
from bot.teams.auth.errors import AuthError, SigningKeysUnavailable
from bot.teams.auth.framework import KiwBotFrameworkAuthentication
from bot.teams.auth.openid import BOT_CONNECTOR_OPENID_METADATA_URL, OpenIdKeySet
from bot.teams.auth.outbound import (
    DEFAULT_AUTHORITY_HOST,
    OutboundTokenError,
    OutboundTokenProvider,
)
from bot.teams.auth.validator import ChannelTokenValidator

log = logging.getLogger(__name__)

# Teams messages are at most ~100 KB; 4 MiB leaves room for a 1 MB text (even \u-escaped
# umlauts) to reach the bot, which answers it politely, while bounding memory per request.
MAX_BODY_BYTES = 4 * 1024 * 1024
_READ_CHUNK = 64 * 1024
# Teams activities nest about 10 levels (an Adaptive Card inside an invoke); 64 is generous and
# far below any recursion limit on the way (json, msrest, logging).
MAX_JSON_DEPTH = 64
_JSON_ESCAPE = re.compile(rb"\\.", re.DOTALL)  # removed first, so every '"' left is a delimiter
_JSON_STRING = re.compile(rb'"[^"]*"')
_BRACKETS_ONLY = bytes.maketrans(b"{}", b"[]")
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")


UNAVAILABLE_TEXT = (
    "Der KI-Werkstatt Assistent ist vorübergehend nicht erreichbar. Bitte versuchen Sie es in "
    "einigen Minuten noch einmal."
)


class BadRequest(Exception):
    """The HTTP request cannot be an activity; carries the status and a plain-English reason."""

    def __init__(self, status: HTTPStatus, reason: str) -> None:
        self.status = status
        self.reason = reason
        super().__init__(reason)


def _error(status: HTTPStatus, message: str, **extra: str) -> web.Response:
    return web.json_response({"error": status.phrase, "message": message, **extra}, status=status)


def _unauthorized() -> web.Response:
    response = _error(HTTPStatus.UNAUTHORIZED, "request is not authorized")
    response.headers["WWW-Authenticate"] = "Bearer"
    return response


def invoke_response_json(invoke: InvokeResponse) -> web.Response:
    """The invoke response as JSON, serialised exactly once.

    The SDK's handlers already serialise the body (`ActivityHandler._create_invoke_response`
    calls serializer_helper), and 4.17.1's CloudAdapter serialises it again, which fails for
    the dict it gets and answers 500. Serialise only msrest models; dicts/lists go out as is.
    """
    body: Any = invoke.body
    if isinstance(body, Model):
        body = serializer_helper(body)
    status = int(invoke.status or HTTPStatus.OK)
    if body is None:
        return web.Response(status=status)
    return web.json_response(body, status=status)


async def _read_body(request: web.Request) -> bytes:
    if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
        raise BadRequest(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "body too large")
    chunks: list[bytes] = []
    size = 0
    while chunk := await request.content.read(_READ_CHUNK):
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise BadRequest(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "body too large")
        chunks.append(chunk)
    return b"".join(chunks)


# Fields the bot reads as strings; msrest would happily deserialise `"text": {...}` or an integer
# id and leave the crash to the turn.
_STRING_FIELDS = ("type", "id", "channelId", "serviceUrl", "text", "name", "replyToId", "locale")
_STRING_SUBFIELDS = (("from", "id"), ("conversation", "id"), ("recipient", "id"))


def _non_string_fields(body: dict[str, Any]) -> list[str]:
    wrong = [f for f in _STRING_FIELDS if f in body and not isinstance(body[f], (str, type(None)))]
    for outer, inner in _STRING_SUBFIELDS:
        value = body.get(outer)
        if isinstance(value, dict) and not isinstance(value.get(inner, ""), (str, type(None))):
            wrong.append(f"{outer}.{inner}")
    return wrong


def check_request(request: web.Request) -> None:
    """What can be refused from the request line and headers alone, before any body is read."""
    if request.method != "POST":
        raise BadRequest(HTTPStatus.METHOD_NOT_ALLOWED, "only POST is allowed")
    if request.content_type != "application/json":
        raise BadRequest(HTTPStatus.UNSUPPORTED_MEDIA_TYPE, "content type must be application/json")


def json_too_deep(raw: bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether the JSON text nests arrays/objects deeper than `limit`, in linear time.

    json.loads recurses once per level and raises RecursionError near 1,000 levels (a 2 KB
    body), and code after it (msrest, copies, logging) recurses too; so the depth is checked on
    the raw bytes first. Every step is a C-speed pass: drop escapes, drop strings, keep only
    brackets, then strip one innermost level per round. A body that is not JSON may be counted
    wrongly, but json.loads refuses it anyway."""
    text = _JSON_ESCAPE.sub(b"", raw)
    text = _JSON_STRING.sub(b"", text)
    brackets = text.translate(_BRACKETS_ONLY, _NOT_BRACKETS)
    for _ in range(limit):
        if b"[]" not in brackets:
            return False  # all matched pairs gone (what is left is unbalanced: not JSON)
        brackets = brackets.replace(b"[]", b"")
    # Each round removed exactly one innermost level; a pair still left sat deeper than `limit`.
    return b"[]" in brackets


async def parse_activity(request: web.Request) -> Activity:
    """The request's activity, or BadRequest with the right status."""
    check_request(request)
    try:
        raw = await _read_body(request)
    except (ConnectionError, ClientError) as exc:  # client went away or sent a broken chunked body
        raise BadRequest(HTTPStatus.BAD_REQUEST, f"body could not be read ({exc})") from None
    if json_too_deep(raw):
        raise BadRequest(HTTPStatus.BAD_REQUEST, f"JSON nested deeper than {MAX_JSON_DEPTH}")
    try:
        body = json.loads(raw)
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise BadRequest(HTTPStatus.BAD_REQUEST, "body is not valid JSON") from None
    if not isinstance(body, dict):
        raise BadRequest(HTTPStatus.BAD_REQUEST, "body is not a JSON object")
    wrong = _non_string_fields(body)
    if wrong:
        raise BadRequest(HTTPStatus.BAD_REQUEST, "not a string: " + ", ".join(wrong))
    try:
        activity = Activity().deserialize(body)
    except (DeserializationError, ValueError, TypeError, AttributeError) as exc:
        raise BadRequest(HTTPStatus.BAD_REQUEST, f"body is not an activity ({exc})") from None
    missing = [
        name
        for name, present in (
            ("type", bool(activity.type)),
            ("from.id", bool(activity.from_property and activity.from_property.id)),
            ("conversation.id", bool(activity.conversation and activity.conversation.id)),
            ("channelId", bool(activity.channel_id)),
            ("serviceUrl", bool(activity.service_url)),
        )
        if not present
    ]
    if missing:
        raise BadRequest(HTTPStatus.BAD_REQUEST, "activity lacks " + ", ".join(missing))
    return activity


class KiwAdapter(CloudAdapter):
    def __init__(self, auth: KiwBotFrameworkAuthentication) -> None:
        super().__init__(auth)
        self.auth = auth

    async def handle(self, request: web.Request, bot: Bot) -> web.Response:
        """Process one POST /api/messages. Never raises.

        Order (docs/faults.md): request line and headers, then the token on its own, and only
        then the body, so an unauthenticated caller never makes the bot read or parse it."""
        try:
            check_request(request)
        except BadRequest as exc:
            log.info("Rejected request (%d): %s", exc.status, exc.reason)
            return _error(exc.status, exc.reason)
        try:
            verified = await self.auth.verify_header(request.headers.get("Authorization", ""))
        except AuthError as exc:
            log.warning("Rejected unauthenticated request: %s", exc.reason)
            return _unauthorized()
        except SigningKeysUnavailable:
            return _error(HTTPStatus.SERVICE_UNAVAILABLE, "signing keys unavailable, retry later")
        try:
            activity = await parse_activity(request)
        except BadRequest as exc:
            log.info("Rejected request (%d): %s", exc.status, exc.reason)
            return _error(exc.status, exc.reason)
        try:
            auth_result = self.auth.authenticate_activity(activity, verified)
        except AuthError as exc:
            log.warning(
                "Rejected unauthenticated activity %s from channel %s: %s",
                activity.id,
                activity.channel_id,
                exc.reason,
            )
            return _unauthorized()
        try:
            invoke = await self.process_activity(auth_result, activity, bot.on_turn)
        except OutboundTokenError as exc:
            # Before the turn: the bot cannot get its own token, so it could not reply anyway.
            # The body is what a caller can show (an invoke's answer is this very response).
            log.error("Activity %s not processed: %s", activity.id, exc)
            response = _error(HTTPStatus.SERVICE_UNAVAILABLE, UNAVAILABLE_TEXT)
            response.headers["Retry-After"] = "30"
            return response
        except Exception:  # the bot's own boundary failed; keep the service up, stack in the log
            correlation_id = uuid.uuid4().hex[:12]
            log.exception(
                "Turn failed for activity %s (correlation %s)", activity.id, correlation_id
            )
            return _error(
                HTTPStatus.INTERNAL_SERVER_ERROR,
                "the turn failed",
                correlation_id=correlation_id,
            )
        if invoke is None:
            return web.Response(status=HTTPStatus.OK)
        return invoke_response_json(invoke)

    async def process(
        self, request: web.Request, bot: Bot, ws_response: Any = None
    ) -> web.Response:
        """The SDK's entry point name, routed through the same boundary."""
        return await self.handle(request, bot)

    async def close(self) -> None:
        """Close cached connector clients (call on app shutdown; optional)."""
        await self.auth.close()


def build_auth(settings: Settings, session: ClientSession) -> KiwBotFrameworkAuthentication:
    if settings.local_mode:
        log.warning("Local mode: no MicrosoftAppId, inbound tokens are NOT validated")
        return KiwBotFrameworkAuthentication("", None, None, session)
    app_id = settings.microsoft_app_id
    keys = OpenIdKeySet(session, settings.openid_metadata_url or BOT_CONNECTOR_OPENID_METADATA_URL)
    validator = ChannelTokenValidator(app_id, keys)
    deadline = settings.outbound_token_deadline_seconds
    if settings.microsoft_app_type == AppType.user_assigned_msi:
        tokens = OutboundTokenProvider.for_managed_identity(app_id, deadline_seconds=deadline)
    else:
        tokens = OutboundTokenProvider.for_client_secret(
            app_id,
            settings.microsoft_app_password,
            tenant_id=(
                settings.microsoft_app_tenant_id
                if settings.microsoft_app_type == AppType.single_tenant
                else ""
            ),
            authority_host=settings.bot_authority_host or DEFAULT_AUTHORITY_HOST,
            deadline_seconds=deadline,
        )
    return KiwBotFrameworkAuthentication(app_id, validator, tokens, session)


def build_adapter(settings: Settings, session: ClientSession) -> KiwAdapter:
    return KiwAdapter(build_auth(settings, session))
