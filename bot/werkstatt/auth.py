"""Who may open the Werkstatt dashboard: members of KIW_ADMIN_GROUP, nobody else.

Production: Entra ID sign-in with the authorization-code flow (msal, with PKCE), using the bot's
own app registration (MicrosoftAppId/-Password, tenant MicrosoftAppTenantId); the redirect URI
`https://<KIW_BOT_DOMAIN>/werkstatt/auth/callback` must be registered on it as a "Web" platform.
After sign-in the user's object id (`oid` claim) is looked up in the directory seam and must be
in KIW_ADMIN_GROUP; membership is checked again on every request (through the directory cache,
so a removal takes effect within its TTL). The session is an HMAC-signed cookie (key derived
from KIW_AUDIT_KEY, so all instances accept it), HttpOnly, SameSite=Lax, 8 hours.

Local mode (no MicrosoftAppId): there is no sign-in to check, so only requests from a loopback
address are served, whatever KIW_HOST says.

msal is reached through the one wrapper (graph/entra.py); the refusal pages are in
bot/werkstatt/pages.py, the signed cookies in bot/werkstatt/cookies.py.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

from aiohttp import web

from bot.werkstatt.cookies import SignedCookie
from bot.werkstatt.pages import (
    LOGIN_PATH,
    SIGN_IN_AGAIN,
    entra_unreachable,
    not_in_group,
    redirect,
    refusal,
    sign_in_expired,
    sign_in_failed,
    wants_json,
)
from graph.entra import BOT_SETTINGS, EntraApp, EntraError
from graph.principal import Directory, DirectoryError, UnknownUser

log = logging.getLogger("kiw.werkstatt.auth")

SESSION_COOKIE = "kiw_werkstatt"
FLOW_COOKIE = "kiw_werkstatt_flow"
SESSION_SECONDS = 8 * 3600
FLOW_SECONDS = 600
CALLBACK_PATH = "/werkstatt/auth/callback"
# Each call to Entra ID (metadata, token) gets this long; a sign-in page that hangs helps no one.
ENTRA_TIMEOUT_SECONDS = 10.0
# The errors that mean "Entra ID cannot be reached or read" (see entra_unreachable): the
# wrapper's own, requests' (RequestException is an OSError), timeouts, and msal's ValueError
# when the tenant's OpenID metadata cannot be read.
ENTRA_DOWN = (EntraError, OSError, TimeoutError, ValueError)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True)
class Admin:
    """Who is looking; never shown on the page and never written to the audit log."""

    user_id: str | None  # None in local mode


def is_loopback(remote: str | None) -> bool:
    if not remote:
        return False
    try:
        return ipaddress.ip_address(remote.split("%", 1)[0]).is_loopback
    except ValueError:
        return False


class Guard(Protocol):
    async def check(self, request: web.Request) -> Admin | web.Response: ...


class LoopbackOnly:
    """Local mode: the dashboard answers only on the machine itself."""

    async def check(self, request: web.Request) -> Admin | web.Response:
        if is_loopback(request.remote):
            return Admin(None)
        return refusal(
            403,
            "Im lokalen Modus ist das Werkstatt-Dashboard nur auf dem Rechner selbst erreichbar.",
            wants_json=wants_json(request),
        )


class NotConfigured:
    """Production without a tenant to sign in to: nobody gets in; the admin reads why."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        log.error("werkstatt dashboard disabled: %s", reason)

    async def check(self, request: web.Request) -> Admin | web.Response:
        return refusal(
            503,
            "Das Werkstatt-Dashboard ist nicht eingerichtet. Bitte wenden Sie sich an den Betrieb.",
            wants_json=wants_json(request),
        )


