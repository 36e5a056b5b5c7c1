"""Attachment links: https always, plain http to loopback only in local mode."""

from __future__ import annotations

from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.teams_files import FILE_DOWNLOAD_INFO, download_attachments


def _attachment(url: str) -> dict[str, object]:
    return {"contentType": FILE_DOWNLOAD_INFO, "name": "liste.csv", "content": {"downloadUrl": url}}


async def test_plain_http_loopback_only_in_local_mode() -> None:
    async def serve(_: web.Request) -> web.Response:
        return web.Response(body=b"name;wert\n")

    app = web.Application()
    app.router.add_get("/f", serve)
    async with TestServer(app, host="127.0.0.1") as server:
        url = str(server.make_url("/f"))
        assert url.startswith("http://127.0.0.1")
        refused = await download_attachments([_attachment(url)])
        allowed = await download_attachments([_attachment(url)], allow_loopback_http=True)
    assert refused == ()
    assert [a.data for a in allowed] == [b"name;wert\n"]


async def test_plain_http_elsewhere_is_never_followed() -> None:
    files = await download_attachments(
        [_attachment("http://files.example.org/x.csv")], allow_loopback_http=True
    )
    assert files == ()
