"""The dashboard in a real browser: headless Chromium (Debian's package) driven by Playwright.

Local mode: the page loads, the charts draw, the period filter changes the figures, the upload
ranks an inventory. Production mode: sign-in runs the real msal authorization-code flow against
a local stand-in for Entra ID (HTTPS on loopback for discovery and token, as msal demands), and
a user outside the admin group is refused while a member gets in.

Over 400 lines on purpose: the browser, the local Entra stand-in and its TLS set-up are built
once per module, and every test drives the same page through them.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import json
import os
import secrets
import ssl
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from graph.principal import Principal
from tests.bot.kit import TENANT, FakeDirectory
from tests.bot.werkstatt.support import (
    ADMIN_GROUP,
    at,
    closed_monday,
    entra_sign_in,
    mount,
    services_for,
    write_usage,
)
from tests.conftest import REPO
from tests.support.botframework import LoopbackTls

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
CLIENT_ID = "00000000-0000-0000-0000-00000000b07"
ADMIN = "aaaaaaaa-0000-0000-0000-000000000001"
OUTSIDER = "bbbbbbbb-0000-0000-0000-000000000002"


def require_chromium() -> None:
    """Fail (never skip) when the browser is absent: the test must run in CI."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium package (.ci/run does)")


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    require_chromium()
    try:
        from playwright.async_api import async_playwright
    except ImportError as exc:
        pytest.fail(f"playwright (python) is not installed: {exc}")
    async with async_playwright() as pw:
        b = await pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        try:
            yield b
        finally:
            await b.close()


async def serve(
    app: web.Application, ssl_context: ssl.SSLContext | None = None
) -> tuple[web.AppRunner, int]:
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=ssl_context)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return runner, port


async def canvas_ink(page: Any, canvas_id: str) -> int:
    """How many pixels of a chart canvas are drawn (not transparent)."""
    return int(
        await page.evaluate(
            """(id) => {
                const c = document.getElementById(id);
                const data = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                let n = 0;
                for (let i = 3; i < data.length; i += 4) if (data[i] > 0) n++;
                return n;
            }""",
            canvas_id,
        )
    )


# ---------------------------------------------------------------- local mode


async def test_dashboard_in_chromium(browser: Any, data_dir: Path) -> None:
    services = services_for(data_dir)
    last_week = closed_monday(1)
    write_usage(services.audit, last_week - dt.timedelta(days=7), days=12)  # Mon..Fri a week later
    # An older, quieter week: 6 people on two days, so the filter visibly changes the figures.
    old_first = closed_monday(17)
    write_usage(services.audit, old_first, days=2, users=6)
    app = web.Application()
    mount(app, services)
    runner, port = await serve(app)
    try:
        page = await browser.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        response = await page.goto(f"http://127.0.0.1:{port}/werkstatt")
        assert response is not None and response.status == 200
        await page.wait_for_selector("body[data-period]")
        assert "KI-Werkstatt" in await page.title()

        # charts render: every canvas has ink
        for canvas in (
            "chart-days",
            "chart-skills",
            "chart-latency",
            "chart-feedback",
            "chart-denials",
        ):
            assert await canvas_ink(page, canvas) > 500, canvas
        assert await page.get_attribute("#chart-days", "data-labels") == "28"  # 4 whole weeks
        qa_row = page.locator("#skills-table tbody tr", has_text="Fragen zu den KI-Regeln")
        assert await qa_row.locator("td").nth(1).inner_text() == "180"  # 15 a day for 12 days
        allris_row = page.locator("#skills-table tbody tr", has_text="Ratsinformationen")
        assert (await allris_row.locator("td").nth(1).inner_text()) == "unterdrückt"

        # period filter: any day of the old week shows that whole week
        await page.fill("#from", (old_first + dt.timedelta(days=1)).isoformat())
        await page.fill("#to", (old_first + dt.timedelta(days=1)).isoformat())
        await page.click("#apply")
        old_last = old_first + dt.timedelta(days=6)
        await page.wait_for_selector(
            f"body[data-period='{old_first.isoformat()}/{old_last.isoformat()}']"
        )
        assert await page.get_attribute("#chart-days", "data-labels") == "7"
        assert await qa_row.locator("td").nth(1).inner_text() == "18"  # 6 ok + 3 no_answer, 2 days
        assert await canvas_ink(page, "chart-days") > 500
        assert await page.input_value("#from") == old_first.isoformat()
        href = await page.get_attribute("#export", "href")
        assert (
            href == f"/werkstatt/export.csv?from={old_first.isoformat()}&to={old_last.isoformat()}"
        )

        # the prioritisation upload
        await page.set_input_files("#inventory", str(REPO / "samples" / "inventory.csv"))
        await page.click("#prioritise-submit")
        await page.wait_for_selector("#prioritise-result:not([hidden])")
        assert await page.locator("#ranking-table tbody tr").count() == 15
        assert await page.evaluate("document.getElementById('matrix-chart').naturalWidth") > 300
        assert "31 Prozesse" in await page.inner_text("#prioritise-summary")
        assert errors == []
    finally:
        await runner.cleanup()