class EntraSignIn:
    """Entra ID sign-in (authorization-code flow) plus the admin-group check."""

    def __init__(
        self,
        *,
        client_id: str,
        client_secret: str,
        authority: str,
        tenant_id: str,
        admin_group: str,
        directory: Directory,
        key: bytes,
        public_base_url: str | None = None,
        verify: bool | str = True,  # a CA bundle path for tests against a local HTTPS server
        timeout: float = ENTRA_TIMEOUT_SECONDS,
    ) -> None:
        self._entra = EntraApp(
            client_id=client_id,
            credential=client_secret,
            authority=authority,
            verify=verify,
            timeout_seconds=timeout,
            settings=BOT_SETTINGS,  # the bot's own app registration signs people in
        )
        self._tenant_id = tenant_id
        self._admin_group = admin_group
        self._directory = directory
        self._cookies = SignedCookie(key)
        self._public_base_url = public_base_url.rstrip("/") if public_base_url else None
        self._timeout = timeout

    async def _app(self) -> Any:
        # msal discovers the tenant's endpoints when the client is built: the first sign-in
        # builds it, off the event loop.
        return await self._entra_call(self._entra.client)

    async def _entra_call(self, call: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """A blocking msal call off the event loop, abandoned if it outlives its deadline.

        The wrapper's timeout (per HTTP request) ends the thread; the outer deadline covers the
        few requests one call may make."""
        return await asyncio.wait_for(
            asyncio.to_thread(call, *args, **kwargs), timeout=3 * self._timeout
        )

    async def close(self) -> None:
        """Close msal's HTTP session (its pooled connections to the token endpoint)."""
        await asyncio.to_thread(self._entra.close)

    def _redirect_uri(self, request: web.Request) -> str:
        base = self._public_base_url or str(request.url.origin())
        return base + CALLBACK_PATH

    def _set_cookie(
        self,
        response: web.StreamResponse,
        request: web.Request,
        name: str,
        value: str,
        max_age: int,
        *,
        cross_site: bool = False,
    ) -> None:
        # Plain http is only possible on loopback (development, tests); everywhere else the
        # cookie is Secure. The sign-in flow cookie must come back with Entra's cross-site
        # form_post to the callback, which browsers allow only for SameSite=None (+ Secure).
        secure = request.secure or not is_loopback(request.remote)
        response.set_cookie(
            name,
            value,
            max_age=max_age,
            path="/werkstatt",
            httponly=True,
            samesite="None" if cross_site and secure else "Lax",
            secure=secure,
        )

    async def _is_admin(self, user_id: str) -> bool | None:
        """True/False; None when the directory cannot answer (fail closed, other message)."""
        try:
            principal = await self._directory.lookup(user_id)
        except UnknownUser:
            return False
        except DirectoryError as exc:
            log.warning("werkstatt: directory lookup failed (%s)", exc.code)
            return None
        return self._admin_group in principal.groups

    async def check(self, request: web.Request) -> Admin | web.Response:
        session = self._cookies.load(request.cookies.get(SESSION_COOKIE))
        if session is None:
            if wants_json(request):
                return refusal(401, "Bitte melden Sie sich an.", wants_json=True)
            return redirect(LOGIN_PATH)
        allowed = await self._is_admin(str(session.get("oid", "")))
        if allowed is None:
            return refusal(
                503,
                "Die Berechtigung kann gerade nicht geprüft werden. Bitte später erneut versuchen.",
                wants_json=wants_json(request),
            )
        if not allowed:
            return not_in_group(request)
        return Admin(str(session["oid"]))

    async def login(self, request: web.Request) -> web.StreamResponse:
        try:
            msal_app = await self._app()
            flow = await self._entra_call(
                msal_app.initiate_auth_code_flow,
                [],
                redirect_uri=self._redirect_uri(request),
                response_mode="form_post",  # the code travels in a POST body, not in the URL
            )
        except ENTRA_DOWN as exc:
            return entra_unreachable(exc)
        response = redirect(flow["auth_uri"])
        flow["exp"] = time.time() + FLOW_SECONDS
        self._set_cookie(
            response, request, FLOW_COOKIE, self._cookies.dump(flow), FLOW_SECONDS, cross_site=True
        )
        return response

    async def callback(self, request: web.Request) -> web.StreamResponse:
        flow = self._cookies.load(request.cookies.get(FLOW_COOKIE))
        answer = await _auth_response(request)
        if answer.get("error"):
            # Entra sends the person back with an error: consent denied, sign-in cancelled, ...
            log.warning("werkstatt sign-in refused by Entra ID: %s", answer["error"][:100])
            return sign_in_failed()
        if flow is None or not answer.get("state") or answer.get("state") != flow.get("state"):
            return sign_in_expired()
        flow.pop("exp", None)
        try:
            msal_app = await self._app()
            result = await self._entra_call(msal_app.acquire_token_by_auth_code_flow, flow, answer)
        except ENTRA_DOWN as exc:
            return entra_unreachable(exc)
        claims = result.get("id_token_claims") if isinstance(result, dict) else None
        if not claims or "error" in result:
            log.warning(
                "werkstatt sign-in failed: %s",
                result.get("error") if isinstance(result, dict) else "?",
            )
            return sign_in_failed()
        if self._tenant_id and claims.get("tid") != self._tenant_id:
            return refusal(
                403,
                "Ihr Konto gehört nicht zur Verwaltung der Hansestadt Lübeck.",
                wants_json=False,
            )
        oid = str(claims.get("oid") or "")
        allowed = await self._is_admin(oid) if oid else False
        if allowed is None:
            return refusal(
                503,
                "Die Berechtigung kann gerade nicht geprüft werden. Bitte später erneut versuchen.",
                wants_json=False,
                way_back=SIGN_IN_AGAIN,
            )
        if not allowed:
            return not_in_group(request)
        response = redirect("/werkstatt")
        session = {"oid": oid, "exp": time.time() + SESSION_SECONDS}
        self._set_cookie(
            response, request, SESSION_COOKIE, self._cookies.dump(session), SESSION_SECONDS
        )
        response.del_cookie(FLOW_COOKIE, path="/werkstatt")
        return response

    async def logout(self, request: web.Request) -> web.StreamResponse:
        response = refusal(
            200,
            "Sie sind abgemeldet.",
            wants_json=False,
            title="Abgemeldet",
            way_back=SIGN_IN_AGAIN,
        )
        response.del_cookie(SESSION_COOKIE, path="/werkstatt")
        return response


async def _auth_response(request: web.Request) -> dict[str, str]:
    """Entra's answer: form fields of its form_post, or the query of a plain redirect."""
    if request.method == "POST":
        return {k: str(v) for k, v in (await request.post()).items()}
    return dict(request.query)


def guarded(guard: Guard, handler: Handler) -> Handler:
    async def wrapper(request: web.Request) -> web.StreamResponse:
        verdict = await guard.check(request)
        if isinstance(verdict, web.StreamResponse):
            return verdict
        return await handler(request)

    return wrapper
