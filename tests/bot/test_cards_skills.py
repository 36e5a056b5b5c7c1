"""Every card the registered skills send through the bot validates against the official
Adaptive Card 1.5 schema: the real seams (embedded index with the sample corpus, the sample
directory, the extractive generator), typical requests, replies from a loopback connector."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any

import pytest

from bot.services import build_services
from tests.bot.card_schema import card_errors
from tests.bot.kit import (
    make_settings,
    message,
    start_bot,
)
from tests.support.connector import ConnectorRecorder

REPO = Path(__file__).resolve().parents[2]
KIW = Path(sys.executable).with_name("kiw")
ALEX = "00000000-0000-0000-0000-0000000000020"  # sample directory: valid KI-Pass, faction groups

REQUESTS = [
    "hilfe",
    "hilfe suche",
    "frage Darf ich ChatGPT für Bürgeranfragen nutzen?",
    "frage Wie lange ist der KI-Pass gültig?",
    "Was gilt für personenbezogene Daten?",
    "suche Radverkehr",
    "suche Gremienarbeit Fraktion",
    "suche xyzzy-nichts-davon",
    "zusammenfassen VO/2026/14102",
    "zusammenfassen 1999/0001",
    "kipass",
    "priorisieren",
    "Guten Morgen",
]


async def _index_samples(data_dir: Path) -> None:
    if not KIW.exists():
        pytest.fail(f"{KIW} is missing: `make install` installs the kiw console script")
    proc = await asyncio.create_subprocess_exec(
        str(KIW),
        "index",
        "samples",
        "--data-dir",
        str(data_dir),
        cwd=REPO,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await proc.communicate()
    if proc.returncode != 0:
        pytest.fail("kiw index samples failed:\n" + output.decode(errors="replace"))


@pytest.mark.parametrize("user", [ALEX, None])
async def test_every_skill_card_is_valid(
    aiohttp_client: Any, connector: ConnectorRecorder, data_dir: Path, user: str | None
) -> None:
    await _index_samples(data_dir)
    settings = make_settings(data_dir, directory_file=REPO / "samples" / "directory.yaml")
    bot = await start_bot(aiohttp_client, connector, data_dir, services=build_services(settings))
    for text in REQUESTS:
        response = await bot.post(message(text, connector.service_url, user=user))
        assert response.status in (200, 201), (text, await response.text())
    async with asyncio.timeout(60):
        await bot.handler.drain()
    replies = connector.messages()
    assert len(replies) >= len(REQUESTS)
    problems: list[str] = []
    cards = 0
    for reply in replies:
        for attachment in reply.body.get("attachments") or []:
            if attachment.get("contentType") == "application/vnd.microsoft.card.adaptive":
                cards += 1
                card = attachment["content"]
                errors = card_errors(card) + ([] if card.get("version") == "1.5" else ["version"])
                problems += [f"{reply.body.get('text', '')[:60]!r}: {e}" for e in errors]
    assert cards >= len(REQUESTS) // 2
    assert not problems, "\n".join(problems)
    assert not [r for r in replies if "Fehler-ID" in (r.body.get("text") or "")]
