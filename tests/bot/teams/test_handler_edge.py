"""The Teams handler's part of the edge (issue 12, items 2 and 10): a file host that never
answers costs the user no wait (the download runs inside the long-work budget), and an activity
naming two different tenants is refused."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

import pytest

from bot.teams.activity import tenant_conflict, tenant_id
from bot.teams_files import FILE_DOWNLOAD_INFO
from tests.bot.kit import TENANT, message, start_bot
from tests.support.connector import ConnectorRecorder
from tests.support.silent import SilentServer

BUDGET = 0.3  # KIW_LONG_WORK_BUDGET_SECONDS in these tests
DEADLINE = 1.0  # KIW_ATTACHMENT_DEADLINE_SECONDS


def with_link(activity: dict[str, Any], url: str, name: str = "Vorlage.pdf") -> dict[str, Any]:
    activity["attachments"] = [
        {
            "contentType": FILE_DOWNLOAD_INFO,
            "name": name,
            "content": {"downloadUrl": url, "fileType": name.rsplit(".", 1)[1]},
        }
    ]
    return activity


async def test_silent_file_host_gets_working_at_once_then_a_german_retry_hint(
    aiohttp_client: Any, connector: ConnectorRecorder, data_dir: Path
) -> None:
    """Was: the POST stayed open 30 s per file before the budget even started."""
    bot = await start_bot(
        aiohttp_client,
        connector,
        data_dir,
        long_work_budget_seconds=BUDGET,
        attachment_deadline_seconds=DEADLINE,
        streaming=False,
    )
    async with SilentServer() as silent:
        url = f"http://127.0.0.1:{silent.port}/download.aspx"  # local mode: loopback http
        response = await bot.post(with_link(message("", connector.service_url), url))
        assert response.status in (200, 201)
        # The POST came back while the download still waited on the silent host (no timing
        # measured): only the typing indicator and the placeholder are out, the retry hint
        # follows when the download's deadline has passed.
        assert silent.connections == 1
        _typing, working = connector.calls
        assert working.body["summary"] == "Ich arbeite daran …"
        async with asyncio.timeout(5):
            await bot.handler.drain()
    assert silent.connections == 1
    update = connector.calls[-1]
    assert update.method == "PUT" and update.activity_id == working.reply_id
    assert "Ich konnte „Vorlage.pdf“ nicht abrufen" in str(update.body)
    [line] = [a for a in bot.audit() if a["event"] == "turn"]
    assert (line["outcome"], line["reason"]) == ("bad_input", "attachment_unavailable")
    assert bot.traces[0].step("attachments").details["failed"] == 1


async def test_private_link_outside_local_mode_is_never_fetched(
    aiohttp_client: Any, connector: ConnectorRecorder, data_dir: Path
) -> None:
    """Production policy: an https link to a loopback or private address is refused unseen."""
    bot = await start_bot(aiohttp_client, connector, data_dir, streaming=False)
    handler = bot.handler
    assert handler.download_policy.local_mode  # the kit's bot is local; production is not:
    production = type(handler.download_policy)(hosts=handler.download_policy.hosts)
    async with SilentServer() as silent:
        for url in (
            f"https://127.0.0.1:{silent.port}/x",
            "https://10.0.0.5/x",
            "https://169.254.169.254/latest/meta-data",
            "https://[::1]/x",
        ):
            assert production.refusal(url) is not None, url
        handler.download_policy = production
        await bot.post(
            with_link(message("", connector.service_url), f"https://127.0.0.1:{silent.port}/x")
        )
    assert silent.connections == 0


def _activity(conversation_tenant: str | None, channel_tenant: str | None) -> Any:
    from botbuilder.schema import Activity

    body = message("hilfe", "https://smba.trafficmanager.net/emea/", tenant=None)
    if conversation_tenant:
        body["conversation"]["tenantId"] = conversation_tenant
    if channel_tenant:
        body["channelData"] = {"tenant": {"id": channel_tenant}}
    return Activity().deserialize(body)


def test_tenant_is_read_from_either_place_and_two_different_ones_are_a_conflict() -> None:
    other = "99999999-0000-0000-0000-000000000000"
    assert tenant_id(_activity(TENANT, TENANT)) == TENANT
    assert tenant_id(_activity(TENANT.upper(), TENANT)) == TENANT.upper()  # case is not a conflict
    assert tenant_id(_activity(None, TENANT)) == TENANT
    assert tenant_id(_activity(TENANT, None)) == TENANT
    assert tenant_conflict(_activity(other, TENANT)) and tenant_id(_activity(other, TENANT)) is None
    assert tenant_conflict(_activity(TENANT, other))


@pytest.mark.parametrize("local_mode_allow_all", [False, True])
async def test_mismatched_conversation_tenant_is_rejected(
    aiohttp_client: Any,
    connector: ConnectorRecorder,
    data_dir: Path,
    caplog: pytest.LogCaptureFixture,
    local_mode_allow_all: bool,
) -> None:
    """Was: only one of the two ids was read; an activity could name an allowed tenant in one
    place and another in the other. Refused even where every tenant is allowed."""
    overrides: dict[str, Any] = {} if local_mode_allow_all else {"allowed_tenants": (TENANT,)}
    bot = await start_bot(aiohttp_client, connector, data_dir, streaming=False, **overrides)
    for conversation, channel in (
        (TENANT, "99999999-0000-0000-0000-000000000000"),
        ("99999999-0000-0000-0000-000000000000", TENANT),
    ):
        activity = message("hilfe", connector.service_url)
        activity["conversation"]["tenantId"] = conversation
        activity["channelData"] = {"tenant": {"id": channel}}
        with caplog.at_level(logging.WARNING, logger="kiw.handler"):
            response = await bot.post(activity)
        assert response.status in (200, 201)
    assert connector.calls == []
    assert "conversation / channelData" in caplog.text
    response = await bot.post(message("hilfe", connector.service_url))
    assert len(connector.messages()) == 1  # an honest activity is still answered
