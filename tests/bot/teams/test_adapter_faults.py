"""Faults at the HTTP edge (issue 12, items 3 and 4), auth ON over loopback: deeply nested JSON,
the token checked before the body, and a token authority that is unreachable or silent."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import ClientSession, ClientTimeout, web

from bot.app import create_app
from bot.teams import connector
from bot.teams.adapter import MAX_JSON_DEPTH, UNAVAILABLE_TEXT, json_too_deep
from bot.teams.auth.errors import SigningKeysUnavailable
from bot.teams.auth.openid import OpenIdKeySet
from bot.teams.auth.outbound import (
    OutboundTokenError,
    OutboundTokenProvider,
    OutboundTokenUnavailable,
)
from tests.bot.kit import make_services, make_settings
from tests.bot.teams.endpoint import Endpoint, MakeEndpoint
from tests.bot.teams.test_auth import FakeClock
from tests.support.botframework import BotFrameworkStubs
from tests.support.silent import SilentServer, closed_port
from tests.support.turns import APP_ID, TENANT_ID, compose_extension_query, message

DEADLINE = 1.0  # KIW_OUTBOUND_TOKEN_DEADLINE_SECONDS in these tests
# A far guard against a hang, never a timing: the deadlines here are 0.5 s and 1 s, the hangs
# they end were 30 s to forever. Each test checks the path taken (the recorded failure, the
# connections made), not how long it took: the machine is shared and its load reaches 12.
HANG_GUARD = 30.0


@pytest.fixture
def make_endpoint(make_endpoint: MakeEndpoint) -> MakeEndpoint:
    """The shared endpoint factory (conftest.py), with this module's token deadline."""

    async def make(**overrides: Any) -> Endpoint:
        return await make_endpoint(**{"outbound_token_deadline_seconds": DEADLINE, **overrides})

    return make


def nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


# ---- JSON depth ------------------------------------------------------------------------------


def test_depth_scan_counts_only_structure() -> None:
    assert not json_too_deep(nested(MAX_JSON_DEPTH))
    assert json_too_deep(nested(MAX_JSON_DEPTH + 1))
    assert json_too_deep(b'{"a":' * 65 + b"1" + b"}" * 65)
    assert json_too_deep(b"[{" * 33 + b"}]" * 33)  # mixed brackets count the same
    # Brackets inside strings, escaped quotes and backslashes are text, not structure.
    assert not json_too_deep(json.dumps({"text": "[" * 5000, "q": '\\"[[[' * 100}).encode())
    assert not json_too_deep(b'{"a": "\\\\", "b": [[["x"]]]}')
    # Not JSON at all: left to json.loads to refuse, not called deep.
    assert not json_too_deep(b'{"type": "message", ')
    assert not json_too_deep(b"]" * 1000 + b"[" * 1000)


async def test_two_kilobytes_of_nesting_is_400_with_a_token_and_401_without(
    make_endpoint: MakeEndpoint,
) -> None:
    """Was a 500 (RecursionError in json.loads) before the token was even looked at."""
    endpoint = await make_endpoint()
    activity = message(endpoint.service_url)
    body = json.dumps(activity)[:-1].encode() + b', "value": ' + nested(1000) + b"}"
    assert len(body) < 3000
    status, text = await endpoint.post(body)
    assert (status, json.loads(text)["message"]) == (
        400,
        f"JSON nested deeper than {MAX_JSON_DEPTH}",
    )
    assert (await endpoint.post(body, token=None))[0] == 401
    assert (await endpoint.post(nested(100_000), token=None))[0] == 401
    assert (await endpoint.post(nested(100_000)))[0] == 400
    assert endpoint.stubs.connector.calls == []
    assert (await endpoint.post(activity))[0] == 200  # and it still serves


