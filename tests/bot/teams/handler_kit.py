"""The Teams handler tests' bot and helpers (test_handler*.py): the fake skills, the bot on the
test's clock, and posting a message whose skill outlasts the long-work budget."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from skills import help as help_skill
from skills.context import Skill, SkillContext
from skills.results import Answer, CitedPoint, DocumentSummary
from skills.types import Citation, SkillError, SkillRequest, SkillResult
from tests.bot.kit import (
    BotUnderTest,
    start_bot,
)
from tests.support.clock import ManualClock
from tests.support.connector import ConnectorRecorder

SEEN: list[SkillRequest] = []
# The test's clock (the `clock` fixture, tests/support/clock.py): the delivery's budget, typing
# indicator and stream wait by it, and the slow skills below "work" on it, so the test decides
# when time passes.
BUDGET = 0.2  # KIW_LONG_WORK_BUDGET_SECONDS of the `bot` fixture


async def answer_with_a_citation(request: SkillRequest, ctx: SkillContext) -> SkillResult:
    SEEN.append(request)
    return SkillResult(
        citations=[Citation(1, "Dienstvereinbarung KI", None, "file:dv", 3, "Zitat.")],
        ai_generated=True,
        # As policy Q&A: the answer is the chat text, Teams cites in it.
        payload=Answer(f"Antwort auf „{request.text}“ [1]."),
    )


def slow_on(clock: ManualClock) -> Skill:
    """`zusammenfassen SECONDS`: works SECONDS (0.5 without) on `clock`, then sends a summary
    (its card; "Zusammenfassung: Radwege" the message's summary line)."""

    async def _slow(request: SkillRequest, ctx: SkillContext) -> SkillResult:
        await clock.sleep(float(request.text or "0.5"))
        return SkillResult(DocumentSummary("Radwege", key_points=(CitedPoint("breiter"),)))

    return Skill(
        "summarise", ("zusammenfassen",), "Zusammenfassen", "Fasst zusammen.", False, _slow
    )


async def _broken(request: SkillRequest, ctx: SkillContext) -> SkillResult:
    raise RuntimeError("index file vanished")


async def _refusing(request: SkillRequest, ctx: SkillContext) -> SkillResult:
    raise SkillError("Diese Vorlage kenne ich nicht.", code="not_found")


ANSWER = Skill(
    "policy_qa", ("frage", "ask"), "Fragen", "Antwortet mit Quellen.", True, answer_with_a_citation
)
BROKEN = Skill("allris_search", ("suche",), "ALLRIS-Suche", "Sucht.", False, _broken)
REFUSING = Skill("kipass", ("kipass",), "KI-Pass", "Status.", False, _refusing)


def registered_skills(clock: ManualClock) -> list[Skill]:
    return [help_skill.SKILL, ANSWER, slow_on(clock), BROKEN, REFUSING]


async def answering_bot(
    aiohttp_client: Any,
    connector: ConnectorRecorder,
    data_dir: Path,
    run: Any,
    clock: ManualClock,
    **settings: Any,
) -> BotUnderTest:
    """A bot whose policy_qa skill is `run` (and help), on `clock`, with settings overridden."""
    answer = Skill("policy_qa", ("frage",), "Fragen", "Antwortet.", False, run)
    skills = [help_skill.SKILL, answer]
    return await start_bot(
        aiohttp_client, connector, data_dir, skills=lambda: skills, clock=clock, **settings
    )


async def handler_bot(
    aiohttp_client: Any, connector: ConnectorRecorder, data_dir: Path, clock: ManualClock
) -> BotUnderTest:
    """The bot of the handler tests: help, an answering, a slow, a broken and a refusing skill,
    on `clock`, with a long-work budget of BUDGET seconds."""
    SEEN.clear()
    skills = registered_skills(clock)
    return await start_bot(
        aiohttp_client,
        connector,
        data_dir,
        skills=lambda: skills,
        clock=clock,
        long_work_budget_seconds=BUDGET,
        skill_deadline_seconds=3,
    )


async def post_ok(bot: BotUnderTest, activity: Any) -> None:
    response = await bot.post(activity)
    assert response.status in (200, 201), await response.text()


async def post_long(bot: BotUnderTest, activity: Any, budget: float = BUDGET) -> None:
    """Post a message whose skill outlasts the budget: once the delivery and the skill wait
    on the clock, the budget passes, the placeholder goes out and the POST returns."""
    post = asyncio.create_task(bot.post(activity))
    await bot.clock.waiting(2)  # the budget and the skill's work
    await bot.clock.advance(budget)
    response = await post
    assert response.status in (200, 201), await response.text()


async def finish(bot: BotUnderTest) -> None:
    """Let every slow skill end (time passes) and the background deliveries finish."""
    await bot.clock.advance(10)
    async with asyncio.timeout(5):
        await bot.handler.drain()
