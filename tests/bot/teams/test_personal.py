"""Personal things stay personal, through the real HTTP endpoint and the loopback Bot Connector:
`kipass` and a refusal asked for in a channel or group chat post one neutral line there and the
details into the person's 1:1 chat (created with POST /v3/conversations, as Teams does it); a
failing create-conversation still leaves nothing personal in the shared conversation. And the
gate by what a skill does: without a KI-Pass `suche` finds public papers (never internal ones),
`frage` and `zusammenfassen` are refused."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from aiohttp import ClientSession, web

from bot.app import create_app
from bot.withheld import OPEN_PERSONAL_CHAT, SENT_PRIVATELY, open_personal_chat_line
from graph.principal import Principal
from indexer.model import PUBLIC
from tests.bot.extension_kit import FACTION, seeded_services
from tests.bot.kit import (
    BOT_ID,
    TENANT,
    BotUnderTest,
    FakeDirectory,
    make_services,
    make_settings,
    mention,
    message,
    start_bot,
)
from tests.support.botframework import BotFrameworkStubs
from tests.support.connector import ConnectorCall, ConnectorRecorder
from tests.support.turns import APP_ID, TENANT_ID
from tests.support.turns import message as turn_message

EXPIRED = "aad-user-expired"  # KI-Pass ran out; member of a faction
TRAINED = "aad-user-trained"  # attended the training, nothing else; no KI-Pass
NO_PASS = "aad-user-no-pass"  # nothing done, public only
VALID = "aad-user-valid"

# Words and figures that would tell the channel something about the person.
PERSONAL_WORDS = (
    "abgelaufen", "gültig", "KI-Pass ist", "noch keinen", "Schulung", "Leitlinien",
    "Checkliste", "Dienstvereinbarung", "Schritt", "offen", "erledigt", "Auffrischung",
    "Fraktion", "Grünen", "fraktion-", "Dokumentzugänge", "öffentliche Dokumente",
    "brauchen Sie", "KI-Pass erforderlich",
)  # fmt: skip
DATE = re.compile(r"\d{1,2}\.\d{1,2}\.\d{4}|\d{4}-\d{2}-\d{2}")


def people() -> list[Principal]:
    return [
        Principal(
            id=EXPIRED,
            name="Erika Muster",
            tenant_id=TENANT,
            kipass_valid_until=date(2025, 12, 31),
            kipass_steps={s: True for s in ("schulung", "dienstvereinbarung", "leitlinien")},
            access_groups=frozenset({PUBLIC, FACTION}),
            access_group_names={FACTION: "Fraktion Bündnis 90/Die Grünen"},
        ),
        Principal(
            id=TRAINED,
            name="Tom Neu",
            tenant_id=TENANT,
            kipass_steps={
                "schulung": True,
                "dienstvereinbarung": False,
                "leitlinien": False,
                "checkliste": False,
            },
        ),
        Principal(id=NO_PASS, name="Nina Ohne", tenant_id=TENANT),
        Principal(
            id=VALID, name="Vera Gültig", tenant_id=TENANT, kipass_valid_until=date(2099, 1, 1)
        ),
    ]


@pytest.fixture
async def bot(
    aiohttp_client: Any, connector: ConnectorRecorder, data_dir: Path
) -> AsyncIterator[BotUnderTest]:
    services = await seeded_services(
        data_dir, directory=FakeDirectory(people()), long_work_budget_seconds=5
    )
    yield await start_bot(aiohttp_client, connector, data_dir, services=services)
    await services.aclose()


async def say(bot: BotUnderTest, text: str, user: str, conversation_type: str) -> dict[str, Any]:
    entities = [mention()] if conversation_type != "personal" else []
    prefix = "<at>KI-Assistent</at> " if conversation_type != "personal" else ""
    activity = message(
        prefix + text, bot.connector.service_url, user=user,
        conversation_type=conversation_type, entities=entities,
    )  # fmt: skip
    response = await bot.post(activity)
    assert response.status in (200, 201), await response.text()
    return activity


def shown(call: ConnectorCall) -> str:
    """Everything a reader of the message sees: text, summary and every card."""
    body = call.body
    return json.dumps(
        [body.get("text"), body.get("summary"), body.get("attachments")], ensure_ascii=False
    )


def assert_nothing_personal(call: ConnectorCall) -> None:
    seen = shown(call)
    for word in PERSONAL_WORDS:
        assert word not in seen, (word, seen)
    assert not DATE.search(seen), seen


def personal_messages(connector: ConnectorRecorder) -> list[ConnectorCall]:
    [created] = connector.created
    return connector.replies_to(created.reply_id)


CASES = [
    # (what the user writes, who, what the 1:1 message must carry)
    ("kipass", EXPIRED, ["am 31.12.2025 abgelaufen", "Fraktion Bündnis 90/Die Grünen"]),
    ("kipass", TRAINED, ["Nehmen Sie die Dienstvereinbarung", "Schulung besucht"]),
    ("frage Darf ich ChatGPT nutzen?", EXPIRED, ["am 31.12.2025 abgelaufen", "Auffrischung"]),
    ("zusammenfassen VO/2026/1001", TRAINED, ["Nehmen Sie die Dienstvereinbarung", "offen"]),
]


@pytest.mark.parametrize("conversation_type", ["channel", "groupChat"])
@pytest.mark.parametrize(("text", "user", "details"), CASES)
async def test_personal_details_go_to_the_1to1_chat_not_the_shared_one(
    bot: BotUnderTest, conversation_type: str, text: str, user: str, details: list[str]
) -> None:
    activity = await say(bot, text, user, conversation_type)
    shared = bot.connector.replies_to(activity["conversation"]["id"])
    [line] = [c for c in shared if c.body.get("type") == "message"]
    assert line.body["text"] == SENT_PRIVATELY and not line.body.get("attachments")
    assert_nothing_personal(line)
    # The 1:1 conversation was created as Teams does it: bot, the user's Teams id, the tenant.
    [created] = bot.connector.created
    assert created.path == "/v3/conversations"
    assert created.body["isGroup"] is False
    assert created.body["bot"]["id"] == BOT_ID
    assert [m["id"] for m in created.body["members"]] == [activity["from"]["id"]]
    assert created.body["tenantID"] == TENANT  # the SDK's spelling; Teams reads channelData
    assert created.body["channelData"] == {"tenant": {"id": TENANT}}
    [personal] = personal_messages(bot.connector)
    assert personal.conversation_id == f"a:personal-{activity['from']['id']}"
    for detail in details:
        assert detail in shown(personal), detail


@pytest.mark.parametrize("conversation_type", ["channel", "groupChat"])
@pytest.mark.parametrize("status", [403, 404, 500])
async def test_failing_create_conversation_still_posts_nothing_personal(
    bot: BotUnderTest, conversation_type: str, status: int
) -> None:
    bot.connector.fail_create_conversation = status
    for text in ("kipass", "frage Darf ich ChatGPT nutzen?"):
        activity = await say(bot, text, EXPIRED, conversation_type)
        [line] = bot.connector.replies_to(activity["conversation"]["id"])
        assert line.body["text"] == OPEN_PERSONAL_CHAT
        assert_nothing_personal(line)
    assert bot.connector.created == [] and len(bot.connector.refused) == 2
    assert [c for c in bot.connector.messages() if c.conversation_id.startswith("a:")] == []


async def test_in_the_1to1_chat_the_details_come_as_they_are(bot: BotUnderTest) -> None:
    activity = await say(bot, "kipass", EXPIRED, "personal")
    [reply] = bot.connector.messages()
    assert reply.conversation_id == activity["conversation"]["id"]
    assert "am 31.12.2025 abgelaufen" in shown(reply)
    assert bot.connector.created == []


@pytest.mark.parametrize("conversation_type", ["channel", "personal"])
async def test_non_personal_results_stay_in_the_conversation(
    bot: BotUnderTest, conversation_type: str
) -> None:
    activity = await say(bot, "hilfe", NO_PASS, conversation_type)
    [reply] = bot.connector.messages()
    assert reply.conversation_id == activity["conversation"]["id"]
    assert bot.connector.created == []


# ---- the gate by what a skill does ----
@pytest.mark.parametrize("user", [NO_PASS, TRAINED, "aad-not-in-directory"])
async def test_without_kipass_search_finds_public_papers_only(bot: BotUnderTest, user: str) -> None:
    activity = await say(bot, "suche Radverkehr", user, "personal")
    [reply] = bot.connector.messages()
    assert reply.conversation_id == activity["conversation"]["id"]
    seen = shown(reply)
    assert "Radverkehrskonzept Innenstadt" in seen and "VO/2026/1001" in seen
    assert "Geheimtitel" not in seen and "VO/2026/1003" not in seen
    assert "KI-Pass erforderlich" not in seen


async def test_faction_member_without_valid_kipass_still_searches_her_factions_papers(
    bot: BotUnderTest,
) -> None:
    """Searching is no AI feature: the directory's groups apply with an expired KI-Pass too."""
    await say(bot, "suche Radverkehr", EXPIRED, "personal")
    [reply] = bot.connector.messages()
    assert "Geheimtitel" in shown(reply)


