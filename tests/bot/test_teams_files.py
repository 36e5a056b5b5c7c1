"""Attachment links: only allow-listed https hosts with public addresses (loopback in local mode
only), one deadline for all files of a turn, hanging hosts cost the deadline once."""

from __future__ import annotations

import asyncio
import socket
import ssl
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.teams_files import (
    FILE_DOWNLOAD_INFO,
    DownloadPolicy,
    PublicAddressResolver,
    download_attachments,
)
from tests.support.botframework import LoopbackTls
from tests.support.silent import SilentServer

LOCAL = DownloadPolicy(local_mode=True, deadline_seconds=0.5)
# A far guard against a hang, not a timing (the machine is shared): the deadline is 0.5 s, the
# hang it ends was 30 s per file. The tests check that the turn's deadline ended each download.
HANG_GUARD = 20.0
PRODUCTION = DownloadPolicy(deadline_seconds=0.5)


def _attachment(url: str, name: str = "liste.csv") -> dict[str, object]:
    return {"contentType": FILE_DOWNLOAD_INFO, "name": name, "content": {"downloadUrl": url}}


@pytest.fixture
async def file_server() -> AsyncIterator[str]:
    async def serve(_: web.Request) -> web.Response:
        return web.Response(body=b"name;wert\n")

    app = web.Application()
    app.router.add_get("/f", serve)
    async with TestServer(app, host="127.0.0.1") as server:
        yield str(server.make_url("/f"))


async def test_plain_http_loopback_only_in_local_mode(file_server: str) -> None:
    assert file_server.startswith("http://127.0.0.1")
    refused = await download_attachments([_attachment(file_server)], PRODUCTION)
    allowed = await download_attachments([_attachment(file_server)], LOCAL)
    assert (refused.files, refused.failed) == ((), ())
    assert [a.data for a in allowed.files] == [b"name;wert\n"]


async def test_plain_http_elsewhere_is_never_followed() -> None:
    result = await download_attachments([_attachment("http://files.example.org/x.csv")], LOCAL)
    assert result.files == () and result.failed == ()


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://luebeck-my.sharepoint.com/x", "scheme 'http' is not https"),
        ("https://luebeck-my.sharepoint.com:8443/x", "port 8443 is not 443"),
        ("https://127.0.0.1/x", "an IP address instead of a host name"),
        ("https://10.1.2.3/x", "an IP address instead of a host name"),
        ("https://[::1]/x", "an IP address instead of a host name"),
        ("https://169.254.169.254/latest/meta-data", "an IP address instead of a host name"),
        ("https://user:pw@luebeck-my.sharepoint.com/x", "credentials in the URL"),
        ("https://evil-sharepoint.com/x", "host 'evil-sharepoint.com' is not on the attachment"),
        ("https://sharepoint.com.evil.org/x", "host 'sharepoint.com.evil.org' is not on the"),
        ("https://sharepoint.com/x", "host 'sharepoint.com' is not on the attachment host list"),
        ("https://localhost/x", "host 'localhost' is not on the attachment host list"),
        ("https://luebeck-my.sharepoint.com:99999/x", "not a valid URL"),
        ("", "no host"),
    ],
)
def test_links_outside_the_allow_list_are_refused(url: str, reason: str) -> None:
    refusal = PRODUCTION.refusal(url)
    assert refusal is not None and refusal.startswith(reason)


@pytest.mark.parametrize(
    "url",
    [
        "https://luebeck-my.sharepoint.com/personal/x/_layouts/15/download.aspx?UniqueId=1",
        "https://LUEBECK.SharePoint.com:443/sites/rat/x.pdf",
    ],
)
def test_teams_onedrive_links_pass_the_policy(url: str) -> None:
    assert PRODUCTION.refusal(url) is None


def test_the_allow_list_is_configurable() -> None:
    policy = DownloadPolicy(hosts=("files.luebeck.de",))
    assert policy.refusal("https://files.luebeck.de/x") is None
    assert policy.refusal("https://luebeck-my.sharepoint.com/x") is not None


@pytest.mark.parametrize(
    "address", ["127.0.0.1", "10.0.0.7", "192.168.1.1", "169.254.169.254", "::1", "fd00::1"]
)
async def test_resolver_refuses_private_and_loopback_addresses(address: str) -> None:
    """A host name whose DNS answer is private (or rebinds to it) is refused at connect time."""
    resolver = PublicAddressResolver()
    try:
        with pytest.raises(OSError, match="no public address"):
            await resolver.resolve(address, 443, socket.AF_UNSPEC)  # as aiohttp asks
    finally:
        await resolver.close()


async def test_resolver_keeps_public_addresses() -> None:
    resolver = PublicAddressResolver()
    try:
        [result] = await resolver.resolve("20.190.160.1", 443)  # a Microsoft address
    finally:
        await resolver.close()
    assert result["host"] == "20.190.160.1"


async def test_allow_listed_name_resolving_to_loopback_is_not_fetched(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """DNS rebinding: the name is on the list, its address is 127.0.0.1: refused at connect."""
    policy = DownloadPolicy(hosts=("localhost",), deadline_seconds=2)
    url = "https://localhost/datei"
    assert policy.refusal(url) is None  # the name alone passes ...
    result = await download_attachments([_attachment(url)], policy)
    assert result.failed == ("liste.csv",)  # ... its address does not
    assert "localhost resolves to no public address" in caplog.text


async def test_three_silent_hosts_cost_one_deadline_together(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Was 30 s per file (92 s for three). Fetched side by side under the turn's one deadline:
    each of the three is cancelled by it (a per-file timeout would fail them one by one)."""
    async with SilentServer() as silent:
        url = f"https://127.0.0.1:{silent.port}/datei"
        links = [_attachment(url, f"datei-{n}.pdf") for n in range(3)]
        result = await asyncio.wait_for(download_attachments(links, LOCAL), HANG_GUARD)
    assert result.files == ()
    assert result.failed == ("datei-0.pdf", "datei-1.pdf", "datei-2.pdf")
    assert silent.connections == 3
    ended = [r.getMessage() for r in caplog.records if "no answer within 0.5 s" in r.getMessage()]
    assert len(ended) == 3, ended


async def test_tls_host_that_never_answers_http_is_dropped_at_the_deadline(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    tls = LoopbackTls.create(tmp_path)
    trust = ssl.create_default_context(cafile=str(tls.cert_file))
    async with SilentServer(tls.server_context()) as silent:
        url = f"https://127.0.0.1:{silent.port}/datei"
        download = download_attachments([_attachment(url)], LOCAL, ssl=trust)
        result = await asyncio.wait_for(download, HANG_GUARD)
    assert result.failed == ("liste.csv",) and silent.connections == 1
    assert "'liste.csv': no answer within 0.5 s" in caplog.text  # the deadline dropped it