# Internal names that must never reach the page (issue 15 item 2).
INTERNAL_NAMES = (
    "allris_search",
    "policy_qa",
    "summarise",
    "prioritise",
    "kipass_required",
    "kipass_expired",
    "unknown_user",
    "bad_input",
    "timeout",
    "turns",
    "latency",
    "null",
    "undefined",
    "NaN",
)


async def bars(page: Any, canvas_id: str) -> int:
    """How many bars the chart has data for (values above 0, as Chart.js was given them)."""
    return int(await page.get_attribute(f"#{canvas_id}", "data-values") or 0)


async def test_forty_turns_from_five_people_with_an_empty_day(browser: Any, data_dir: Path) -> None:
    """Issue 15.1: after 40 turns from 5 people, one quiet day emptied every chart."""
    services = services_for(data_dir)
    monday = closed_monday(1)
    plan = {0: "policy_qa", 1: "allris_search", 3: "summarise", 4: "policy_qa"}  # no Wednesday
    for offset, skill in plan.items():
        for u in range(5):
            for hour in (9, 14):  # 5 people x 2 turns x 4 days = 40 turns
                services.audit.write(
                    "turn",
                    skill=skill,
                    outcome="ok" if hour == 9 else "no_answer",
                    latency_ms=700 + 100 * u,
                    user_id=f"person-{u}@luebeck.de",
                    scope="personal",
                    cited=hour == 9,
                    now=at(monday + dt.timedelta(days=offset), hour),
                )
            services.audit.write(
                "feedback",
                skill=skill,
                outcome="up",
                user_id=f"person-{u}@luebeck.de",
                now=at(monday + dt.timedelta(days=offset), 15),
            )
            services.audit.write(
                "gate",
                skill="summarise",
                outcome="denied",
                reason="kipass_required",
                user_id=f"other-{u}@luebeck.de",
                now=at(monday + dt.timedelta(days=offset), 16),
            )
    app = web.Application()
    mount(app, services)
    runner, port = await serve(app)
    try:
        page = await browser.new_page(viewport={"width": 1280, "height": 2000}, locale="de-DE")
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        await page.goto(f"http://127.0.0.1:{port}/werkstatt")
        await page.wait_for_selector("body[data-period]")  # the default period has loaded
        await page.fill("#from", monday.isoformat())
        await page.fill("#to", monday.isoformat())
        await page.click("#apply")
        sunday = monday + dt.timedelta(days=6)
        await page.wait_for_selector(
            f"body[data-period='{monday.isoformat()}/{sunday.isoformat()}']"
        )

        # The charts carry data: four days of turns, three functions, latencies, feedback, shares.
        assert await bars(page, "chart-days") == 4
        assert await bars(page, "chart-skills") == 3
        assert await bars(page, "chart-latency") == 6
        assert await bars(page, "chart-feedback") == 3
        assert await bars(page, "chart-quality") == 6
        assert await bars(page, "chart-denials") == 1
        for canvas in ("chart-days", "chart-skills", "chart-latency", "chart-quality"):
            assert await canvas_ink(page, canvas) > 2000, canvas
        totals = await page.inner_text("#totals")
        assert "40" in totals and "unterdrückt" not in totals
        days = await page.evaluate(
            "Chart.getChart(document.getElementById('chart-days')).data.datasets[0].data"
        )
        assert days == [10, 10, 0, 10, 10, 0, 0]

        # German names only: the titles the skills declare and a German label per reason.
        table = await page.inner_text("#skills-table")
        for title in (
            "Fragen zu den KI-Regeln",
            "Ratsinformationen durchsuchen",
            "Vorlagen zusammenfassen",
        ):
            assert title in table
        assert "Kein KI-Pass" in await page.inner_text("#denials-table")
        text = await page.inner_text("body")
        for name in INTERNAL_NAMES:
            assert name not in text, name
        labels = await page.evaluate(
            """() => Object.values(Chart.instances).flatMap((c) =>
                   [...c.data.labels, ...c.data.datasets.map((d) => d.label)])"""
        )
        for name in INTERNAL_NAMES:
            assert not [label for label in labels if name in str(label)], name
        assert errors == []
        # The picture in docs/: KIW_WERKSTATT_SCREENSHOT=docs/werkstatt-dashboard.png
        if target := os.environ.get("KIW_WERKSTATT_SCREENSHOT"):
            await page.locator("#prioritise-section").evaluate("(e) => e.remove()")
            await page.screenshot(path=target, full_page=True)
    finally:
        await runner.cleanup()