async def test_token_is_checked_before_the_body_is_read(make_endpoint: MakeEndpoint) -> None:
    """Without a valid token the bot answers 401 without waiting for, reading or parsing the
    body: here the body announced in Content-Length never comes, and the answer still does."""
    endpoint = await make_endpoint()
    host, port = endpoint.url.split("//")[1].split("/")[0].split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    writer.write(
        b"POST /api/messages HTTP/1.1\r\nHost: bot\r\nContent-Type: application/json\r\n"
        b"Content-Length: 4000000\r\n\r\n{"
    )
    await writer.drain()
    try:
        status_line = await asyncio.wait_for(reader.readline(), timeout=3)
    finally:
        writer.close()
    assert status_line.startswith(b"HTTP/1.1 401"), status_line
    for body in (b"{not json", b"[1, 2]", nested(5000)):
        assert (await endpoint.post(body, token=None))[0] == 401
        assert (await endpoint.post(body, token="forged.token.value"))[0] == 401
    assert endpoint.stubs.connector.calls == []


async def test_a_token_for_another_service_url_is_still_refused_after_the_body(
    make_endpoint: MakeEndpoint,
) -> None:
    endpoint = await make_endpoint()
    token = endpoint.stubs.identity.sign(APP_ID, "https://attacker.example/")
    assert (await endpoint.post(message(endpoint.service_url), token=token))[0] == 401
    assert endpoint.stubs.connector.calls == []


# ---- outbound token: unreachable and silent authority -----------------------------------------


async def test_unreachable_token_authority_is_503_with_german_text(
    make_endpoint: MakeEndpoint,
) -> None:
    """Was a 500: requests.ConnectionError from MSAL was not mapped."""
    endpoint = await make_endpoint(bot_authority_host=f"https://127.0.0.1:{closed_port()}")
    status, body = await asyncio.wait_for(endpoint.post(message(endpoint.service_url)), HANG_GUARD)
    assert status == 503
    assert json.loads(body)["message"] == UNAVAILABLE_TEXT
    assert "vorübergehend nicht erreichbar" in UNAVAILABLE_TEXT
    # A message-extension invoke (its answer is this response) gets the same words.
    status, body = await endpoint.post(compose_extension_query(endpoint.service_url))
    assert (status, json.loads(body)["message"]) == (503, UNAVAILABLE_TEXT)
    assert endpoint.stubs.connector.calls == []


async def test_silent_token_authority_answers_every_post_within_the_deadline(
    make_endpoint: MakeEndpoint, stubs: BotFrameworkStubs, caplog: pytest.LogCaptureFixture
) -> None:
    """Was > 130 s per POST. Ten concurrent turns: all 503 at the deadline, because waiters
    share the one fetch and later callers fail fast instead of queueing (each queued caller
    used to start a fetch of its own: one more connection and one more deadline each)."""
    async with SilentServer(stubs.tls.server_context()) as silent:
        endpoint = await make_endpoint(bot_authority_host=silent.https_url)
        token = endpoint.token()  # signed once: signing costs the test client ~0.1 s each
        turns = (endpoint.post(message(endpoint.service_url), token=token) for _ in range(10))
        results = await asyncio.wait_for(asyncio.gather(*turns), HANG_GUARD)
        assert [status for status, _ in results] == [503] * 10
        assert f"did not answer within {DEADLINE:g} s" in caplog.text  # the deadline ended it
        assert silent.connections == 1  # one fetch for all ten
        post = endpoint.post(message(endpoint.service_url), token=token)
        assert (await asyncio.wait_for(post, HANG_GUARD))[0] == 503
        assert silent.connections == 1  # inside the cool-down: no new fetch, no new wait


@pytest.fixture
async def app_with_authority(
    stubs: BotFrameworkStubs, data_dir: Path
) -> AsyncIterator[Callable[[str], Awaitable[str]]]:
    runners: list[web.AppRunner] = []

    async def start(authority: str) -> str:
        settings = make_settings(
            data_dir,
            **{
                **stubs.settings_overrides(APP_ID, TENANT_ID),
                "bot_authority_host": authority,
                "outbound_token_deadline_seconds": DEADLINE,
            },
        )
        runner = web.AppRunner(create_app(settings, services=make_services(settings)))
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        runners.append(runner)
        return f"http://127.0.0.1:{runner.addresses[0][1]}"

    yield start
    for runner in runners:
        await runner.cleanup()


