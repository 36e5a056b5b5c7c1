"""What a message extension puts into a shared conversation follows the audience too.

Real recorded invokes (tests/fixtures/invokes), re-addressed to a channel or group chat whose
roster the loopback Bot Connector serves, through the real endpoint. The user's own result list
may show the internal paper (only they see it); what is inserted or unfurled may not.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import bot.teams.invokes as teams_invokes
from skills.audience import WITHHELD_NOTICE
from tests.bot.audience_kit import (
    ALEX,
    DIRK,
    EVA,
    INTERNAL_LINK,
    SECRET_MARKERS,
    TENANT,
    roster,
    start_sample_bot,
)
from tests.bot.extension_kit import assert_outlook_safe, cards_in, invoke
from tests.support.connector import ConnectorRecorder

MIXED_TEAM = "19:team-fraktionen@thread.tacv2"
GRUENE_TEAM = "19:team-gruene@thread.tacv2"
CHAT = "19:group-chat-haushalt@thread.v2"


@pytest.fixture
async def bot(aiohttp_client: Any, connector: ConnectorRecorder, sample_data: Path) -> Any:
    connector.rosters[MIXED_TEAM] = roster(DIRK, EVA)
    connector.rosters[GRUENE_TEAM] = roster(DIRK, ALEX)
    return await start_sample_bot(
        aiohttp_client, connector, sample_data, allris_host="allris.luebeck.de"
    )


def addressed(
    fixture: str, connector: ConnectorRecorder, *, team: str | None = None, chat: str = ""
) -> dict[str, Any]:
    """A recorded invoke from Dirk, sent in a channel of `team` or in the group chat `chat`."""
    activity = invoke(fixture, connector.service_url)
    activity["from"]["aadObjectId"] = DIRK
    data: dict[str, Any] = {"tenant": {"id": TENANT}, "source": {"name": "compose"}}
    if team:
        channel = f"19:general-of-{team.removeprefix('19:')}"
        conversation = {"conversationType": "channel", "id": f"{channel};messageid=1"}
        data.update(team={"id": team}, channel={"id": channel})
    else:
        conversation = {"conversationType": "groupChat", "id": chat}
    activity["conversation"] = {**conversation, "tenantId": TENANT}
    activity["channelData"] = data
    return activity


def search(activity: dict[str, Any], query: str) -> dict[str, Any]:
    activity["value"]["parameters"] = [{"name": "query", "value": query}]
    return activity


async def post(bot: Any, activity: dict[str, Any]) -> dict[str, Any]:
    response = await bot.post(activity)
    assert response.status == 200, await response.text()
    body: dict[str, Any] = await response.json()
    return body


def leaked(part: Any) -> list[str]:
    text = json.dumps(part, ensure_ascii=False)
    return [m for m in SECRET_MARKERS if m in text]


async def test_inserted_search_results_carry_only_what_the_channel_may_read(
    bot: Any, connector: ConnectorRecorder
) -> None:
    query = "Kompromisslinie Radverkehrsbudget Klausurvorlage"
    body = await post(bot, search(addressed("query_teams.json", connector, team=MIXED_TEAM), query))
    attachments = body["composeExtension"]["attachments"]
    # The user's private list names the paper, and says it will not be inserted ...
    previews = [a["preview"]["content"] for a in attachments]
    internal = [p for p in previews if "Klausurvorlage" in p["title"]]
    assert internal and "Nur für einen Teil dieser Unterhaltung sichtbar" in internal[0]["text"]
    # ... but no card that a pick would insert carries anything of it.
    inserted = cards_in(body)
    assert not leaked(inserted)
    assert any(card["body"][0]["text"] == WITHHELD_NOTICE for card in inserted)
    for card in inserted:
        assert_outlook_safe(card)

    # Control: in the faction's own channel the inserted card is the paper.
    own = await post(bot, search(addressed("query_teams.json", connector, team=GRUENE_TEAM), query))
    assert leaked(cards_in(own))
    assert WITHHELD_NOTICE not in json.dumps(own, ensure_ascii=False)


async def test_outlook_inserts_public_papers_only(bot: Any, connector: ConnectorRecorder) -> None:
    """A mail goes to whoever it is addressed to: no roster to read, so public only."""
    activity = search(invoke("query_outlook.json", connector.service_url), "Klausurvorlage")
    activity["from"]["aadObjectId"] = DIRK
    activity["channelData"]["tenant"]["id"] = TENANT
    body = await post(bot, activity)
    assert not leaked(cards_in(body))
    assert any(card["body"][0]["text"] == WITHHELD_NOTICE for card in cards_in(body))
    assert connector.roster_calls == []


async def test_unfurled_link_follows_the_group_chat(bot: Any, connector: ConnectorRecorder) -> None:
    unfurl = addressed("query_link.json", connector, chat=CHAT)
    unfurl["value"]["url"] = INTERNAL_LINK
    connector.rosters[CHAT] = roster(DIRK, EVA)
    body = await post(bot, unfurl)
    [card] = cards_in(body)
    assert not leaked(card)
    assert card["body"][0]["text"] == "Dokument im Ratsinformationssystem"
    assert WITHHELD_NOTICE in json.dumps(card, ensure_ascii=False)
    assert_outlook_safe(card)

    connector.rosters[CHAT] = roster(DIRK, ALEX)
    bot.handler.audiences.forget(_as_activity(CHAT))  # as Teams' conversationUpdate would
    own = await post(bot, unfurl)
    assert leaked(cards_in(own))  # control: the faction's chat unfurls the paper


async def test_summary_inserted_by_the_message_action_follows_the_channel(
    bot: Any, connector: ConnectorRecorder
) -> None:
    """A message that names the internal paper's reference: its summary is made for the
    channel it will be inserted into."""
    fetch = addressed("fetch_task_summarise.json", connector, team=MIXED_TEAM)
    fetch["value"]["messagePayload"]["body"]["content"] = "<p>GR-INTERN/2026/07</p>"
    body = await post(bot, fetch)
    dialog = body["task"]["value"]["card"]["content"]
    assert not leaked(dialog)
    assert WITHHELD_NOTICE in json.dumps(dialog, ensure_ascii=False)
    submit = addressed("submit_action_insert.json", connector, team=MIXED_TEAM)
    submit["value"]["data"] = dialog["actions"][0]["data"]
    inserted = await post(bot, submit)
    [card] = cards_in(inserted)
    assert not leaked(card)
    assert WITHHELD_NOTICE in json.dumps(card, ensure_ascii=False)
    assert_outlook_safe(card)

    own_fetch = addressed("fetch_task_summarise.json", connector, team=GRUENE_TEAM)
    own_fetch["value"]["messagePayload"] = fetch["value"]["messagePayload"]
    own = await post(bot, own_fetch)
    assert leaked(own["task"]["value"]["card"]["content"])  # control: the faction's channel


def _as_activity(chat: str) -> Any:
    from botbuilder.schema import Activity, ConversationAccount

    return Activity(conversation=ConversationAccount(id=chat), channel_data={})


async def test_an_invoke_does_not_wait_long_for_a_roster(
    bot: Any, connector: ConnectorRecorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Teams gives an invoke seconds: a roster that is slow to come means public inserts now."""
    monkeypatch.setattr(teams_invokes, "INVOKE_ROSTER_SECONDS", 0.2)
    connector.roster_delay = 1.0
    query = "Kompromisslinie Radverkehrsbudget Klausurvorlage"
    body = await post(
        bot, search(addressed("query_teams.json", connector, team=GRUENE_TEAM), query)
    )
    assert not leaked(cards_in(body))  # the faction's own team, but its roster did not come in time
    assert any(card["body"][0]["text"] == WITHHELD_NOTICE for card in cards_in(body))
