"""A shared conversation sees only what all its members may read, through the real endpoint.

The roster comes from the loopback Bot Connector (GET …/pagedmembers, as TeamsInfo asks), the
members' groups from the sample directory, the documents from the sample corpus in the embedded
index. Each trimming test has a control: the same request where every member is entitled shows
the internal paper, so a test cannot pass by finding nothing.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

import bot.teams.audience as audience_module
from bot.teams.audience import MAX_ROSTER
from tests.bot.audience_kit import (
    ALEX,
    CHAT_PATHS,
    DIRK,
    EVA,
    MORE_QUERY,
    STRANGER,
    Seen,
    ask,
    channel_post,
    group_chat,
    roster,
)
from tests.support.connector import ConnectorRecorder

TEAM = "19:team-fraktionen@thread.tacv2"
GRUENE_TEAM = "19:team-gruene@thread.tacv2"
CHAT = "19:group-chat-radverkehr@thread.v2"


async def search_in_chat(bot: Any, connector: ConnectorRecorder) -> Seen:
    """Dirk's search (`suche …`) in the group chat CHAT, whose roster the test has set."""
    return await ask(bot, group_chat(CHAT_PATHS["suche"], connector, DIRK, CHAT))


async def search_in_channel(
    bot: Any, connector: ConnectorRecorder, user: str, team: str, **channel: Any
) -> Seen:
    """`user`'s search (`suche …`) in a channel of `team`, whose roster the test has set."""
    return await ask(bot, channel_post(CHAT_PATHS["suche"], connector, user, team, **channel))


@pytest.mark.parametrize("path", sorted(CHAT_PATHS))
async def test_channel_with_two_factions_sees_no_internal_paper(
    sample_bot: Any, connector: ConnectorRecorder, path: str
) -> None:
    text = CHAT_PATHS[path]
    connector.rosters[TEAM] = roster(DIRK, EVA)
    mixed = await ask(sample_bot, channel_post(text, connector, DIRK, TEAM))
    assert not mixed.leaked(), f"{path}: internal paper posted to a mixed channel"
    assert mixed.withheld, f"{path}: the asker could read more: the reply must say so"
    details = mixed.audience()
    assert details["roster_ms"] > 0  # the roster was read, over HTTP
    assert {k: v for k, v in details.items() if k != "roster_ms"} == {
        "roster_size": 2,
        "fallback": None,
        "cached": False,
        "shared_groups": 0,
    }

    # Control: a channel of the faction alone sees it, and nothing is withheld there.
    connector.rosters[GRUENE_TEAM] = roster(DIRK, ALEX)
    own = await ask(sample_bot, channel_post(text, connector, DIRK, GRUENE_TEAM))
    assert own.leaked(), f"{path}: the faction's own channel must find the paper"
    assert not own.withheld


async def test_group_chat_roster_is_the_chats_and_the_notice_names_nothing(
    sample_bot: Any, connector: ConnectorRecorder
) -> None:
    connector.rosters[CHAT] = roster(DIRK, EVA, ALEX)
    seen = await search_in_chat(sample_bot, connector)
    assert not seen.leaked()
    assert seen.withheld
    assert "Klausurvorlage" not in seen.text and "GR-INTERN" not in seen.text
    assert connector.roster_calls[0].startswith(f"GET /v3/conversations/{CHAT}/pagedmembers")


async def test_a_member_unknown_to_the_directory_means_public_only(
    sample_bot: Any, connector: ConnectorRecorder
) -> None:
    connector.rosters[CHAT] = roster(DIRK, ALEX, STRANGER)
    seen = await search_in_chat(sample_bot, connector)
    assert not seen.leaked()
    assert seen.audience()["fallback"] == "unknown_member"
    assert seen.withheld


async def test_a_member_without_entra_id_means_public_only(
    sample_bot: Any, connector: ConnectorRecorder
) -> None:
    connector.rosters[CHAT] = roster(DIRK, ALEX, None)
    seen = await search_in_chat(sample_bot, connector)
    assert not seen.leaked()
    assert seen.audience()["fallback"] == "unknown_member"


async def test_an_unreadable_roster_means_public_only_and_is_asked_again(
    sample_bot: Any, connector: ConnectorRecorder
) -> None:
    connector.rosters[CHAT] = roster(DIRK, ALEX)
    connector.fail_rosters = 500
    failed = await search_in_chat(sample_bot, connector)
    assert not failed.leaked()
    assert failed.audience()["fallback"] == "roster_unreadable"
    assert failed.withheld

    # The failure is not cached: once the roster answers, the faction's chat sees its paper.
    connector.fail_rosters = None
    recovered = await search_in_chat(sample_bot, connector)
    assert recovered.leaked()
    assert recovered.audience()["fallback"] is None


async def test_every_roster_page_counts(sample_bot: Any, connector: ConnectorRecorder) -> None:
    """Eva stands on the last page: a bot that read only the first would leak."""
    connector.roster_page_size = 1
    connector.rosters[TEAM] = roster(DIRK, ALEX, EVA)
    seen = await search_in_channel(sample_bot, connector, DIRK, TEAM)
    assert not seen.leaked()
    assert seen.audience()["roster_size"] == 3
    assert [c.split("?")[0] for c in connector.roster_calls] == [
        f"GET /v3/conversations/{TEAM}/pagedmembers"
    ] * 3
    assert "continuationToken=page-2" in connector.roster_calls[2]


