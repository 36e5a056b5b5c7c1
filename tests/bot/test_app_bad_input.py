"""Bad input through the real HTTP endpoint (local mode): the right status or a polite German
reply, never a 500, and the service keeps answering."""

from __future__ import annotations

import io
import json

import pytest

from tests.bot.kit import (
    BotUnderTest,
    mention,
    message,
)


async def _still_answers(bot: BotUnderTest) -> None:
    before = len(bot.connector.messages())
    response = await bot.post(message("hilfe", bot.connector.service_url))
    assert response.status in (200, 201)
    assert len(bot.connector.messages()) == before + 1


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        (b'{"type": "message", "text": "hilfe"', "application/json", 400),  # malformed JSON
        (b"\xff\xfe\x00garbage", "application/json", 400),
        (b'["not", "an", "object"]', "application/json", 400),
        (b'"just a string"', "application/json", 400),
        (b"{}", "application/json", 400),  # no type
        (b"type=message&text=hilfe", "application/x-www-form-urlencoded", 415),
        (b"hilfe", "text/plain", 415),
    ],
)
async def test_what_is_not_an_activity_gets_4xx(
    bot: BotUnderTest, body: bytes, content_type: str, status: int
) -> None:
    response = await bot.client.post(
        "/api/messages", data=body, headers={"Content-Type": content_type}
    )
    assert response.status == status
    assert "Traceback" not in await response.text()
    assert bot.connector.calls == []
    await _still_answers(bot)


@pytest.mark.parametrize("missing", ["from", "conversation", "serviceUrl"])
async def test_activity_without_from_or_conversation(bot: BotUnderTest, missing: str) -> None:
    activity = message("hilfe", bot.connector.service_url)
    del activity[missing]
    response = await bot.post(activity)
    assert response.status == 400
    assert bot.connector.calls == []
    await _still_answers(bot)


async def test_get_is_not_allowed(bot: BotUnderTest) -> None:
    response = await bot.client.get("/api/messages")
    assert response.status == 405


async def test_one_megabyte_message_gets_a_polite_too_long_reply(bot: BotUnderTest) -> None:
    text = "Radverkehr " * (1024 * 1024 // 11)
    activity = message(
        f"<at>KI-Assistent</at> suche {text}",
        bot.connector.service_url,
        conversation_type="channel",
        entities=[mention()],
    )
    body = json.dumps(activity).encode()
    assert len(body) > 1024 * 1024
    response = await bot.client.post(
        "/api/messages", data=io.BytesIO(body), headers={"Content-Type": "application/json"}
    )
    assert response.status in (200, 201)
    [reply] = bot.connector.messages()
    assert "zu lang" in reply.body["text"]
    assert reply.conversation_id == activity["conversation"]["id"]
    [line] = bot.audit()
    assert (line["event"], line["outcome"], line["reason"]) == ("turn", "bad_input", "too_long")
    await _still_answers(bot)


async def test_message_just_over_the_limit_after_normalising(bot: BotUnderTest) -> None:
    limit = 20_000
    response = await bot.post(message("x" * (limit + 1), bot.connector.service_url))
    assert response.status in (200, 201)
    assert "zu lang (20.001 Zeichen)" in bot.connector.messages()[0].body["text"]


@pytest.mark.parametrize(
    "kind", ["somethingNew", "messageReaction", "typing", "event", "endOfConversation"]
)
async def test_unknown_or_ignored_activity_types(bot: BotUnderTest, kind: str) -> None:
    activity = message("", bot.connector.service_url)
    activity["type"] = kind
    response = await bot.post(activity)
    assert response.status in (200, 201)
    assert bot.connector.calls == []
    await _still_answers(bot)


async def test_unknown_invoke_is_not_a_500(bot: BotUnderTest) -> None:
    invoke = message("", bot.connector.service_url)
    invoke.update(type="invoke", name="unheard/of", value="not even an object")
    response = await bot.post(invoke)
    assert response.status == 501
    await _still_answers(bot)


async def test_empty_message_and_mention_only_get_help(bot: BotUnderTest) -> None:
    url = bot.connector.service_url
    await bot.post(message("", url))
    await bot.post(
        message("<at>KI-Assistent</at>", url, conversation_type="channel", entities=[mention()])
    )
    replies = bot.connector.messages()
    assert len(replies) == 2
    assert all(r.body["summary"].startswith("Befehle: hilfe") for r in replies)


async def test_odd_field_types_do_not_crash(bot: BotUnderTest) -> None:
    activity = message("hilfe", bot.connector.service_url)
    activity["entities"] = [{"type": "mention"}, {"type": "mention", "mentioned": "nonsense"}, {}]
    activity["channelData"] = {"tenant": "not-an-object"}
    activity["value"] = ["not", "a", "dict"]
    response = await bot.post(activity)
    assert response.status in (200, 201)
    assert len(bot.connector.messages()) == 1
