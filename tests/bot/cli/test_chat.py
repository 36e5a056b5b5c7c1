"""`kiw chat`: the same message through the CLI and through POST /api/messages shows the same
text, cards and citations — in a 1:1 chat, in a group chat where a faction paper is withheld, and
for a KI-Pass refusal (in the 1:1 chat, and sent there from a group chat)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from bot.cli import main
from bot.withheld import SENT_PRIVATELY
from skills.audience import WITHHELD_NOTICE
from tests.bot.audience_kit import (
    ALEX,
    CHAT_PATHS,
    DIRK,
    EVA,
    SECRET_MARKERS,
    TENANT,
    group_chat,
    roster,
    start_sample_bot,
)
from tests.bot.card_schema import assert_valid_card
from tests.bot.kit import BotUnderTest, message
from tests.support.connector import ConnectorRecorder

CLARA = "5d0c3a51-8f0e-4c39-9a57-0d7d2f1a0003"  # no KI-Pass yet (two steps open)
CHAT = "19:group-chat-kiw-chat@thread.v2"
MESSAGE_ENTITY = "https://schema.org/Message"


@pytest.fixture
async def bot(
    aiohttp_client: Any,
    connector: ConnectorRecorder,
    sample_data: Path,
    sample_env: None,
    monkeypatch: pytest.MonkeyPatch,
) -> BotUnderTest:
    # The CLI reads the environment: the same directory (sample_env) and tenant as the bot.
    monkeypatch.setenv("KIW_ALLOWED_TENANTS", TENANT)
    # A quick answer is one ordinary message either way; without streaming it stays one under
    # load too (kiw chat prints the final message, never the stream's updates).
    return await start_sample_bot(aiohttp_client, connector, sample_data, streaming=False)


def shown(body: dict[str, Any]) -> dict[str, Any]:
    """What a person sees of a message: text, summary, cards, the AI label and citations."""
    entities = [e for e in body.get("entities") or [] if e.get("type") == MESSAGE_ENTITY]
    return {
        "text": body.get("text"),
        "summary": body.get("summary"),
        "cards": [a.get("content") for a in body.get("attachments") or []],
        "entities": entities,
    }


async def through_teams(bot: BotUnderTest, activity: dict[str, Any]) -> dict[str, list[Any]]:
    """The messages the bot sent for `activity`: in its conversation and in a 1:1 chat."""
    before = len(bot.connector.calls)
    response = await bot.post(activity)
    assert response.status in (200, 201), await response.text()
    async with asyncio.timeout(60):
        await bot.handler.drain()
    sent: dict[str, list[Any]] = {"conversation": [], "personal_chat": []}
    for call in bot.connector.calls[before:]:
        if call.body.get("type") != "message":
            continue
        to = "conversation" if call.conversation_id == activity["conversation"]["id"] else None
        sent[to or "personal_chat"].append(shown(call.body))
    return sent


async def through_cli(
    capsys: pytest.CaptureFixture[str], data_dir: Path, text: str, user: str, *audience: str
) -> dict[str, list[Any]]:
    args = ["--env-file", "/nonexistent", "chat", text, "--user", user, "--json"]
    if audience:
        args += ["--audience", *audience]
    capsys.readouterr()
    code = await asyncio.to_thread(main, [*args, "--data-dir", str(data_dir)])
    out = capsys.readouterr().out
    assert code == 0, out
    sent: dict[str, list[Any]] = {"conversation": [], "personal_chat": []}
    for body in json.loads(out)["messages"]:
        sent[body["to"]].append(shown(body))
    return sent


def one_to_one(text: str, connector: ConnectorRecorder, user: str) -> dict[str, Any]:
    return message(text, connector.service_url, user=user, tenant=TENANT)


async def test_a_cited_answer_in_a_1to1_chat(
    bot: BotUnderTest, connector: ConnectorRecorder, data_dir: Path, capsys: Any
) -> None:
    text = "frage Wie lange ist der KI-Pass gültig?"
    teams = await through_teams(bot, one_to_one(text, connector, ALEX))
    cli = await through_cli(capsys, data_dir, text, ALEX)
    assert cli == teams
    [answer] = cli["conversation"]
    assert "zwei Jahre" in answer["text"] and "[1]" in answer["text"]
    assert answer["entities"][0]["citation"][0]["position"] == 1


async def test_a_group_chat_withholds_the_faction_paper_in_both(
    bot: BotUnderTest, connector: ConnectorRecorder, data_dir: Path, capsys: Any
) -> None:
    text = CHAT_PATHS["suche"]
    connector.rosters[CHAT] = roster(DIRK, EVA)
    teams = await through_teams(bot, group_chat(text, connector, DIRK, CHAT))
    cli = await through_cli(capsys, data_dir, text, DIRK, DIRK, EVA)
    assert cli == teams
    posted = json.dumps(cli, ensure_ascii=False)
    assert WITHHELD_NOTICE in posted
    assert not [marker for marker in SECRET_MARKERS if marker in posted]
    # Control: the asker alone (1:1) reads the faction paper, so the group's reply did hide it.
    alone = await through_cli(capsys, data_dir, text, DIRK)
    assert WITHHELD_NOTICE not in json.dumps(alone, ensure_ascii=False)
    assert alone != cli


async def test_a_kipass_refusal_in_a_1to1_chat(
    bot: BotUnderTest, connector: ConnectorRecorder, data_dir: Path, capsys: Any
) -> None:
    text = "frage Darf ich ChatGPT nutzen?"
    teams = await through_teams(bot, one_to_one(text, connector, CLARA))
    cli = await through_cli(capsys, data_dir, text, CLARA)
    assert cli == teams
    [refusal] = cli["conversation"]
    assert "brauchen Sie einen gültigen KI-Pass" in refusal["summary"]
    assert refusal["cards"] and refusal["text"] is None


async def test_a_kipass_refusal_asked_in_a_group_goes_to_the_1to1_chat(
    bot: BotUnderTest, connector: ConnectorRecorder, data_dir: Path, capsys: Any
) -> None:
    text = "frage Darf ich ChatGPT nutzen?"
    connector.rosters[CHAT] = roster(CLARA, EVA)
    teams = await through_teams(bot, group_chat(text, connector, CLARA, CHAT))
    cli = await through_cli(capsys, data_dir, text, CLARA, CLARA, EVA)
    assert cli == teams
    [line] = cli["conversation"]
    assert line["text"] == SENT_PRIVATELY and not line["cards"]
    [refusal] = cli["personal_chat"]
    assert "brauchen Sie einen gültigen KI-Pass" in refusal["summary"]


async def test_kiw_chat_prints_the_papers_as_text_and_the_withheld_notice(
    sample_data: Path, sample_env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["--env-file", "/nonexistent", "chat", CHAT_PATHS["suche"], "--user", DIRK]
    args += ["--audience", DIRK, EVA, "--data-dir", str(sample_data)]
    capsys.readouterr()
    code = await asyncio.to_thread(main, args)
    out = capsys.readouterr().out
    assert code == 0, out
    assert out.startswith("Ergebnisse aus dem Ratsinformationssystem\n")
    assert "Vorgänge, Seite 1" in out and '"type": "AdaptiveCard"' not in out
    assert not [marker for marker in SECRET_MARKERS if marker in out]
    assert out.rstrip().endswith(WITHHELD_NOTICE)
    with pytest.raises(json.JSONDecodeError):
        json.loads(out)


# On the rules' topic (the KI-Pass training), but nothing says who pays: no sure answer.
ON_TOPIC = "frage Wer bezahlt die Schulung für den KI-Pass?"
# Near the planted faction rule and near public rules; answered by neither.
NEAR_INTERNAL = "frage Wer entscheidet über Entwürfe für KI-Assistenten?"


async def test_no_sure_answer_points_to_places_alike_in_teams_and_the_cli(
    bot: BotUnderTest, connector: ConnectorRecorder, data_dir: Path, capsys: Any
) -> None:
    teams = await through_teams(bot, one_to_one(ON_TOPIC, connector, EVA))
    cli = await through_cli(capsys, data_dir, ON_TOPIC, EVA)
    assert cli == teams
    [reply] = cli["conversation"]
    assert reply["text"] == (
        "Eine sichere Antwort finde ich in den Regelungen nicht. "
        "Bitte wenden Sie sich an die KI-Werkstatt (ki-werkstatt@luebeck.de)."
    )
    # The places on a card of their own, labelled as places to check: no citation pills.
    assert reply["entities"] == []
    [card] = reply["cards"]
    assert_valid_card(card)
    assert card["body"][0]["text"] == (
        "**Diese Stellen kommen Ihrer Frage am nächsten – bitte prüfen Sie selbst:**"
    )
    places = [c["items"] for c in card["body"][1:]]
    assert 1 <= len(places) <= 3
    assert places[0][0]["text"].startswith("1. [Muster-Dienstvereinbarung")
    assert "§ 7 KI-Pass und Qualifizierung" in places[0][0]["text"]
    assert places[0][1]["text"].startswith("„Der KI-Pass ist zwei Jahre gültig")
    assert card["actions"][0] == {
        "type": "Action.OpenUrl",
        "title": "Stelle 1 öffnen",
        "url": "https://intranet.luebeck.de/ki/dienstvereinbarung-beispiel",
    }


async def test_a_group_chat_is_never_pointed_to_a_faction_rule(
    bot: BotUnderTest, connector: ConnectorRecorder, data_dir: Path, capsys: Any
) -> None:
    connector.rosters[CHAT] = roster(DIRK, EVA)
    teams = await through_teams(bot, group_chat(NEAR_INTERNAL, connector, DIRK, CHAT))
    cli = await through_cli(capsys, data_dir, NEAR_INTERNAL, DIRK, DIRK, EVA)
    assert cli == teams
    posted = json.dumps(cli, ensure_ascii=False)
    assert "Diese Stellen kommen Ihrer Frage am nächsten" in posted  # places were shown
    assert not [marker for marker in SECRET_MARKERS if marker in posted]
    assert WITHHELD_NOTICE in posted
    # Control: Dirk alone is pointed to his faction's rule, so the group's places did hide it.
    alone = json.dumps(await through_cli(capsys, data_dir, NEAR_INTERNAL, DIRK), ensure_ascii=False)
    assert "Fraktionsinterne KI-Regel" in alone


async def test_kiw_chat_prints_the_places_to_check_as_text(
    sample_data: Path, sample_env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["--env-file", "/nonexistent", "chat", ON_TOPIC, "--user", EVA]
    capsys.readouterr()
    code = await asyncio.to_thread(main, [*args, "--data-dir", str(sample_data)])
    lines = capsys.readouterr().out.splitlines()
    assert code == 0
    assert lines[:3] == [
        "Eine sichere Antwort finde ich in den Regelungen nicht. "
        "Bitte wenden Sie sich an die KI-Werkstatt (ki-werkstatt@luebeck.de).",
        "",
        "Diese Stellen kommen Ihrer Frage am nächsten – bitte prüfen Sie selbst:",
    ]
    assert lines[3].startswith("1. Muster-Dienstvereinbarung")
    assert lines[3].endswith(", DV-KI-Muster, § 7 KI-Pass und Qualifizierung")
    assert lines[4].startswith("   „Der KI-Pass ist zwei Jahre gültig")
    assert lines[5] == "   https://intranet.luebeck.de/ki/dienstvereinbarung-beispiel"
    assert "Quellen:" not in lines  # places to check, not the sources of an answer