async def test_a_private_channel_gets_public_documents_only(
    sample_bot: Any, connector: ConnectorRecorder
) -> None:
    """The team's roster is not a private or shared channel's: fail closed."""
    connector.rosters[TEAM] = roster(DIRK, ALEX)
    seen = await search_in_channel(sample_bot, connector, DIRK, TEAM, channel_type="shared")
    assert not seen.leaked()
    assert seen.audience()["fallback"] == "channel_roster"
    assert connector.roster_calls == []


async def test_the_roster_is_cached_and_a_new_sender_refreshes_it(
    sample_bot: Any, connector: ConnectorRecorder
) -> None:
    connector.rosters[TEAM] = roster(DIRK, ALEX)
    first = await search_in_channel(sample_bot, connector, DIRK, TEAM)
    second = await search_in_channel(sample_bot, connector, ALEX, TEAM)
    assert first.leaked() and second.leaked()
    assert (first.audience()["cached"], second.audience()["cached"]) == (False, True)
    assert len(connector.roster_calls) == 1

    # Eva joined, and Teams' conversationUpdate has not arrived yet: her own message shows the
    # cached roster is stale, so the bot reads it again.
    connector.rosters[TEAM] = roster(DIRK, ALEX, EVA)
    third = await search_in_channel(sample_bot, connector, EVA, TEAM)
    assert not third.leaked()
    assert third.audience()["cached"] is False


async def test_mehr_treffer_pages_follow_the_audience(
    sample_bot: Any, connector: ConnectorRecorder
) -> None:
    """The "Mehr Treffer" button sends the query and page back; the next page is trimmed too."""
    more = {"command": "suche", "query": MORE_QUERY, "page": 1}
    connector.rosters[TEAM] = roster(DIRK, EVA)
    connector.rosters[GRUENE_TEAM] = roster(DIRK, ALEX)
    own_first = await ask(
        sample_bot, channel_post(f"suche {MORE_QUERY}", connector, DIRK, GRUENE_TEAM)
    )
    own = await ask(sample_bot, channel_post("", connector, DIRK, GRUENE_TEAM, value=more))
    mixed = await ask(sample_bot, channel_post("", connector, DIRK, TEAM, value=more))
    # Control: for the faction the paper stands on page 2, not page 1.
    assert "Klausurvorlage" not in own_first.text
    assert "Klausurvorlage" in own.text
    assert "Seite 2" in mixed.text
    assert "Klausurvorlage" not in mixed.text
    assert mixed.withheld


async def test_audit_records_the_audience_without_members(
    sample_bot: Any, connector: ConnectorRecorder
) -> None:
    connector.rosters[CHAT] = roster(DIRK, EVA, STRANGER)
    await search_in_chat(sample_bot, connector)
    lines = [line for line in sample_bot.audit() if line["event"] == "audience"]
    assert len(lines) == 1
    assert lines[0]["roster"] == 3
    assert (lines[0]["outcome"], lines[0]["reason"]) == ("public_only", "unknown_member")
    flat = str(sample_bot.audit())
    for member_id in (DIRK, EVA, STRANGER, "Mitglied"):
        assert member_id not in flat


async def test_a_roster_beyond_the_limit_means_public_only(
    sample_bot: Any, connector: ConnectorRecorder
) -> None:
    """Looking up thousands of members costs more than the answer is worth: public only,
    decided from the roster alone (no directory lookups)."""
    connector.roster_page_size = 500
    members = [f"cccccccc-0000-4000-8000-{n:012d}" for n in range(MAX_ROSTER + 1)]
    connector.rosters[TEAM] = roster(DIRK, *members)
    directory = sample_bot.services.directory
    before = directory.stats()
    seen = await search_in_channel(sample_bot, connector, DIRK, TEAM)
    assert not seen.leaked()
    assert seen.audience()["fallback"] == "roster_too_large"
    after = directory.stats()
    assert after.misses - before.misses <= 1  # the asker's own gate lookup at most


async def test_a_roster_that_does_not_come_in_time_means_public_only(
    sample_bot: Any, connector: ConnectorRecorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(audience_module, "ROSTER_TIMEOUT_SECONDS", 0.3)
    connector.rosters[CHAT] = roster(DIRK, ALEX)
    connector.roster_delay = 2.0
    seen = await search_in_chat(sample_bot, connector)
    assert not seen.leaked()
    assert seen.audience()["fallback"] == "roster_unreadable"


async def test_a_shared_channel_never_uses_its_teams_cached_roster(
    sample_bot: Any, connector: ConnectorRecorder
) -> None:
    """A shared channel can hold people from outside the team: the team's roster, even cached
    from a standard channel a moment ago, does not speak for it."""
    connector.rosters[GRUENE_TEAM] = roster(DIRK, ALEX)
    standard = await search_in_channel(sample_bot, connector, DIRK, GRUENE_TEAM)
    assert standard.leaked()  # the team's own standard channel
    shared = await search_in_channel(
        sample_bot, connector, DIRK, GRUENE_TEAM, channel_type="shared"
    )
    assert not shared.leaked()
    assert shared.audience()["fallback"] == "channel_roster"


async def test_a_burst_of_mentions_reads_the_roster_once(
    sample_bot: Any, connector: ConnectorRecorder
) -> None:
    connector.rosters[TEAM] = roster(DIRK, EVA)
    connector.roster_delay = 0.3  # long enough for the burst to overlap
    posts = [channel_post("hilfe", connector, DIRK, TEAM) for _ in range(5)]
    responses = await asyncio.gather(*(sample_bot.post(p) for p in posts))
    assert all(r.status in (200, 201) for r in responses)
    assert len(connector.roster_calls) == 1
    steps = [t.step("audience").details for t in sample_bot.traces]
    assert len(steps) == 5 and all(s["roster_size"] == 2 for s in steps)