@pytest.mark.parametrize(
    "text",
    [
        "frage Darf ich ChatGPT nutzen?",
        "zusammenfassen VO/2026/1001",
        "suche Was hat der Bauausschuss zum Radverkehr beschlossen?",
    ],
)
async def test_without_kipass_questions_and_summaries_are_refused(
    bot: BotUnderTest, text: str
) -> None:
    await say(bot, text, NO_PASS, "personal")
    [reply] = bot.connector.messages()
    seen = shown(reply)
    assert "KI-Pass erforderlich" in seen
    assert "Ihr nächster Schritt: Besuchen Sie die KI-Pass-Schulung." in seen
    turns = [line for line in bot.audit() if line.get("event") == "gate"]
    assert [t["reason"] for t in turns] == ["kipass_required"]


def test_the_way_to_the_personal_chat_links_the_bot_where_its_id_is_known() -> None:
    line = open_personal_chat_line("6a1c0f2e-0000-4000-8000-000000000001")
    assert "(https://teams.microsoft.com/l/chat/0/0?users=28:6a1c0f2e-0000-4000-8000-" in line
    assert open_personal_chat_line("") == OPEN_PERSONAL_CHAT  # local mode: no app id, no link


async def test_with_auth_on_the_1to1_chat_is_created_with_the_bots_token(
    tmp_path: Path, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The real outbound path: token from Entra, create conversation and message both carry
    it; the shared line links the bot's chat only if creating it fails (here it works)."""
    stubs = await BotFrameworkStubs.start(tmp_path)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(stubs.tls.cert_file))
    settings = make_settings(data_dir, **stubs.settings_overrides(APP_ID, TENANT_ID))
    runner = web.AppRunner(create_app(settings, services=make_services(settings)))
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    url = f"http://127.0.0.1:{runner.addresses[0][1]}/api/messages"
    try:
        service_url = stubs.connector.service_url
        activity = turn_message(service_url, "<at>KI-Assistent</at> kipass")
        activity["conversation"].update(
            id="19:team-channel@thread.tacv2;messageid=1764225600000", conversationType="channel"
        )
        headers = {"Authorization": f"Bearer {stubs.identity.sign(APP_ID, service_url)}"}
        async with ClientSession() as client, client.post(url, json=activity, headers=headers) as r:
            assert r.status == 200, await r.text()
        [created] = stubs.connector.created
        assert created.authorization == "Bearer outbound-token-1"
        [line] = stubs.connector.replies_to(activity["conversation"]["id"])
        assert line.body["text"] == SENT_PRIVATELY
        [personal] = stubs.connector.replies_to(created.reply_id)
        assert personal.authorization == "Bearer outbound-token-1"
        assert "Ihr KI-Pass-Status konnte nicht ermittelt werden" in shown(personal)
    finally:
        await runner.cleanup()
        await stubs.close()
