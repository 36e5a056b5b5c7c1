"""The handler with what comes beside the words: files sent in the chat, a skill's card (once,
without citation markers), the card citation style, and card submits with a command."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from skills import help as help_skill
from skills.context import Skill, SkillContext
from skills.results import CitedPoint, DocumentSummary, Notice
from skills.types import Citation, SkillOptions, SkillRequest, SkillResult
from tests.bot.card_schema import assert_valid_card
from tests.bot.kit import (
    message,
    start_bot,
)
from tests.bot.teams.handler_kit import (
    answer_with_a_citation,
    answering_bot,
    post_ok,
)
from tests.support.clock import ManualClock
from tests.support.connector import ConnectorRecorder


# ---- files ----
async def test_file_sent_without_words_goes_to_the_matching_skill(
    aiohttp_client: Any, aiohttp_server: Any, connector: ConnectorRecorder, data_dir: Path
) -> None:
    from aiohttp import web

    received: list[tuple[str, tuple[str, ...], int]] = []

    async def _capture(request: SkillRequest, ctx: SkillContext) -> SkillResult:
        received.append(
            (
                request.command,
                tuple(a.name for a in request.attachments),
                len(request.attachments[0].data),
            )
        )
        return SkillResult(Notice("Erhalten."))

    summarise = Skill("summarise", ("zusammenfassen",), "Z", "Z.", False, _capture)
    prioritise = Skill("prioritise", ("priorisieren",), "P", "P.", False, _capture)

    async def _file(request: web.Request) -> web.Response:
        return web.Response(body=b"%PDF-1.7 " + b"x" * 1000)

    files = web.Application()
    files.router.add_get("/{name}", _file)
    server = await aiohttp_server(files)
    bot = await start_bot(
        aiohttp_client,
        connector,
        data_dir,
        skills=lambda: [help_skill.SKILL, summarise, prioritise],
    )
    for name, kind in (("Vorlage.pdf", "pdf"), ("Prozesse.xlsx", "xlsx")):
        activity = message("", connector.service_url)
        activity["attachments"] = [
            {
                "contentType": "application/vnd.microsoft.teams.file.download.info",
                "name": name,
                "content": {
                    "downloadUrl": f"http://127.0.0.1:{server.port}/{name}",
                    "fileType": kind,
                },
            }
        ]
        await post_ok(bot, activity)
    assert received == [
        ("zusammenfassen", ("Vorlage.pdf",), 1009),
        ("priorisieren", ("Prozesse.xlsx",), 1009),
    ]
    assert bot.traces[0].step("attachments").details == {"count": 1, "bytes": 1009}


async def test_skill_card_is_sent_once_without_citation_markers(
    aiohttp_client: Any, connector: ConnectorRecorder, data_dir: Path
) -> None:
    citation = Citation(1, "Dienstvereinbarung KI", None, "file:dv", 3, "Zitat.")

    async def _carded(request: SkillRequest, ctx: SkillContext) -> SkillResult:
        summary = DocumentSummary("Vorlage", key_points=(CitedPoint("Radwege", citations=(1,)),))
        return SkillResult(summary, citations=[citation], ai_generated=True)

    carded = Skill("summarise", ("zusammenfassen",), "Fassen", "Fasst.", False, _carded)
    bot = await start_bot(
        aiohttp_client, connector, data_dir, skills=lambda: [help_skill.SKILL, carded]
    )
    await post_ok(bot, message("zusammenfassen VO/1", connector.service_url))
    [reply] = connector.messages()
    assert "text" not in reply.body  # Teams would show text and card one after the other
    assert reply.body["summary"] == "Zusammenfassung: Vorlage"
    # The card carries its sources; a citation entity would point at markers `text` lacks.
    assert reply.body["entities"] == [
        {
            "type": "https://schema.org/Message",
            "@context": "https://schema.org",
            "@type": "Message",
            "@id": "",
            "additionalType": ["AIGeneratedContent"],
        }
    ]
    assert_valid_card(reply.body["attachments"][0]["content"])


async def test_citation_style_card_sends_the_answers_card_instead_of_text(
    aiohttp_client: Any, connector: ConnectorRecorder, data_dir: Path, clock: ManualClock
) -> None:
    bot = await answering_bot(
        aiohttp_client, connector, data_dir, answer_with_a_citation, clock, citation_style="card"
    )
    await post_ok(bot, message("frage Darf ich?", connector.service_url))
    [reply] = connector.messages()
    assert "text" not in reply.body
    assert "Antwort auf" in str(reply.body["attachments"][0]["content"])
    assert "citation" not in reply.body["entities"][0]


async def test_card_submit_with_a_command_reaches_the_skill_with_its_options(
    aiohttp_client: Any, connector: ConnectorRecorder, data_dir: Path
) -> None:
    seen: list[tuple[str, str, SkillOptions]] = []

    async def _search(request: SkillRequest, ctx: SkillContext) -> SkillResult:
        seen.append((request.command, request.text, request.options))
        return SkillResult(Notice("Seite 2."))

    search = Skill("allris_search", ("suche",), "Suche", "Sucht.", False, _search)
    bot = await start_bot(
        aiohttp_client, connector, data_dir, skills=lambda: [help_skill.SKILL, search]
    )
    value = {"command": "suche", "query": "Radverkehr", "page": 1}
    await post_ok(bot, message("", connector.service_url, value=value))
    assert seen == [("suche", "", SkillOptions(page=1, query="Radverkehr"))]
    assert bot.traces[0].step("card_submit").details == {
        "command": "suche",
        "keys": ["page", "query"],
    }
    # A submit without a known command is not a crash: help.
    await post_ok(bot, message("", connector.service_url, value={"command": 42}))
    assert connector.messages()[-1].body["summary"].startswith("Befehle:")