async def test_readyz_reports_the_token_authority(
    app_with_authority: Callable[[str], Awaitable[str]], stubs: BotFrameworkStubs
) -> None:
    """/healthz said 200 while every turn hung; /readyz now names the bot's own token."""
    async with SilentServer(stubs.tls.server_context()) as silent, ClientSession() as client:
        base = await app_with_authority(silent.https_url)
        async with client.get(base + "/readyz") as response:
            assert response.status == 503
            failed = (await response.json())["failed"]
        assert set(failed) == {"bot_token"}
        assert "did not answer within 1 s" in failed["bot_token"]
        async with client.get(base + "/healthz") as response:
            assert response.status == 200  # the process is up, just not ready

        good = await app_with_authority(stubs.entra.base_url)
        async with client.get(good + "/readyz") as response:
            assert response.status == 200, await response.text()


class FlakyAuthority:
    """An acquire function whose answers the test scripts: an exception or a token result."""

    def __init__(self, *answers: Exception | dict[str, Any]) -> None:
        self.answers = list(answers)
        self.calls = 0

    def __call__(self) -> dict[str, Any]:
        self.calls += 1
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer


async def test_transient_failures_are_retried_with_backoff() -> None:
    authority = FlakyAuthority(
        ConnectionError("connection reset"),
        {"error": "temporarily_unavailable", "error_description": "try later"},
        {"access_token": "token-1", "expires_in": 3600},
    )
    provider = OutboundTokenProvider(authority, deadline_seconds=5, backoff_seconds=0.01)
    assert await provider.token() == "token-1"
    assert authority.calls == 3


async def test_refused_credentials_are_not_retried() -> None:
    authority = FlakyAuthority({"error": "invalid_client", "error_description": "bad secret"})
    provider = OutboundTokenProvider(authority, deadline_seconds=5, backoff_seconds=0.01)
    with pytest.raises(OutboundTokenError, match="invalid_client"):
        await provider.token()
    assert authority.calls == 1


async def test_after_an_outage_the_next_fetch_follows_the_cool_down() -> None:
    clock = FakeClock()
    authority = FlakyAuthority(
        ConnectionError("refused"), {"access_token": "token-1", "expires_in": 3600}
    )
    provider = OutboundTokenProvider(
        authority, clock=clock, attempts=1, cooldown_seconds=5, deadline_seconds=5
    )
    with pytest.raises(OutboundTokenUnavailable, match="unreachable: ConnectionError"):
        await provider.token()
    with pytest.raises(OutboundTokenUnavailable):
        await provider.token()  # inside the cool-down: no second call
    assert authority.calls == 1
    clock.now += 6
    assert await provider.token() == "token-1"


async def test_a_token_due_for_refresh_is_used_while_the_authority_is_down() -> None:
    clock = FakeClock()
    authority = FlakyAuthority(
        {"access_token": "token-1", "expires_in": 3600}, ConnectionError("down")
    )
    provider = OutboundTokenProvider(
        authority, clock=clock, attempts=1, refresh_margin_seconds=300, deadline_seconds=5
    )
    assert await provider.token() == "token-1"
    clock.now += 3600 - 100  # due for refresh, not expired
    assert await provider.token() == "token-1"  # at once; the refresh runs in the background
    assert provider.refresh_task is not None
    await provider.refresh_task
    assert authority.calls == 2
    assert await provider.token() == "token-1"  # the failed refresh changes nothing for turns
    assert authority.calls == 2  # inside the cool-down: no new try
    clock.now += 200  # expired now: no token to fall back on
    with pytest.raises(OutboundTokenUnavailable):
        provider.current_token()  # never a blocking fetch inside the event loop


# ---- inbound signing keys: a silent OpenID metadata endpoint ----------------------------------


