"""A pasted ALLRIS link in the 1:1 chat (issue 15 item 5), through the real HTTP endpoint: the
linked paper's card with „Zusammenfassen“, whose button summarises that paper; for someone who
may not read the paper, the same „nicht gefunden“ as for a paper that does not exist.

Real seams: the samples indexed by `kiw index samples`, the sample directory, the extractive
generator, replies captured by the loopback connector. (Not through the Agents Playground: see
the report of issue 15 — the HTTP endpoint carries the same activities.)
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from bot.services import build_services
from tests.bot.audience_kit import REPO, index_samples
from tests.bot.card_schema import assert_valid_card
from tests.bot.kit import make_settings, message, start_bot
from tests.bot.test_faction_isolation import CDU, GRUENE, SECRET_MARKERS, TENANT
from tests.support.connector import ConnectorRecorder

LINK = "https://allris.luebeck.de/public/vo020?VOLFDNR=14102"  # antrag-gruene-radverkehr.md
FACTION_ONLY = "https://allris.luebeck.de/public/vo020?VOLFDNR=90007"
UNKNOWN = "https://allris.luebeck.de/public/vo020?VOLFDNR=99999"


async def test_a_pasted_link_shows_the_paper_and_offers_its_summary(
    aiohttp_client: Any, connector: ConnectorRecorder, data_dir: Path
) -> None:
    await index_samples(data_dir)
    settings = make_settings(data_dir, directory_file=REPO / "samples" / "directory.yaml")
    bot = await start_bot(aiohttp_client, connector, data_dir, services=build_services(settings))

    await bot.post(message(LINK, connector.service_url, user=GRUENE, tenant=TENANT))
    [reply] = connector.messages()
    card = reply.body["attachments"][0]["content"]
    assert_valid_card(card)
    shown = json.dumps(card, ensure_ascii=False)
    assert "Sichere Radwege auf der Altstadtinsel" in shown and "1 Vorgang, Seite 1" in shown
    button = card["actions"][0]
    assert button["title"] == "Zusammenfassen"

    # The button: Teams sends its data back as a message with `value`.
    await bot.post(
        message("", connector.service_url, user=GRUENE, tenant=TENANT, value=button["data"])
    )
    async with asyncio.timeout(60):
        await bot.handler.drain()
    summary = connector.messages()[-1]
    text = json.dumps(
        [summary.body.get("text"), summary.body.get("attachments")], ensure_ascii=False
    )
    assert "Zusammenfassung" in text and "Altstadtinsel" in text
    assert bot.traces[-1].step("route").details["skill"] == "summarise"


async def test_a_link_the_reader_may_not_read_is_not_found_like_a_missing_one(
    aiohttp_client: Any, connector: ConnectorRecorder, data_dir: Path
) -> None:
    await index_samples(data_dir)
    settings = make_settings(data_dir, directory_file=REPO / "samples" / "directory.yaml")
    bot = await start_bot(aiohttp_client, connector, data_dir, services=build_services(settings))
    for link in (FACTION_ONLY, UNKNOWN):
        await bot.post(message(link, connector.service_url, user=CDU, tenant=TENANT))
    hidden, missing = (
        json.dumps([c.body.get("text"), c.body.get("attachments")], ensure_ascii=False)
        for c in connector.messages()
    )
    assert not [m for m in SECRET_MARKERS if m in hidden.replace("VOLFDNR=90007", "")]
    assert hidden.replace("90007", "N") == missing.replace("99999", "N")
    assert "nichts gefunden" in hidden
