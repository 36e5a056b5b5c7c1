"""The one msal wrapper (graph/entra.py), msal running for real against the loopback Entra
token endpoint of tests/graph/graph_server.py (HTTPS, OpenID discovery, client credentials)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from graph.entra import (
    EntraApp,
    EntraRefused,
    EntraUnreachable,
    authority_url,
    plain_token_error,
    read_token,
)
from graph.graph_token import GRAPH_SCOPE
from tests.graph.graph_server import CLIENT_ID, CLIENT_SECRET, TENANT, GraphServer
from tests.support.botframework import LoopbackTls
from tests.support.silent import SilentServer, closed_port


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[GraphServer]:
    s = await GraphServer(tmp_path).start()
    yield s
    await s.close()


def entra(server: GraphServer, secret: str = CLIENT_SECRET, **options: object) -> EntraApp:
    return EntraApp(
        client_id=CLIENT_ID,
        credential=secret,
        authority=authority_url(TENANT, server.base),
        verify=str(server.ca_file),
        timeout_seconds=5.0,
        **options,  # type: ignore[arg-type]
    )


async def test_one_client_one_token_from_its_cache(server: GraphServer) -> None:
    app = entra(server)
    first = await asyncio.to_thread(app.token_for_client, [GRAPH_SCOPE])
    again = await asyncio.to_thread(app.token_for_client, [GRAPH_SCOPE])
    app.close()
    assert first.access_token == again.access_token
    assert first.expires_in == server.token_lifetime  # the cached one says what is left
    assert server.token_requests == 1  # msal answered the second time from its cache
    assert app.client() is app.client()


async def test_a_wrong_secret_is_refused_in_plain_words(server: GraphServer) -> None:
    app = entra(server, secret="wrong")
    with pytest.raises(EntraRefused) as refused:
        await asyncio.to_thread(app.token_for_client, [GRAPH_SCOPE])
    app.close()
    assert refused.value.error == "invalid_client"
    assert str(refused.value) == (
        "token request refused: the client secret is wrong (KIW_GRAPH_CLIENT_SECRET) "
        "(AADSTS7000215)"
    )


async def test_an_authority_nobody_answers_is_unreachable(tmp_path: Path) -> None:
    app = EntraApp(
        client_id=CLIENT_ID,
        credential=CLIENT_SECRET,
        authority=authority_url(TENANT, f"https://127.0.0.1:{closed_port()}"),
        timeout_seconds=2.0,
    )
    with pytest.raises(EntraUnreachable, match="cannot reach the authority"):
        await asyncio.to_thread(app.token_for_client, [GRAPH_SCOPE])
    app.close()


async def test_a_silent_authority_ends_in_the_request_timeout(tmp_path: Path) -> None:
    # It accepts the connection (TLS) and never answers: the session's timeout ends the wait.
    tls = LoopbackTls.create(tmp_path)
    async with SilentServer(tls.server_context()) as silent:
        app = EntraApp(
            client_id=CLIENT_ID,
            credential=CLIENT_SECRET,
            authority=authority_url(TENANT, f"https://127.0.0.1:{silent.port}"),
            verify=str(tls.cert_file),
            timeout_seconds=0.3,
            retries=0,
        )
        with pytest.raises(EntraUnreachable):
            await asyncio.to_thread(app.token_for_client, [GRAPH_SCOPE])
        app.close()
    assert silent.connections >= 1


def test_the_authoritys_answers_sorted_into_retry_or_not() -> None:
    assert read_token({"access_token": "t", "expires_in": 60}).access_token == "t"
    assert read_token({"access_token": "t"}).expires_in == 3600
    with pytest.raises(EntraUnreachable, match="temporarily_unavailable"):
        read_token({"error": "temporarily_unavailable", "error_description": "try later"})
    with pytest.raises(EntraRefused) as refused:
        read_token({"error": "invalid_client", "error_description": "AADSTS700016: no app"})
    assert refused.value.error == "invalid_client" and "KIW_GRAPH_CLIENT_ID" in str(refused.value)
    with pytest.raises(EntraRefused, match="unknown_error"):
        read_token("not a dict")
    assert plain_token_error({"error": "x", "error_description": "first\nsecond"}) == (
        "token request refused: x (first)"
    )
