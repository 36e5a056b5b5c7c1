"""Every card the registered skills send through the bot validates against the official
Adaptive Card 1.5 schema: the real seams (embedded index with the sample corpus, the sample
directory, the extractive generator), typical requests, replies from a loopback connector."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from bot.services import build_services
from tests.bot.audience_kit import index_samples
from tests.bot.card_schema import card_errors
from tests.bot.kit import (
    make_settings,
    message,
    start_bot,
)
from tests.support.connector import ConnectorRecorder

REPO = Path(__file__).resolve().parents[2]
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


@pytest.mark.parametrize("user", [ALEX, None])
async def test_every_skill_card_is_valid(
    aiohttp_client: Any, connector: ConnectorRecorder, data_dir: Path, user: str | None
) -> None:
    await index_samples(data_dir)
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
