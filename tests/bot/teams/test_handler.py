"""The Teams handler through the real HTTP endpoint (local mode) and the real SDK, replies
recorded by a loopback Bot Connector: mentions, tenants, dedupe, welcome, gate, long work,
the error boundary, invokes and feedback."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

import pytest

from skills import help as help_skill
from skills.context import Skill, SkillContext
from skills.results import Answer, CitedPoint, DocumentSummary, Notice
from skills.types import Citation, SkillError, SkillOptions, SkillRequest, SkillResult
from tests.bot.card_schema import assert_valid_card
from tests.bot.kit import (
    BOT_ID,
    TENANT,
    USER_WITH_PASS,
    USER_WITHOUT_PASS,
    BotUnderTest,
    mention,
    message,
    start_bot,
)
from tests.support.clock import ManualClock
from tests.support.connector import ConnectorRecorder

SEEN: list[SkillRequest] = []
# The test's clock (the `clock` fixture, tests/support/clock.py): the delivery's budget, typing
# indicator and stream wait by it, and the slow skills below "work" on it, so the test decides
# when time passes.
BUDGET = 0.2  # KIW_LONG_WORK_BUDGET_SECONDS of the `bot` fixture


async def _answer(request: SkillRequest, ctx: SkillContext) -> SkillResult:
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


ANSWER = Skill("policy_qa", ("frage", "ask"), "Fragen", "Antwortet mit Quellen.", True, _answer)
BROKEN = Skill("allris_search", ("suche",), "ALLRIS-Suche", "Sucht.", False, _broken)
REFUSING = Skill("kipass", ("kipass",), "KI-Pass", "Status.", False, _refusing)


def registered_skills(clock: ManualClock) -> list[Skill]:
    return [help_skill.SKILL, ANSWER, slow_on(clock), BROKEN, REFUSING]


async def _answering_bot(
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


@pytest.fixture
async def bot(
    aiohttp_client: Any, connector: ConnectorRecorder, data_dir: Path, clock: ManualClock
) -> BotUnderTest:
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


async def _post_ok(bot: BotUnderTest, activity: Any) -> None:
    response = await bot.post(activity)
    assert response.status in (200, 201), await response.text()


async def _post_long(bot: BotUnderTest, activity: Any, budget: float = BUDGET) -> None:
    """Post a message whose skill outlasts the budget: once the delivery and the skill wait
    on the clock, the budget passes, the placeholder goes out and the POST returns."""
    post = asyncio.create_task(bot.post(activity))
    await bot.clock.waiting(2)  # the budget and the skill's work
    await bot.clock.advance(budget)
    response = await post
    assert response.status in (200, 201), await response.text()


async def _finish(bot: BotUnderTest) -> None:
    """Let every slow skill end (time passes) and the background deliveries finish."""
    await bot.clock.advance(10)
    async with asyncio.timeout(5):
        await bot.handler.drain()


# ---- mentions, scopes, threads ----
@pytest.mark.parametrize("conversation_type", ["channel", "groupChat"])
async def test_mention_is_stripped_and_routed_as_in_personal_chat(
    bot: BotUnderTest, conversation_type: str
) -> None:
    activity = message(
        "<at>KI-Assistent</at> frage Darf ich ChatGPT nutzen?",
        bot.connector.service_url,
        conversation_type=conversation_type,
        entities=[mention()],
    )
    await _post_ok(bot, activity)
    assert [r.text for r in SEEN] == ["Darf ich ChatGPT nutzen?"]
    [reply] = bot.connector.messages()
    # Same conversation id, including ";messageid=" in a channel: the reply lands in the thread.
    assert reply.conversation_id == activity["conversation"]["id"]
    assert reply.activity_id == activity["id"]
    assert reply.body["replyToId"] == activity["id"]
    if conversation_type == "channel":
        assert ";messageid=" in reply.conversation_id


async def test_reply_carries_ai_label_and_citations_once(bot: BotUnderTest) -> None:
    await _post_ok(bot, message("frage Darf ich?", bot.connector.service_url))
    [reply] = bot.connector.messages()
    [entity] = reply.body["entities"]
    assert entity["additionalType"] == ["AIGeneratedContent"]
    assert entity["citation"][0]["position"] == 1
    assert reply.body["text"] == "Antwort auf „Darf ich?“ [1]."
    assert not reply.body.get("attachments")  # the answer is shown once, as text


async def test_bot_name_with_regex_characters_and_missing_mention_text(bot: BotUnderTest) -> None:
    name = "KI-Assistent (Test)+[1]*"
    activity = message(
        f"  <at>{name}</at>&nbsp; frage   Was gilt?  ",
        bot.connector.service_url,
        conversation_type="channel",
        entities=[mention(text=None, name=name)],
    )
    activity["recipient"]["name"] = name
    await _post_ok(bot, activity)
    assert [r.text for r in SEEN] == ["Was gilt?"]


# ---- tenants ----
async def test_foreign_tenant_gets_no_answer_and_a_logged_rejection(
    aiohttp_client: Any,
    connector: ConnectorRecorder,
    data_dir: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    bot = await start_bot(aiohttp_client, connector, data_dir, allowed_tenants=(TENANT,))
    foreign = message("hilfe", connector.service_url, tenant="99999999-0000-0000-0000-000000000000")
    with caplog.at_level(logging.WARNING, logger="kiw.handler"):
        await _post_ok(bot, foreign)
    assert connector.calls == []
    assert any("tenant 99999999" in r.getMessage() for r in caplog.records)
    await _post_ok(bot, message("hilfe", connector.service_url, tenant=TENANT))
    assert len(connector.messages()) == 1
    await _post_ok(bot, message("hilfe", connector.service_url, tenant=None))  # no tenant at all
    assert len(connector.messages()) == 1


async def test_empty_allow_list_answers_every_tenant_in_local_mode(bot: BotUnderTest) -> None:
    await _post_ok(bot, message("hilfe", bot.connector.service_url, tenant="other-tenant"))
    assert len(bot.connector.messages()) == 1


# ---- dedupe ----
async def test_teams_retry_with_same_activity_id_gets_one_reply(
    bot: BotUnderTest, clock: ManualClock
) -> None:
    activity = message("hilfe", bot.connector.service_url)
    await _post_ok(bot, activity)
    await _post_ok(bot, activity)
    # ...also when the retry arrives while the first is still running.
    slow = message("zusammenfassen 0.3", bot.connector.service_url, conversation_type="groupChat")
    posts = [asyncio.create_task(bot.post(slow)) for _ in range(3)]
    await clock.waiting(2)  # one turn runs: its budget and its skill's work
    await clock.advance(BUDGET)
    responses = await asyncio.gather(*posts)
    assert all(r.status in (200, 201) for r in responses)
    await _finish(bot)
    replies = [c for c in bot.connector.calls if c.activity_id == activity["id"]]
    assert len(replies) == 1
    slow_replies = [
        c for c in bot.connector.calls if c.conversation_id == slow["conversation"]["id"]
    ]
    assert [c.body["type"] for c in slow_replies] == ["typing", "message", "message"]
    assert [c.method for c in slow_replies] == ["POST", "POST", "PUT"]


# ---- welcome ----
def _members_added(
    service_url: str, members: list[str], conversation: str, kind: str, n: int
) -> dict[str, Any]:
    return {
        "type": "conversationUpdate",
        "id": f"f:update-{conversation}-{n}",
        "channelId": "msteams",
        "serviceUrl": service_url,
        "from": {"id": "29:admin"},
        "recipient": {"id": BOT_ID, "name": "KI-Assistent"},
        "conversation": {"id": conversation, "conversationType": kind, "tenantId": TENANT},
        "membersAdded": [{"id": m} for m in members],
        "channelData": {"tenant": {"id": TENANT}, "eventType": "teamMemberAdded"},
    }


async def test_bot_added_to_team_welcomes_once(bot: BotUnderTest) -> None:
    url, conv = bot.connector.service_url, "19:general@thread.tacv2"
    await _post_ok(bot, _members_added(url, [BOT_ID, "29:a"], conv, "channel", 1))
    await _post_ok(bot, _members_added(url, [BOT_ID], conv, "channel", 2))  # re-install event
    [welcome] = bot.connector.messages()
    assert welcome.conversation_id == conv
    assert_valid_card(welcome.body["attachments"][0]["content"])
    assert [line["event"] for line in bot.audit()] == ["welcome"]


async def test_member_storm_gets_one_short_welcome(bot: BotUnderTest) -> None:
    url, conv = bot.connector.service_url, "19:team-b@thread.tacv2"
    storm = [_members_added(url, [f"29:user-{i}"], conv, "channel", i) for i in range(25)]
    storm.append(_members_added(url, [f"29:x-{i}" for i in range(40)], conv, "channel", 99))
    await asyncio.gather(*(bot.post(a) for a in storm))
    [welcome] = bot.connector.messages()
    assert "hilfe" in welcome.body["text"]


async def test_user_opening_personal_chat_is_welcomed_once(bot: BotUnderTest) -> None:
    url, conv = bot.connector.service_url, "a:personal-welcome"
    await _post_ok(bot, _members_added(url, ["29:erika"], conv, "personal", 1))
    await _post_ok(bot, _members_added(url, ["29:erika"], conv, "personal", 2))
    assert len(bot.connector.messages()) == 1


# ---- gate ----
@pytest.mark.parametrize(
    ("user", "reason"),
    [
        (USER_WITHOUT_PASS, "kipass_required"),
        (None, "no_identity"),
        ("aad-stranger", "unknown_user"),
    ],
)
async def test_ai_skill_is_refused_without_valid_kipass(
    bot: BotUnderTest, user: str | None, reason: str
) -> None:
    await _post_ok(bot, message("frage Darf ich?", bot.connector.service_url, user=user))
    assert SEEN == []  # the skill never ran
    [reply] = bot.connector.messages()
    assert "KI-Pass" in reply.body["summary"] and "text" not in reply.body
    gate_lines = [line for line in bot.audit() if line["event"] == "gate"]
    assert [(g["skill"], g["outcome"], g["reason"]) for g in gate_lines] == [
        ("policy_qa", "denied", reason)
    ]
    assert_valid_card(reply.body["attachments"][0]["content"])


async def test_help_works_for_unknown_users(bot: BotUnderTest) -> None:
    await _post_ok(bot, message("hilfe", bot.connector.service_url, user=None))
    [reply] = bot.connector.messages()
    assert "Das kann ich für Sie tun" in str(reply.body["attachments"][0]["content"])


# ---- long work ----
async def test_long_work_replies_at_once_then_updates_in_place(
    bot: BotUnderTest, clock: ManualClock
) -> None:
    activity = message("zusammenfassen 0.6", bot.connector.service_url, conversation_type="channel")
    await _post_long(bot, activity)
    assert clock.pending()[0] == pytest.approx(0.4)  # returned while the skill still works
    typing, working = bot.connector.calls
    assert typing.body["type"] == "typing"
    assert working.body["summary"] == "Ich arbeite daran …"
    await _finish(bot)
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
        return await _answer(request, ctx)

    bot = await _answering_bot(
        aiohttp_client, connector, data_dir, _slow_answer, clock, long_work_budget_seconds=0.1
    )
    asked = message("frage Darf ich?", connector.service_url, conversation_type="groupChat")
    await _post_long(bot, asked, budget=0.1)
    await _finish(bot)
    update = connector.calls[-1]
    assert update.method == "PUT"
    assert update.body["text"] == "Antwort auf „Darf ich?“ [1]."
    assert update.body["attachments"] == []  # the placeholder card goes away
    assert update.body["entities"][0]["citation"][0]["position"] == 1


async def test_long_work_sends_a_new_message_when_update_is_refused(bot: BotUnderTest) -> None:
    bot.connector.fail_updates = True
    url = bot.connector.service_url
    await _post_long(bot, message("zusammenfassen 0.4", url, conversation_type="groupChat"))
    await _finish(bot)
    assert [c.method for c in bot.connector.calls] == ["POST", "POST", "POST"]
    assert bot.connector.calls[-1].body["summary"] == "Zusammenfassung: Radwege"


async def test_skill_past_its_deadline_gets_a_german_timeout_reply(bot: BotUnderTest) -> None:
    # In a group chat: the placeholder now, the timeout's reply in its place. The skill deadline
    # (3 s, bot/pipeline.py) is the pipeline's own, on the loop's clock.
    url = bot.connector.service_url
    await _post_long(bot, message("zusammenfassen 5", url, conversation_type="groupChat"))
    async with asyncio.timeout(8):
        await bot.handler.drain()
    assert "zu lange gedauert" in bot.connector.calls[-1].body["text"]
    [turn] = [line for line in bot.audit() if line["event"] == "turn"]
    assert (turn["outcome"], turn["reason"]) == ("error", "timeout")


# ---- error boundary ----
async def test_exception_becomes_german_message_with_correlation_id(
    bot: BotUnderTest, caplog: pytest.LogCaptureFixture
) -> None:
    activity = message("suche Radverkehr", bot.connector.service_url)
    with caplog.at_level(logging.INFO):
        await _post_ok(bot, activity)
    [reply] = bot.connector.messages()
    text = reply.body["summary"]
    assert "Fehler-ID:" in text and "erneut" in str(reply.body["attachments"][0]["content"])
    correlation = text.rsplit("Fehler-ID: ", 1)[1].rstrip(").")
    [record] = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert activity["id"] in record.getMessage() and correlation in record.getMessage()
    assert record.exc_info and "index file vanished" in str(record.exc_info[1])
    assert_valid_card(reply.body["attachments"][0]["content"])
    # The service stays up.
    await _post_ok(bot, message("hilfe", bot.connector.service_url))
    assert len(bot.connector.messages()) == 2


async def test_skill_error_is_a_plain_german_reply(bot: BotUnderTest) -> None:
    await _post_ok(bot, message("kipass", bot.connector.service_url))
    [reply] = bot.connector.messages()
    assert reply.body["text"] == "Diese Vorlage kenne ich nicht."
    [turn] = [line for line in bot.audit() if line["event"] == "turn"]
    assert (turn["outcome"], turn["reason"]) == ("error", "not_found")


# ---- trace, audit, logging ----
async def test_trace_and_audit_per_turn_without_content(
    bot: BotUnderTest, caplog: pytest.LogCaptureFixture
) -> None:
    secret = "Geheimer Personalvorgang Müller"
    with caplog.at_level(logging.DEBUG):
        await _post_ok(bot, message(f"frage {secret}?", bot.connector.service_url))
    [trace] = bot.traces
    assert trace.names() == ["normalise", "route", "gate", "skill", "reply"]
    assert trace.step("route").details["skill"] == "policy_qa"
    assert trace.step("gate").details["reason"] == "ok"
    leaking = [r for r in caplog.records if secret in r.getMessage() and r.levelno > logging.DEBUG]
    assert leaking == []
    assert any(secret in r.getMessage() for r in caplog.records if r.levelno == logging.DEBUG)
    [turn] = bot.audit()
    assert turn["event"] == "turn" and turn["skill"] == "policy_qa" and turn["outcome"] == "ok"
    assert turn["cited"] is True and turn["ai"] is True and turn["scope"] == "personal"
    assert turn["user"] and USER_WITH_PASS not in str(turn)
    assert secret not in str(bot.audit())


# ---- feedback ----
async def test_feedback_button_and_teams_feedback_invoke_are_audited_without_content(
    bot: BotUnderTest,
) -> None:
    url = bot.connector.service_url
    await _post_ok(bot, message("", url, value={"kiwFeedback": "up", "skill": "policy_qa"}))
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
    await _post_ok(bot, message("", url, value={"kiwFeedback": "down", "skill": "<script>"}))
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
        return await _answer(request, ctx)

    bot = await _answering_bot(
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
        return await _answer(request, ctx)

    bot = await _answering_bot(
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


# ---- invokes ----
async def test_unknown_invoke_gets_a_proper_invoke_response(bot: BotUnderTest) -> None:
    invoke = message("", bot.connector.service_url)
    invoke.update(type="invoke", name="task/unheardOf", value={})
    response = await bot.post(invoke)
    assert response.status == 501
    assert "not supported" in (await response.json())["error"]


async def test_compose_extension_of_an_unregistered_skill_answers_politely(
    aiohttp_client: Any, connector: ConnectorRecorder, data_dir: Path
) -> None:
    # The registry create_app was given decides here too: without the search skill, the
    # search extension gets a German hint, not a 500 from a missing skill.
    bot = await start_bot(aiohttp_client, connector, data_dir, skills=lambda: [help_skill.SKILL])
    invoke = message("", connector.service_url)
    value = {"commandId": "allrisSearch", "parameters": [{"name": "query", "value": "Rad"}]}
    invoke.update(type="invoke", name="composeExtension/query", value=value)
    response = await bot.post(invoke)
    assert response.status == 200
    body = await response.json()
    assert body["composeExtension"]["type"] == "message"
    assert (
        "Diese Aktion unterstützt der KI-Werkstatt Assistent nicht"
        in body["composeExtension"]["text"]
    )


async def test_compose_extension_is_delegated_to_bot_extensions(bot: BotUnderTest) -> None:
    invoke = message("", bot.connector.service_url)
    invoke.update(type="invoke", name="composeExtension/unheardOf", value={})
    response = await bot.post(invoke)
    assert response.status == 200
    assert "composeExtension" in await response.json()


# ---- reply shape ----
async def test_cited_answer_text_carries_markers_and_feedback_fits_the_scope(
    bot: BotUnderTest,
) -> None:
    url = bot.connector.service_url
    await _post_ok(bot, message("frage Darf ich?", url))
    personal = bot.connector.messages()[-1].body
    assert personal["channelData"] == {"feedbackLoopEnabled": True}  # Teams' own 👍/👎
    assert not personal.get("attachments")
    await _post_ok(
        bot,
        message(
            "<at>KI-Assistent</at> frage Darf ich?",
            url,
            conversation_type="channel",
            entities=[mention()],
        ),
    )
    channel = bot.connector.messages()[-1].body
    assert "feedbackLoopEnabled" not in str(channel.get("channelData"))
    assert channel["text"] == "Antwort auf „Darf ich?“ [1]."
    assert "Antwort auf" not in str(channel["attachments"][0]["content"])  # not twice
    actions = channel["attachments"][0]["content"]["actions"]
    assert [a["data"]["kiwFeedback"] for a in actions] == ["up", "down"]
    assert_valid_card(channel["attachments"][0]["content"])


async def test_command_of_an_unregistered_skill_gets_help(
    aiohttp_client: Any, connector: ConnectorRecorder, data_dir: Path, clock: ManualClock
) -> None:
    # The registry create_app was given decides: "suche" names no skill there, so it is free
    # text, and help lists what this bot can do (not what the default registry could).
    bot = await start_bot(
        aiohttp_client, connector, data_dir, skills=lambda: [help_skill.SKILL, slow_on(clock)]
    )
    await _post_ok(bot, message("suche Radverkehr", connector.service_url))
    [reply] = connector.messages()
    assert reply.body["summary"] == "Befehle: hilfe, zusammenfassen."
    card = reply.body["attachments"][0]["content"]
    facts = next(el for el in card["body"] if el["type"] == "FactSet")["facts"]
    assert [fact["title"] for fact in facts] == ["hilfe", "zusammenfassen"]
    assert_valid_card(card)


async def test_focused_help_is_one_card_with_a_fallback(bot: BotUnderTest) -> None:
    await _post_ok(bot, message("hilfe kipass", bot.connector.service_url))
    [reply] = bot.connector.messages()
    assert reply.body["summary"].startswith("KI-Pass") and "text" not in reply.body
    assert "KI-Pass" in str(reply.body["attachments"][0]["content"])


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
        await _post_ok(bot, activity)
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
    await _post_ok(bot, message("zusammenfassen VO/1", connector.service_url))
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
    bot = await _answering_bot(
        aiohttp_client, connector, data_dir, _answer, clock, citation_style="card"
    )
    await _post_ok(bot, message("frage Darf ich?", connector.service_url))
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
    await _post_ok(bot, message("", connector.service_url, value=value))
    assert seen == [("suche", "", SkillOptions(page=1, query="Radverkehr"))]
    assert bot.traces[0].step("card_submit").details == {
        "command": "suche",
        "keys": ["page", "query"],
    }
    # A submit without a known command is not a crash: help.
    await _post_ok(bot, message("", connector.service_url, value={"command": 42}))
    assert connector.messages()[-1].body["summary"].startswith("Befehle:")


async def test_connector_answering_without_a_body_does_not_break_replies(bot: BotUnderTest) -> None:
    # The Agents Playground answers some sends with an empty 2xx body; msrest's aiohttp response
    # used to raise on that ("Body is not available").
    bot.connector.empty_bodies = True
    await _post_ok(bot, message("hilfe", bot.connector.service_url))
    await _post_long(bot, message("zusammenfassen 0.4", bot.connector.service_url))
    await _finish(bot)
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
    await _post_long(bot, activity)  # typing, placeholder
    for sent in (3, 4):  # two intervals pass while the skill works: a typing activity each
        await clock.waiting(2)  # the skill's work and the typing interval
        await clock.advance(0.15)
        await bot.connector.wait_for(sent)
    await _finish(bot)
    kinds = [(c.method, c.body["type"]) for c in bot.connector.calls]
    assert kinds[:2] == [("POST", "typing"), ("POST", "message")]
    assert kinds[-1] == ("PUT", "message")
    repeats = kinds[2:-1]
    assert len(repeats) >= 2 and set(repeats) == {("POST", "typing")}
    assert all(c.conversation_id == activity["conversation"]["id"] for c in bot.connector.calls)
