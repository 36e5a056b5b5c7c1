"""The Teams handler through the real HTTP endpoint (local mode) and the real SDK, replies
recorded by a loopback Bot Connector: mentions, tenants, dedupe, welcome, gate, the error
boundary, trace and audit, invokes and the reply's shape (long work and feedback:
test_handler_delivery.py; files and card submits: test_handler_files.py)."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

import pytest

from skills import help as help_skill
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
from tests.bot.teams.handler_kit import (
    BUDGET,
    SEEN,
    finish,
    post_ok,
    slow_on,
)
from tests.support.clock import ManualClock
from tests.support.connector import ConnectorRecorder


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
    await post_ok(bot, activity)
    assert [r.text for r in SEEN] == ["Darf ich ChatGPT nutzen?"]
    [reply] = bot.connector.messages()
    # Same conversation id, including ";messageid=" in a channel: the reply lands in the thread.
    assert reply.conversation_id == activity["conversation"]["id"]
    assert reply.activity_id == activity["id"]
    assert reply.body["replyToId"] == activity["id"]
    if conversation_type == "channel":
        assert ";messageid=" in reply.conversation_id


async def test_reply_carries_ai_label_and_citations_once(bot: BotUnderTest) -> None:
    await post_ok(bot, message("frage Darf ich?", bot.connector.service_url))
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
    await post_ok(bot, activity)
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
        await post_ok(bot, foreign)
    assert connector.calls == []
    assert any("tenant 99999999" in r.getMessage() for r in caplog.records)
    await post_ok(bot, message("hilfe", connector.service_url, tenant=TENANT))
    assert len(connector.messages()) == 1
    await post_ok(bot, message("hilfe", connector.service_url, tenant=None))  # no tenant at all
    assert len(connector.messages()) == 1


async def test_empty_allow_list_answers_every_tenant_in_local_mode(bot: BotUnderTest) -> None:
    await post_ok(bot, message("hilfe", bot.connector.service_url, tenant="other-tenant"))
    assert len(bot.connector.messages()) == 1


# ---- dedupe ----
async def test_teams_retry_with_same_activity_id_gets_one_reply(
    bot: BotUnderTest, clock: ManualClock
) -> None:
    activity = message("hilfe", bot.connector.service_url)
    await post_ok(bot, activity)
    await post_ok(bot, activity)
    # ...also when the retry arrives while the first is still running.
    slow = message("zusammenfassen 0.3", bot.connector.service_url, conversation_type="groupChat")
    posts = [asyncio.create_task(bot.post(slow)) for _ in range(3)]
    await clock.waiting(2)  # one turn runs: its budget and its skill's work
    await clock.advance(BUDGET)
    responses = await asyncio.gather(*posts)
    assert all(r.status in (200, 201) for r in responses)
    await finish(bot)
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
    await post_ok(bot, _members_added(url, [BOT_ID, "29:a"], conv, "channel", 1))
    await post_ok(bot, _members_added(url, [BOT_ID], conv, "channel", 2))  # re-install event
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
    await post_ok(bot, _members_added(url, ["29:erika"], conv, "personal", 1))
    await post_ok(bot, _members_added(url, ["29:erika"], conv, "personal", 2))
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
    await post_ok(bot, message("frage Darf ich?", bot.connector.service_url, user=user))
    assert SEEN == []  # the skill never ran
    [reply] = bot.connector.messages()
    assert "KI-Pass" in reply.body["summary"] and "text" not in reply.body
    gate_lines = [line for line in bot.audit() if line["event"] == "gate"]
    assert [(g["skill"], g["outcome"], g["reason"]) for g in gate_lines] == [
        ("policy_qa", "denied", reason)
    ]
    assert_valid_card(reply.body["attachments"][0]["content"])


async def test_help_works_for_unknown_users(bot: BotUnderTest) -> None:
    await post_ok(bot, message("hilfe", bot.connector.service_url, user=None))
    [reply] = bot.connector.messages()
    assert "Das kann ich für Sie tun" in str(reply.body["attachments"][0]["content"])


# ---- error boundary ----
async def test_exception_becomes_german_message_with_correlation_id(
    bot: BotUnderTest, caplog: pytest.LogCaptureFixture
) -> None:
    activity = message("suche Radverkehr", bot.connector.service_url)
    with caplog.at_level(logging.INFO):
        await post_ok(bot, activity)
    [reply] = bot.connector.messages()
    text = reply.body["summary"]
    assert "Fehler-ID:" in text and "erneut" in str(reply.body["attachments"][0]["content"])
    correlation = text.rsplit("Fehler-ID: ", 1)[1].rstrip(").")
    [record] = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert activity["id"] in record.getMessage() and correlation in record.getMessage()
    assert record.exc_info and "index file vanished" in str(record.exc_info[1])
    assert_valid_card(reply.body["attachments"][0]["content"])
    # The service stays up.
    await post_ok(bot, message("hilfe", bot.connector.service_url))
    assert len(bot.connector.messages()) == 2


async def test_skill_error_is_a_plain_german_reply(bot: BotUnderTest) -> None:
    await post_ok(bot, message("kipass", bot.connector.service_url))
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
        await post_ok(bot, message(f"frage {secret}?", bot.connector.service_url))
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
    await post_ok(bot, message("frage Darf ich?", url))
    personal = bot.connector.messages()[-1].body
    assert personal["channelData"] == {"feedbackLoopEnabled": True}  # Teams' own 👍/👎
    assert not personal.get("attachments")
    await post_ok(
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
    await post_ok(bot, message("suche Radverkehr", connector.service_url))
    [reply] = connector.messages()
    assert reply.body["summary"] == "Befehle: hilfe, zusammenfassen."
    card = reply.body["attachments"][0]["content"]
    facts = next(el for el in card["body"] if el["type"] == "FactSet")["facts"]
    assert [fact["title"] for fact in facts] == ["hilfe", "zusammenfassen"]
    assert_valid_card(card)


async def test_focused_help_is_one_card_with_a_fallback(bot: BotUnderTest) -> None:
    await post_ok(bot, message("hilfe kipass", bot.connector.service_url))
    [reply] = bot.connector.messages()
    assert reply.body["summary"].startswith("KI-Pass") and "text" not in reply.body
    assert "KI-Pass" in str(reply.body["attachments"][0]["content"])
