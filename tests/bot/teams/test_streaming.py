"""Teams streaming in 1:1 chats, through the real endpoint and SDK: the loopback connector
answers as Teams does (201 with the stream id, 403 on Stop) and refuses, with 400, every update
that breaks Teams' documented rules (tests/bot/kit.py ConnectorRecorder._check_stream)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from bot.teams.streaming import TeamsStream
from kiw_common.openai_connection import OpenAIConnection
from skills import help as help_skill
from skills import policy_qa
from skills.context import Skill, SkillContext, SkillRun
from skills.generator.openai_chat import OpenAIGenerator
from skills.results import Answer
from skills.types import Citation, SkillRequest, SkillResult
from tests.bot.card_schema import assert_valid_card
from tests.bot.kit import (
    USER_WITH_PASS,
    BotUnderTest,
    make_services,
    make_settings,
    message,
    start_bot,
)
from tests.skills.helpers import sample_context
from tests.skills.openai_server import FakeOpenAI, Reply, openai_server
from tests.support.clock import ManualClock
from tests.support.connector import ConnectorCall, ConnectorRecorder

# The stream starts a second after the question on the test's clock (the `clock` fixture; the
# test moves it there), then sends
# every update when it comes: no pacing (tests/bot/teams/test_stream_timing.py has the pace).
FAST: dict[str, Any] = {"stream_after_seconds": 1, "stream_interval_seconds": 0}
PREVIEWS = ["Nein", "Nein, das ist", "Nein, das ist nicht erlaubt [1]."]
CANCELLED: list[bool] = []


async def _answered(progress: object, text: str | None = None) -> None:
    """Until Teams has answered the stream's first update, or the update with `text`
    (accepted, refused, or Stop pressed). Nothing to wait for without a stream."""
    if not isinstance(progress, TeamsStream):
        return
    if text is None:
        await progress.wait_open()
        return
    # The stream signals no event per answer; the connector's answer is a few loop turns away.
    while progress.usable and progress.streamed_text != text:  # noqa: ASYNC110
        await asyncio.sleep(0)
    if progress.state == "stopped":
        await asyncio.Event().wait()  # still working when Stop arrives: the stop cancels it


def written_on(clock: ManualClock) -> SkillRun:
    """Like policy Q&A over a model: progress, the answer as it is written, then the result.
    "frage 0.4": the work takes 0.4 s on `clock` first (long work)."""

    async def _written(request: SkillRequest, ctx: SkillContext) -> SkillResult:
        try:
            await request.progress.inform("Ich durchsuche die Regelungen …")
            if request.text[:1].isdigit():
                await clock.sleep(float(request.text))
            else:
                await _answered(request.progress)
            for text in PREVIEWS:
                await request.progress.preview(text)
                await _answered(request.progress, text)
        except asyncio.CancelledError:
            CANCELLED.append(True)
            raise
        return SkillResult(
            citations=[Citation(1, "Dienstvereinbarung KI", None, "file:dv", 3, "Verboten.")],
            ai_generated=True,
            payload=Answer(PREVIEWS[-1]),
        )

    return _written


async def _quick(request: SkillRequest, ctx: SkillContext) -> SkillResult:
    await request.progress.inform("Ich durchsuche die Regelungen …")
    await request.progress.preview("Ja [1].")
    return SkillResult(Answer("Ja."))


async def _broken(request: SkillRequest, ctx: SkillContext) -> SkillResult:
    await request.progress.inform("Ich durchsuche die Ratsunterlagen …")
    await _answered(request.progress)  # the stream is open when the failure comes
    raise RuntimeError("index file vanished")


def skills_on(clock: ManualClock) -> list[Skill]:
    return [
        help_skill.SKILL,
        Skill("policy_qa", ("frage",), "Fragen", "Antwortet.", False, written_on(clock)),
        Skill("kipass", ("kipass",), "KI-Pass", "Status.", False, _quick),
        Skill("allris_search", ("suche",), "Suche", "Sucht.", False, _broken),
    ]


@pytest.fixture
async def bot(
    aiohttp_client: Any, connector: ConnectorRecorder, data_dir: Path, clock: ManualClock
) -> BotUnderTest:
    CANCELLED.clear()
    skills = skills_on(clock)
    return await start_bot(
        aiohttp_client, connector, data_dir, skills=lambda: skills, clock=clock, **FAST
    )


async def _ask_streamed(bot: BotUnderTest, text: str) -> None:
    """A question in a 1:1 chat whose skill reports progress: once the stream waits for its
    start (and the delivery for its budget), a second passes and the stream opens."""
    post = asyncio.create_task(bot.post(message(text, bot.connector.service_url)))
    await bot.clock.waiting(2)
    await bot.clock.advance(1)
    response = await post
    assert response.status in (200, 201), await response.text()
    async with asyncio.timeout(10):
        await bot.handler.drain()


async def _ask_long(bot: BotUnderTest, text: str, *, waits: int) -> None:
    """A question whose work (on the bot's clock) outlasts the 0.1 s budget: the budget passes once
    `waits` timers wait, the POST returns, then the work ends and the result follows."""
    post = asyncio.create_task(bot.post(message(text, bot.connector.service_url)))
    await bot.clock.waiting(waits)
    await bot.clock.advance(0.1)
    response = await post
    assert response.status in (200, 201), await response.text()
    await bot.clock.advance(1)
    async with asyncio.timeout(10):
        await bot.handler.drain()


def _info(call: ConnectorCall) -> dict[str, Any]:
    [info] = [e for e in call.body.get("entities", []) if e["type"] == "streaminfo"]
    return info


async def _ask(bot: BotUnderTest, text: str, **kwargs: Any) -> None:
    response = await bot.post(message(text, bot.connector.service_url, **kwargs))
    assert response.status in (200, 201), await response.text()
    async with asyncio.timeout(10):
        await bot.handler.drain()


async def test_answer_streams_progress_then_text_then_the_final_message(bot: BotUnderTest) -> None:
    await _ask_streamed(bot, "frage Darf ich?")
    calls = bot.connector.calls
    assert bot.connector.stream_violations == []
    [stream_id] = bot.connector.streams
    first, *updates, final = calls
    assert (first.body["type"], _info(first)) == (
        "typing",
        {"type": "streaminfo", "streamType": "informative", "streamSequence": 1},
    )
    assert first.body["text"] == "Ich durchsuche die Regelungen …"
    streamed = [u.body["text"] for u in updates if _info(u)["streamType"] == "streaming"]
    assert streamed and set(streamed) <= set(PREVIEWS)  # coalesced, never out of order
    assert [_info(u)["streamSequence"] for u in updates] == list(range(2, len(updates) + 2))
    assert all(_info(u)["streamId"] == stream_id for u in updates)
    # The final message: validated text, citations, AI label, feedback footer, no sequence.
    assert final.body["type"] == "message" and final.body["text"] == PREVIEWS[-1]
    assert _info(final) == {"type": "streaminfo", "streamType": "final", "streamId": stream_id}
    assert final.body["channelData"] == {
        "feedbackLoopEnabled": True,
        "streamType": "final",
        "streamId": stream_id,
    }
    [message_entity] = [e for e in final.body["entities"] if e["type"] != "streaminfo"]
    assert message_entity["additionalType"] == ["AIGeneratedContent"]
    assert message_entity["citation"][0]["position"] == 1
    [trace] = bot.traces
    assert trace.step("reply").details == {"long_work": False, "streamed": True}


async def test_quick_answer_is_one_ordinary_message(bot: BotUnderTest) -> None:
    await _ask(bot, "kipass")
    [reply] = bot.connector.calls
    assert reply.body["type"] == "message" and reply.body["text"] == "Ja."
    assert "streaminfo" not in str(reply.body)


@pytest.mark.parametrize("conversation_type", ["groupChat", "channel"])
async def test_no_streaming_outside_one_to_one_chats(
    bot: BotUnderTest, conversation_type: str
) -> None:
    await _ask(bot, "frage Darf ich?", conversation_type=conversation_type)
    assert "streaminfo" not in str([c.body for c in bot.connector.calls])
    assert [c.body["type"] for c in bot.connector.calls] == ["message"]


async def test_streaming_can_be_switched_off(
    aiohttp_client: Any, connector: ConnectorRecorder, data_dir: Path, clock: ManualClock
) -> None:
    # On the loop's clock: without a stream nothing waits (the skill's answer is not slow).
    bot = await start_bot(
        aiohttp_client,
        connector,
        data_dir,
        skills=lambda: skills_on(clock),
        streaming=False,
        **FAST,
    )
    await _ask(bot, "frage Darf ich?")
    assert [c.body["type"] for c in connector.calls] == ["message"]


async def test_stop_button_cancels_the_work_and_sends_nothing_more(bot: BotUnderTest) -> None:
    bot.connector.refuse_stream = (2, "Content stream was cancelled by user.")
    await _ask_streamed(bot, "frage Darf ich?")
    assert CANCELLED == [True]  # the skill (and a model call in it) was stopped
    assert len(bot.connector.calls) == 2  # two updates, then Stop: no final message
    [turn] = [line for line in bot.audit() if line["event"] == "turn"]
    assert turn["outcome"] == "stopped"


async def test_streaming_not_allowed_gives_an_ordinary_message(bot: BotUnderTest) -> None:
    bot.connector.refuse_stream = (0, "Content stream is not allowed")
    await _ask_streamed(bot, "frage Darf ich?")
    [reply] = bot.connector.calls
    assert reply.body["text"] == PREVIEWS[-1] and "streaminfo" not in str(reply.body)


async def test_final_refused_after_two_minutes_is_sent_as_a_new_message(
    bot: BotUnderTest,
) -> None:
    bot.connector.refuse_final = "Content stream finished due to exceeded streaming time."
    await _ask_streamed(bot, "frage Darf ich?")
    last = bot.connector.calls[-1]
    assert last.body["type"] == "message" and last.body["text"] == PREVIEWS[-1]
    assert "streaminfo" not in str(last.body)
    assert bot.connector.stream_violations == []


async def test_long_work_streams_instead_of_a_placeholder_card(
    aiohttp_client: Any, connector: ConnectorRecorder, data_dir: Path, clock: ManualClock
) -> None:
    bot = await start_bot(
        aiohttp_client,
        connector,
        data_dir,
        skills=lambda: skills_on(clock),
        clock=clock,
        long_work_budget_seconds=0.1,
        stream_after_seconds=10,  # the budget, not the delay, opens the stream
        stream_interval_seconds=0,
    )
    await _ask_long(bot, "frage 0.4", waits=3)  # the budget, the skill, the stream's delay
    calls = connector.calls
    assert connector.stream_violations == []
    assert calls[0].body["text"] == "Ich arbeite daran …"
    assert _info(calls[0])["streamType"] == "informative"
    assert calls[-1].body["type"] == "message" and _info(calls[-1])["streamType"] == "final"
    assert "PUT" not in [c.method for c in calls]
    assert not [c for c in calls if c.body.get("attachments")]  # no placeholder card


async def test_long_work_falls_back_to_the_placeholder_when_streaming_is_refused(
    aiohttp_client: Any, connector: ConnectorRecorder, data_dir: Path, clock: ManualClock
) -> None:
    connector.refuse_stream = (0, "Content stream is not allowed")
    bot = await start_bot(
        aiohttp_client,
        connector,
        data_dir,
        skills=lambda: skills_on(clock),
        clock=clock,
        long_work_budget_seconds=0.1,
    )
    await _ask_long(bot, "frage 0.4", waits=3)  # the budget, the skill, the stream's delay
    kinds = [(c.method, c.body["type"]) for c in connector.calls]
    assert kinds[:2] == [("POST", "typing"), ("POST", "message")]  # typing, placeholder card
    assert kinds[-1] == ("PUT", "message")


async def test_a_failure_mid_stream_ends_the_stream_with_the_error(bot: BotUnderTest) -> None:
    await _ask_streamed(bot, "suche Radverkehr")
    final = bot.connector.calls[-1]
    assert _info(final)["streamType"] == "final"
    assert "Fehler-ID" in final.body["summary"]
    assert_valid_card(final.body["attachments"][0]["content"])
    assert bot.connector.stream_violations == []


async def test_policy_answer_from_a_model_streams_with_final_numbering(
    aiohttp_client: Any, connector: ConnectorRecorder, data_dir: Path, tmp_path: Path
) -> None:
    """The real skill, index and OpenAI client: what Teams shows while the model writes is
    numbered as the validated answer will be, and the final is the validated answer."""
    answer = "Der KI-Pass gilt zwei Jahre [3]. Danach ist eine Auffrischung nötig [3, 7]."
    pieces = [answer[i : i + 12] for i in range(0, len(answer), 12)]
    fake = FakeOpenAI(replies=[Reply(answer, chunks=pieces, chunk_delay=0.03)])
    async with openai_server(fake), sample_context(tmp_path) as ctx:
        generator = OpenAIGenerator(
            model="test-model", connection=OpenAIConnection(base_url=fake.base_url, on_premise=True)
        )
        # The loop's clock; the stream opens at once and sends each piece when it comes.
        timing = {"stream_after_seconds": 0, "stream_interval_seconds": 0}
        services = make_services(
            make_settings(data_dir, **timing), index=ctx.index, generator=generator
        )
        bot = await start_bot(
            aiohttp_client,
            connector,
            data_dir,
            services=services,
            skills=lambda: [help_skill.SKILL, policy_qa.SKILL],
            **timing,
        )
        await _ask(bot, "frage Wie lange ist der KI-Pass gültig?", user=USER_WITH_PASS)
        await generator.close()
    assert connector.stream_violations == []
    streamed = [c.body["text"] for c in connector.calls if _info(c)["streamType"] == "streaming"]
    assert streamed, "the model's text was never streamed"
    assert all("[3" not in text and "7]" not in text for text in streamed)  # renumbered
    # Each update with a marker carries its citation (Teams draws the pill while text grows),
    # but not the AI label, which belongs to the final message only.
    cited_updates = [
        u for u in connector.calls if u.body["type"] == "typing" and "[1]" in u.body["text"]
    ]
    assert cited_updates
    for update in cited_updates:
        [entity] = [e for e in update.body["entities"] if e["type"] != "streaminfo"]
        assert [c["position"] for c in entity["citation"]] == [1]
        assert entity["citation"][0]["appearance"]["name"].startswith("Der KI-Pass")
        assert "additionalType" not in entity
    final = connector.calls[-1]
    assert final.body["text"].startswith("Der KI-Pass gilt zwei Jahre [1].")
    assert streamed[-1].startswith("Der KI-Pass gilt zwei Jahre [1].")
    assert _info(final)["streamType"] == "final"
