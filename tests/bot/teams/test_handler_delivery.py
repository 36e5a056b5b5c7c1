"""The handler's delivery through the real endpoint and SDK: long work (a reply at once, then
updated in place or sent anew), the typing indicator, a connector answering without a body, and
feedback on what was delivered — all on the test's clock (tests/support/clock.py)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from skills.context import SkillContext
from skills.types import SkillRequest, SkillResult
from tests.bot.card_schema import assert_valid_card
from tests.bot.kit import (
    BotUnderTest,
    mention,
    message,
)
from tests.bot.teams.handler_kit import (
    answer_with_a_citation,
    answering_bot,
    finish,
    post_long,
    post_ok,
)
from tests.support.clock import ManualClock
from tests.support.connector import ConnectorRecorder


# ---- long work ----
async def test_long_work_replies_at_once_then_updates_in_place(
    bot: BotUnderTest, clock: ManualClock
) -> None:
    activity = message("zusammenfassen 0.6", bot.connector.service_url, conversation_type="channel")
    await post_long(bot, activity)
    assert clock.pending()[0] == pytest.approx(0.4)  # returned while the skill still works
    typing, working = bot.connector.calls
    assert typing.body["type"] == "typing"
    assert working.body["summary"] == "Ich arbeite daran …"
    await finish(bot)
    update = bot.connector.calls[-1]
    assert update.method == "PUT"
    assert update.activity_id == working.reply_id  # the same message, updated in place
    assert update.conversation_id == activity["conversation"]["id"]
    assert update.body["summary"] == "Zusammenfassung: Radwege"
    assert_valid_card(update.body["attachments"][0]["content"])
    [trace] = bot.traces
    assert trace.names() == [
        "normalise",
        "audience",  # a channel: who reads the reply is looked up first
        "route",
        "gate",
        "reply",
        "skill",
        "audience_trim",
        "update",
    ]
    [turn] = [line for line in bot.audit() if line["event"] == "turn"]
    assert turn["skill"] == "summarise" and turn["outcome"] == "ok"


async def test_long_work_text_answer_replaces_the_placeholder_card(
    aiohttp_client: Any, connector: ConnectorRecorder, data_dir: Path, clock: ManualClock
) -> None:
    async def _slow_answer(request: SkillRequest, ctx: SkillContext) -> SkillResult:
        await clock.sleep(0.4)
        return await answer_with_a_citation(request, ctx)

    bot = await answering_bot(
        aiohttp_client, connector, data_dir, _slow_answer, clock, long_work_budget_seconds=0.1
    )
    asked = message("frage Darf ich?", connector.service_url, conversation_type="groupChat")
    await post_long(bot, asked, budget=0.1)
    await finish(bot)
    update = connector.calls[-1]
    assert update.method == "PUT"
    assert update.body["text"] == "Antwort auf „Darf ich?“ [1]."
    assert update.body["attachments"] == []  # the placeholder card goes away
    assert update.body["entities"][0]["citation"][0]["position"] == 1


async def test_long_work_sends_a_new_message_when_update_is_refused(bot: BotUnderTest) -> None:
    bot.connector.fail_updates = True
    url = bot.connector.service_url
    await post_long(bot, message("zusammenfassen 0.4", url, conversation_type="groupChat"))
    await finish(bot)
    assert [c.method for c in bot.connector.calls] == ["POST", "POST", "POST"]
    assert bot.connector.calls[-1].body["summary"] == "Zusammenfassung: Radwege"


async def test_skill_past_its_deadline_gets_a_german_timeout_reply(bot: BotUnderTest) -> None:
    # In a group chat: the placeholder now, the timeout's reply in its place. The skill deadline
    # (3 s, bot/pipeline.py) is the pipeline's own, on the loop's clock.
    url = bot.connector.service_url
    await post_long(bot, message("zusammenfassen 5", url, conversation_type="groupChat"))
    async with asyncio.timeout(8):
        await bot.handler.drain()
    assert "zu lange gedauert" in bot.connector.calls[-1].body["text"]
    [turn] = [line for line in bot.audit() if line["event"] == "turn"]
    assert (turn["outcome"], turn["reason"]) == ("error", "timeout")


# ---- feedback ----
async def test_feedback_button_and_teams_feedback_invoke_are_audited_without_content(
    bot: BotUnderTest,
) -> None:
    url = bot.connector.service_url
    await post_ok(bot, message("", url, value={"kiwFeedback": "up", "skill": "policy_qa"}))
    invoke = message("", url)
    invoke.update(
        type="invoke",
        name="message/submitAction",
        value={
            "actionName": "feedback",
            "actionValue": {"reaction": "dislike", "feedback": '{"feedbackText":"falsch"}'},
        },
    )
    response = await bot.post(invoke)
    assert response.status == 200
    invoke["id"] = "no-comment"
    invoke["value"]["actionValue"] = {"reaction": "like", "feedback": '{"feedbackText":" "}'}
    assert (await bot.post(invoke)).status == 200
    await post_ok(bot, message("", url, value={"kiwFeedback": "down", "skill": "<script>"}))
    feedback = [line for line in bot.audit() if line["event"] == "feedback"]
    assert [(f["outcome"], f["reason"], f["skill"]) for f in feedback] == [
        ("up", None, "policy_qa"),  # named by the card's data
        ("down", "with_comment", None),  # that there was a comment, not what it said
        ("up", None, None),  # a message the bot does not know: no skill
        ("down", None, None),  # an unregistered name never reaches the log
    ]
    assert "falsch" not in str(bot.audit()) and "script" not in str(bot.audit())


@pytest.mark.parametrize(
    ("conversation_type", "streamed"),
    [("personal", False), ("personal", True), ("channel", False)],
)
async def test_teams_feedback_is_counted_for_the_skill_of_the_rated_answer(
    aiohttp_client: Any,
    connector: ConnectorRecorder,
    data_dir: Path,
    conversation_type: str,
    streamed: bool,
    clock: ManualClock,
) -> None:
    async def _slow(request: SkillRequest, ctx: SkillContext) -> SkillResult:
        await request.progress.inform("Ich suche …")
        if streamed:
            await clock.sleep(0.2)
        return await answer_with_a_citation(request, ctx)

    bot = await answering_bot(
        aiohttp_client,
        connector,
        data_dir,
        _slow,
        clock,
        stream_after_seconds=0.05,
        stream_interval_seconds=0.05,
    )
    url = connector.service_url
    asked = message(
        "<at>KI-Assistent</at> frage Darf ich?",
        url,
        conversation_type=conversation_type,
        entities=[mention()],
    )
    post = asyncio.create_task(bot.post(asked))
    if streamed:
        await clock.waiting(3)  # the budget, the stream's start delay, the skill's work
        await clock.advance(0.05)  # the stream opens with the progress line
        await connector.wait_for(1)
        await clock.advance(0.15)  # the skill ends
        await clock.waiting(1)  # the final message keeps the stream's pace
        await clock.advance(0.05)
    assert (await post).status in (200, 201)
    [answer] = connector.messages()
    assert ("streaminfo" in str(answer.body)) is streamed
    rated = answer.body["channelData"].get("streamId") if streamed else answer.reply_id
    invoke = message("", url, conversation_id=asked["conversation"]["id"])
    invoke.update(
        type="invoke",
        name="message/submitAction",
        replyToId=rated,
        value={"actionName": "feedback", "actionValue": {"reaction": "like"}},
    )
    assert (await bot.post(invoke)).status == 200
    [line] = [line for line in bot.audit() if line["event"] == "feedback"]
    assert (line["skill"], line["outcome"]) == ("policy_qa", "up")
    assert set(line) >= {"user", "scope"} and "Darf ich" not in str(line)


@pytest.mark.parametrize("update_refused", [False, True])
async def test_teams_feedback_on_a_long_work_answer_counts_for_its_skill(
    aiohttp_client: Any,
    connector: ConnectorRecorder,
    data_dir: Path,
    update_refused: bool,
    clock: ManualClock,
) -> None:
    """The answer replaces the placeholder (rated under the placeholder's id) or, when Teams
    refuses the update, arrives as a new message (rated under that one's id)."""
    release = asyncio.Event()

    async def _held(request: SkillRequest, ctx: SkillContext) -> SkillResult:
        await release.wait()  # past the budget: the placeholder goes out first
        return await answer_with_a_citation(request, ctx)

    bot = await answering_bot(
        aiohttp_client, connector, data_dir, _held, clock, long_work_budget_seconds=0.05
    )
    connector.fail_updates = update_refused
    asked = message("frage Darf ich?", connector.service_url, conversation_type="groupChat")
    post = asyncio.create_task(bot.post(asked))
    await clock.waiting(1)  # the budget
    await clock.advance(0.05)
    assert (await post).status in (200, 201)
    release.set()
    async with asyncio.timeout(5):
        await bot.handler.drain()
    placeholder, answer = connector.messages()
    assert answer.body["text"] == "Antwort auf „Darf ich?“ [1]."
    assert answer.method == ("POST" if update_refused else "PUT")
    rated = answer.reply_id if update_refused else placeholder.reply_id
    invoke = message("", connector.service_url, conversation_id=asked["conversation"]["id"])
    invoke.update(
        type="invoke",
        name="message/submitAction",
        replyToId=rated,
        value={"actionName": "feedback", "actionValue": {"reaction": "dislike"}},
    )
    assert (await bot.post(invoke)).status == 200
    [line] = [line for line in bot.audit() if line["event"] == "feedback"]
    assert (line["skill"], line["outcome"]) == ("policy_qa", "down")


async def test_connector_answering_without_a_body_does_not_break_replies(bot: BotUnderTest) -> None:
    # The Agents Playground answers some sends with an empty 2xx body; msrest's aiohttp response
    # used to raise on that ("Body is not available").
    bot.connector.empty_bodies = True
    await post_ok(bot, message("hilfe", bot.connector.service_url))
    await post_long(bot, message("zusammenfassen 0.4", bot.connector.service_url))
    await finish(bot)
    texts = [c.body.get("text") or c.body.get("summary") for c in bot.connector.messages()]
    # No placeholder id came back, so the result arrives as a new message.
    assert (
        texts[0]
        and texts[0].startswith("Befehle:")
        and texts[1:]
        == [
            "Ich arbeite daran …",
            "Zusammenfassung: Radwege",
        ]
    )
    assert not [line for line in bot.audit() if line["outcome"] == "error"]


async def test_typing_indicator_repeats_while_long_work_runs(
    bot: BotUnderTest, clock: ManualClock
) -> None:
    bot.handler.deliveries.typing_interval_seconds = 0.15
    activity = message(
        "zusammenfassen 0.8", bot.connector.service_url, conversation_type="groupChat"
    )
    await post_long(bot, activity)  # typing, placeholder
    for sent in (3, 4):  # two intervals pass while the skill works: a typing activity each
        await clock.waiting(2)  # the skill's work and the typing interval
        await clock.advance(0.15)
        await bot.connector.wait_for(sent)
    await finish(bot)
    kinds = [(c.method, c.body["type"]) for c in bot.connector.calls]
    assert kinds[:2] == [("POST", "typing"), ("POST", "message")]
    assert kinds[-1] == ("PUT", "message")
    repeats = kinds[2:-1]
    assert len(repeats) >= 2 and set(repeats) == {("POST", "typing")}
    assert all(c.conversation_id == activity["conversation"]["id"] for c in bot.connector.calls)