# ---------------------------------------------------------------- production: Entra sign-in


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


@dataclass
class FakeEntra:
    """Answers what msal and the browser ask of login.microsoftonline.com, for one tenant."""

    https_port: int = 0
    http_port: int = 0
    signed_in_as: str = ""
    codes: dict[str, dict[str, str]] = field(default_factory=dict)

    def tls_app(self) -> web.Application:
        app = web.Application()
        app.router.add_get(f"/{TENANT}/v2.0/.well-known/openid-configuration", self.discovery)
        app.router.add_post(f"/{TENANT}/oauth2/v2.0/token", self.token)
        return app

    def browser_app(self) -> web.Application:
        app = web.Application()
        app.router.add_get(f"/{TENANT}/oauth2/v2.0/authorize", self.authorize)
        return app

    @property
    def issuer(self) -> str:
        return f"https://127.0.0.1:{self.https_port}/{TENANT}/v2.0"

    async def discovery(self, request: web.Request) -> web.Response:
        return web.json_response(
            {
                "issuer": self.issuer,
                # The user's browser is sent here; a real tenant uses HTTPS for this as well.
                "authorization_endpoint": f"http://127.0.0.1:{self.http_port}/{TENANT}/oauth2/v2.0/authorize",
                "token_endpoint": f"https://127.0.0.1:{self.https_port}/{TENANT}/oauth2/v2.0/token",
            }
        )

    async def authorize(self, request: web.Request) -> web.Response:
        q = request.query
        assert q["client_id"] == CLIENT_ID and q["response_type"] == "code"
        assert q.get("code_challenge_method") == "S256"
        assert q.get("response_mode") == "form_post"
        code = secrets.token_urlsafe(16)
        self.codes[code] = {
            "nonce": q.get("nonce", ""),
            "oid": self.signed_in_as,
            "redirect_uri": q["redirect_uri"],
        }
        # As Entra does for response_mode=form_post: a page that posts the code to the app.
        fields = {"code": code, "state": q["state"], "session_state": "s"}
        inputs = "".join(
            f'<input type="hidden" name="{k}" value="{html.escape(v)}">' for k, v in fields.items()
        )
        page = (
            f'<html><body onload="document.forms[0].submit()"><form method="post" '
            f'action="{html.escape(q["redirect_uri"])}">{inputs}</form></body></html>'
        )
        return web.Response(text=page, content_type="text/html")

    async def token(self, request: web.Request) -> web.Response:
        form = await request.post()
        grant = self.codes.pop(str(form.get("code")), None)
        if grant is None or form.get("client_secret") != "secret" or not form.get("code_verifier"):
            return web.json_response({"error": "invalid_grant"}, status=400)
        assert form.get("redirect_uri") == grant["redirect_uri"]
        now = int(dt.datetime.now(dt.UTC).timestamp())
        claims = {
            "iss": self.issuer,
            "aud": CLIENT_ID,
            "tid": TENANT,
            "oid": grant["oid"],
            "sub": grant["oid"],
            "nonce": grant["nonce"],
            "iat": now,
            "nbf": now,
            "exp": now + 3600,
            "preferred_username": "someone@luebeck.de",
        }
        id_token = _b64({"alg": "none", "typ": "JWT"}) + "." + _b64(claims) + "."
        return web.json_response(
            {
                "token_type": "Bearer",
                "scope": "openid profile offline_access",
                "expires_in": 3600,
                "access_token": "at-" + secrets.token_hex(8),
                "id_token": id_token,
                "client_info": _b64({"uid": grant["oid"], "utid": TENANT}),
            }
        )


