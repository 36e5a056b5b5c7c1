"""The dashboard's answers to someone it does not let in, or whose sign-in failed: German pages
(or JSON for the API) with a way back. SDK-free and msal-free, for bot/werkstatt/auth.py."""

from __future__ import annotations

import html
import logging

from aiohttp import web

log = logging.getLogger("kiw.werkstatt.auth")

LOGIN_PATH = "/werkstatt/login"

# Where a person can go from a refusal page: (href, German link text).
SIGN_IN_AGAIN = (LOGIN_PATH, "Erneut anmelden")
TO_DASHBOARD = ("/werkstatt", "Zum Werkstatt-Dashboard")


def refusal(
    status: int,
    message: str,
    *,
    wants_json: bool,
    title: str = "Kein Zugang",
    way_back: tuple[str, str] | None = None,
) -> web.Response:
    if wants_json:
        return web.json_response({"error": message}, status=status)
    link = (
        f"<p><a id='way-back' href='{html.escape(way_back[0])}'>{html.escape(way_back[1])}</a></p>"
        if way_back
        else ""
    )
    page = (
        "<!doctype html><html lang='de'><head><meta charset='utf-8'>"
        f"<title>KI-Werkstatt – {html.escape(title)}</title></head><body>"
        f"<h1>{html.escape(title)}</h1><p id='refusal'>{html.escape(message)}</p>{link}"
        "</body></html>"
    )
    return web.Response(text=page, status=status, content_type="text/html")


def entra_unreachable(exc: BaseException) -> web.Response:
    # OSError covers requests' exceptions (RequestException is an IOError) and socket errors;
    # msal raises ValueError when the tenant's OpenID metadata cannot be read.
    log.warning("werkstatt sign-in: Entra ID not reachable (%s: %s)", type(exc).__name__, exc)
    return refusal(
        503,
        "Die Anmeldung über Microsoft Entra ID ist gerade nicht erreichbar. Bitte versuchen Sie "
        "es in einigen Minuten erneut; besteht das Problem weiter, wenden Sie sich an den Betrieb.",
        wants_json=False,
        title="Anmeldung nicht möglich",
        way_back=SIGN_IN_AGAIN,
    )


def sign_in_expired() -> web.Response:
    return refusal(
        400,
        "Die Anmeldung ist abgelaufen oder wurde in einem anderen Fenster begonnen. "
        "Bitte melden Sie sich erneut an.",
        wants_json=False,
        title="Anmeldung abgelaufen",
        way_back=SIGN_IN_AGAIN,
    )


def sign_in_failed() -> web.Response:
    return refusal(
        403,
        "Die Anmeldung wurde abgebrochen oder von Microsoft Entra ID abgelehnt.",
        wants_json=False,
        title="Anmeldung fehlgeschlagen",
        way_back=SIGN_IN_AGAIN,
    )


def redirect(location: str) -> web.Response:
    # A plain 302 response (not a raised HTTPFound) so cookies can be set on it.
    return web.Response(status=302, headers={"Location": location})


def wants_json(request: web.Request) -> bool:
    return "/api/" in request.path or request.path.endswith((".csv", "/prioritise"))


def not_in_group(request: web.Request) -> web.Response:
    return refusal(
        403,
        "Das Werkstatt-Dashboard ist dem Team der KI-Werkstatt und dem Personalrat vorbehalten. "
        "Ihr Konto ist nicht in der berechtigten Gruppe.",
        wants_json=wants_json(request),
    )
