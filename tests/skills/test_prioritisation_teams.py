"""`priorisieren` end to end: a Teams 1:1 message with an attached inventory, through the real
/api/messages endpoint; the file is fetched from its download link on a loopback server."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from bot.teams_files import FILE_DOWNLOAD_INFO
from tests.bot.card_schema import assert_valid_card
from tests.bot.kit import (
    message,
    start_bot,
)
from tests.conftest import REPO
from tests.support.connector import ConnectorRecorder

SAMPLE = REPO / "samples" / "inventory.csv"


@pytest.fixture
async def file_server(aiohttp_server: Any) -> Any:
    """Stands in for the SharePoint/OneDrive download link Teams puts into the activity."""
    downloads: list[str] = []

    async def download(request: web.Request) -> web.Response:
        downloads.append(request.match_info["name"])
        if request.match_info["name"] == "riesig.csv":
            return web.Response(body=b"x" * (11 * 1024 * 1024))
        return web.Response(body=SAMPLE.read_bytes(), content_type="application/octet-stream")

    app = web.Application()
    app.router.add_get("/download/{name}", download)
    server = await aiohttp_server(app)
    server.downloads = downloads
    return server


def with_file(activity: dict[str, Any], url: str, name: str) -> dict[str, Any]:
    activity["attachments"] = [
        {
            "contentType": FILE_DOWNLOAD_INFO,
            "contentUrl": "https://luebeck-my.sharepoint.com/personal/x/Documents/" + name,
            "name": name,
            "content": {"downloadUrl": url, "uniqueId": "1a2b", "fileType": name.rsplit(".", 1)[1]},
        },
        {"contentType": "text/html", "content": "<p>priorisieren 40</p>"},
    ]
    return activity


async def test_attached_inventory_gets_a_ranking_card(
    aiohttp_client: Any, connector: ConnectorRecorder, file_server: Any, data_dir: Path
) -> None:
    bot = await start_bot(aiohttp_client, connector, data_dir)
    url = str(file_server.make_url("/download/inventar.csv"))
    response = await bot.post(
        with_file(message("priorisieren 40", connector.service_url), url, "inventar.csv")
    )
    assert response.status in (200, 201)
    assert file_server.downloads == ["inventar.csv"]
    [reply] = connector.messages()
    card = reply.body["attachments"][0]["content"]
    assert_valid_card(card)
    text = str(card["body"])
    for expected in ("Meldebescheinigung ausstellen", "Quick Wins", "40 Personentagen"):
        assert expected in text
    [line] = [a for a in bot.audit() if a["event"] == "turn"]
    assert (line["skill"], line["outcome"]) == ("prioritise", "ok")


async def test_oversized_download_is_dropped_and_the_user_told_what_to_send(
    aiohttp_client: Any, connector: ConnectorRecorder, file_server: Any, data_dir: Path
) -> None:
    bot = await start_bot(aiohttp_client, connector, data_dir)
    url = str(file_server.make_url("/download/riesig.csv"))
    await bot.post(with_file(message("priorisieren", connector.service_url), url, "riesig.csv"))
    [reply] = connector.messages()
    assert "CSV- oder Excel-Datei" in str(reply.body)
    [line] = [a for a in bot.audit() if a["event"] == "turn"]
    assert (line["skill"], line["outcome"]) == ("prioritise", "bad_input")


async def test_links_that_are_not_https_are_not_followed(
    aiohttp_client: Any, connector: ConnectorRecorder, file_server: Any, data_dir: Path
) -> None:
    bot = await start_bot(aiohttp_client, connector, data_dir)
    await bot.post(
        with_file(
            message("priorisieren", connector.service_url), "ftp://files.example/x.csv", "x.csv"
        )
    )
    assert file_server.downloads == []
    [reply] = connector.messages()
    assert "CSV- oder Excel-Datei" in str(reply.body)