async def test_silent_metadata_endpoint_at_cold_start_is_unavailable_within_the_deadline() -> None:
    """Was up to 10 s per document (20 s for metadata + keys), past Teams' 15 s."""
    async with SilentServer() as silent, ClientSession() as session:
        keys = OpenIdKeySet(
            session, f"http://127.0.0.1:{silent.port}/metadata", fetch_deadline_seconds=0.5
        )
        with pytest.raises(SigningKeysUnavailable, match="no answer in time"):
            await asyncio.wait_for(keys.get("key-1"), HANG_GUARD)  # the deadline ended it
        with pytest.raises(SigningKeysUnavailable, match="recent fetch failed"):
            await asyncio.wait_for(keys.get("key-1"), HANG_GUARD)  # no second fetch, no wait
    assert silent.connections == 1


async def test_metadata_endpoint_going_silent_keeps_the_known_keys(
    stubs: BotFrameworkStubs, caplog: pytest.LogCaptureFixture
) -> None:
    """Key rollover check (unknown kid) against a silent endpoint: refused within the deadline,
    the known keys keep working."""
    silent, released = asyncio.Event(), asyncio.Event()

    async def metadata(request: web.Request) -> web.Response:
        if silent.is_set():
            await released.wait()  # until the test ends: the server's shutdown waits for it
        return web.json_response({"jwks_uri": str(request.url.with_path("/keys"))})

    async def jwks(_: web.Request) -> web.Response:
        return web.json_response({"keys": [k.jwk() for k in stubs.identity.keys]})

    app = web.Application()
    app.router.add_get("/metadata", metadata)
    app.router.add_get("/keys", jwks)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        async with ClientSession() as session:
            url = f"http://127.0.0.1:{runner.addresses[0][1]}/metadata"
            keys = OpenIdKeySet(session, url, fetch_deadline_seconds=0.5)
            assert await keys.get("key-1") is not None
            silent.set()
            assert await asyncio.wait_for(keys.get("rolled-key"), HANG_GUARD) is None
            assert "no answer within 0.5 s" in caplog.text  # the deadline ended the wait
            assert await keys.get("key-1") is not None
    finally:
        released.set()
        await runner.cleanup()


# ---- replies: a Bot Connector that accepts and never answers ----------------------------------


async def test_silent_bot_connector_does_not_hold_the_request(
    app_with_authority: Callable[[str], Awaitable[str]],
    stubs: BotFrameworkStubs,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The reply is sent while Teams' POST is open: each try has a deadline, and a timed-out
    reply is not sent again (it may have arrived). Was 30 s per try, three tries."""
    monkeypatch.setattr(connector, "_TIMEOUT", ClientTimeout(total=0.5))
    async with SilentServer() as silent, ClientSession() as client:
        base = await app_with_authority(stubs.entra.base_url)
        service_url = f"http://127.0.0.1:{silent.port}/"
        token = stubs.identity.sign(APP_ID, service_url)
        post = client.post(
            base + "/api/messages",
            json=message(service_url, "hilfe"),
            headers={"Authorization": f"Bearer {token}"},
        )
        response = await asyncio.wait_for(post, HANG_GUARD)
        response.release()
    assert response.status == 200  # the handler's boundary caught the failed reply
    assert silent.connections == 2  # the reply and the error reply, one try each: no retry


async def test_no_turn_waits_for_a_refresh_while_the_token_is_usable() -> None:
    """A silent authority during the refresh window: every caller gets the current token at
    once; only one background fetch waits (and gives up at the deadline)."""
    clock = FakeClock()
    release = threading.Event()
    calls: list[int] = []

    def acquire() -> dict[str, Any]:
        calls.append(1)
        if len(calls) > 1:
            release.wait(5)  # the silent authority
            raise ConnectionError("timed out")
        return {"access_token": "token-1", "expires_in": 3600}

    provider = OutboundTokenProvider(acquire, clock=clock, attempts=1, deadline_seconds=0.5)
    assert await provider.token() == "token-1"
    clock.now += 3600 - 100
    tokens = await asyncio.gather(*(provider.token() for _ in range(20)))
    assert set(tokens) == {"token-1"}
    # All twenty answered while the refresh still hangs (a caller that waited for it would
    # have come back only after the refresh gave up).
    assert provider.refresh_task is not None and not provider.refresh_task.done()
    await provider.refresh_task  # gives up at the deadline
    assert len(calls) == 2  # one background fetch for all twenty callers
    release.set()
    assert await provider.token() == "token-1"