async def test_sign_in_admits_admin_group_and_refuses_others(
    browser: Any, tmp_path: Path, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # requests lets these variables override the CA bundle msal is given (requests issue 3829);
    # the test's own CA must win, as a city's would through `verify`.
    for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        monkeypatch.delenv(name, raising=False)
    loopback = LoopbackTls.create(tmp_path)
    cert = loopback.cert_file
    tls = loopback.server_context()
    entra = FakeEntra()
    tls_runner, entra.https_port = await serve(entra.tls_app(), tls)
    http_runner, entra.http_port = await serve(entra.browser_app())

    directory = FakeDirectory.with_groups(
        {ADMIN: frozenset({ADMIN_GROUP}), OUTSIDER: frozenset({"fraktion-x"})}
    )
    services = services_for(data_dir, directory=directory)
    write_usage(services.audit, closed_monday(1), days=3)
    guard = entra_sign_in(directory, entra.https_port, client_id=CLIENT_ID, verify=str(cert))
    app = web.Application()
    mount(app, services, guard=guard)
    runner, port = await serve(app)
    base = f"http://127.0.0.1:{port}"
    try:
        # Outside the admin group: signed in fine, but refused, and no session is handed out.
        entra.signed_in_as = OUTSIDER
        outsider = await browser.new_context()
        page = await outsider.new_page()
        async with page.expect_response(lambda r: "/werkstatt/auth/callback" in r.url) as answer:
            await page.goto(base + "/werkstatt")
        assert (await answer.value).status == 403
        assert "nicht in der berechtigten Gruppe" in await page.inner_text("#refusal")
        api = await page.goto(base + "/werkstatt/api/figures")
        assert api is not None and api.status == 401
        assert not [c for c in await outsider.cookies() if c["name"] == "kiw_werkstatt"]
        await outsider.close()

        # A member of the admin group: through the same flow onto the dashboard.
        entra.signed_in_as = ADMIN
        admin = await browser.new_context()
        page = await admin.new_page()
        await page.goto(base + "/werkstatt")
        await page.wait_for_url(base + "/werkstatt")
        await page.wait_for_selector("body[data-period]")
        assert await canvas_ink(page, "chart-days") > 500
        session = [c for c in await admin.cookies() if c["name"] == "kiw_werkstatt"]
        assert session and session[0]["httpOnly"] and session[0]["sameSite"] == "Lax"
        api = await page.goto(base + "/werkstatt/api/figures")
        assert api is not None and api.status == 200

        # Removed from the group: the next request is refused although the session is valid.
        directory.principals[ADMIN] = Principal(id=ADMIN, name="Test")
        api = await page.goto(base + "/werkstatt/api/figures")
        assert api is not None and api.status == 403
        await admin.close()
    finally:
        await runner.cleanup()
        await http_runner.cleanup()
        await tls_runner.cleanup()
