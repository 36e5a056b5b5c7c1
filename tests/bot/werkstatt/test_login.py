"""Sign-in errors are German pages with a way back, never a 500 (issue 12 item 8).

The guard talks to an "Entra ID" on loopback that refuses connections or accepts and never
answers; msal runs for real against it.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from bot.werkstatt.auth import FLOW_COOKIE
from bot.werkstatt.cookies import SignedCookie, session_key
from tests.bot.kit import AUDIT_KEY, FakeDirectory
from tests.bot.werkstatt.support import entra_sign_in, mount, services_for


@pytest.fixture
def refusing_port() -> int:
    """A loopback port nobody listens on: connections are refused."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def hanging_port() -> Iterator[int]:
    """A loopback port that accepts connections (the kernel's backlog) and never answers."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(16)
        yield int(s.getsockname()[1])


async def dashboard(aiohttp_client: Any, data_dir: Path, port: int) -> TestClient:
    directory = FakeDirectory()
    guard = entra_sign_in(directory, port, timeout=0.5)
    app = web.Application()
    mount(app, services_for(data_dir, directory=directory), guard=guard)
    return await aiohttp_client(app)


async def assert_german_page(response: Any, status: int, *words: str) -> str:
    assert response.status == status
    assert response.content_type == "text/html"
    text = await response.text()
    assert "<html lang='de'>" in text
    for word in words:
        assert word in text
    assert "href='/werkstatt/login'" in text  # the way back
    assert "Traceback" not in text and "Error" not in text
    return text


@pytest.mark.parametrize("entra", ["refusing_port", "hanging_port"])
async def test_login_with_entra_unreachable_is_a_german_503(
    aiohttp_client: Any, data_dir: Path, entra: str, request: pytest.FixtureRequest
) -> None:
    client = await dashboard(aiohttp_client, data_dir, request.getfixturevalue(entra))
    # Without a session the page sends the browser to the sign-in ...
    page = await client.get("/werkstatt", allow_redirects=False)
    assert page.status == 302 and page.headers["Location"] == "/werkstatt/login"
    # ... which cannot reach Entra ID: a German page, not a 500.
    login = await client.get("/werkstatt/login", allow_redirects=False)
    await assert_german_page(login, 503, "nicht erreichbar", "Erneut anmelden")
    assert FLOW_COOKIE not in login.cookies


async def signing_in(aiohttp_client: Any, data_dir: Path, port: int) -> TestClient:
    """The dashboard with a sign-in in progress in this browser (its flow cookie, state "mine")."""
    client = await dashboard(aiohttp_client, data_dir, port)
    flow = {"state": "mine", "redirect_uri": "http://x/cb", "exp": time.time() + 600}
    cookie = SignedCookie(session_key(AUDIT_KEY)).dump(flow)
    client.session.cookie_jar.update_cookies({FLOW_COOKIE: cookie})
    return client


async def test_callback_without_a_sign_in_in_progress(
    aiohttp_client: Any, data_dir: Path, refusing_port: int
) -> None:
    client = await dashboard(aiohttp_client, data_dir, refusing_port)
    r = await client.post("/werkstatt/auth/callback", data={"code": "c", "state": "s"})
    await assert_german_page(r, 400, "abgelaufen")
    r = await client.get("/werkstatt/auth/callback")
    await assert_german_page(r, 400, "abgelaufen")


async def test_callback_with_a_foreign_state_is_refused_before_entra_is_asked(
    aiohttp_client: Any, data_dir: Path, refusing_port: int
) -> None:
    client = await signing_in(aiohttp_client, data_dir, refusing_port)
    r = await client.post("/werkstatt/auth/callback", data={"code": "c", "state": "forged"})
    await assert_german_page(r, 400, "anderen Fenster")


async def test_callback_when_entra_reports_an_error(
    aiohttp_client: Any, data_dir: Path, refusing_port: int
) -> None:
    """The person declined consent or cancelled: Entra posts error=... back to the callback."""
    client = await signing_in(aiohttp_client, data_dir, refusing_port)
    r = await client.post(
        "/werkstatt/auth/callback",
        data={"error": "access_denied", "error_description": "AADSTS65004", "state": "mine"},
    )
    text = await assert_german_page(r, 403, "abgelehnt")
    assert "AADSTS" not in text and "access_denied" not in text


async def test_callback_when_the_token_endpoint_is_unreachable(
    aiohttp_client: Any, data_dir: Path, hanging_port: int
) -> None:
    client = await signing_in(aiohttp_client, data_dir, hanging_port)
    r = await client.post("/werkstatt/auth/callback", data={"code": "c", "state": "mine"})
    await assert_german_page(r, 503, "nicht erreichbar")


async def test_logout_page_offers_to_sign_in_again(
    aiohttp_client: Any, data_dir: Path, refusing_port: int
) -> None:
    client = await dashboard(aiohttp_client, data_dir, refusing_port)
    await assert_german_page(await client.get("/werkstatt/logout"), 200, "abgemeldet")
