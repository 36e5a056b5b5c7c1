"""The audience rule through the Microsoft 365 Agents Playground: a channel with two factions.

The Playground serves the conversation roster itself (`GET /v3/conversations/{id}/pagedmembers`,
from its `.m365agentsplayground.yml`); here that file makes the current user Dirk (Grünen) and
puts Eva (CDU), Alex (Grünen) and three more sample users into the team. Dirk's search in the channel must not post the
Grünen's internal paper; the same search in his 1:1 chat finds it (the control).

Needs Debian's chromium and the Playground (see tests/bot/teams/test_playground.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from skills.trace import Trace
from tests.bot.audience_kit import ALEX, DIRK, EVA
from tests.bot.teams.playground import (
    playground_page,
    sample_bot,
    say,
    wait_for_trace,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SAMPLE = "5d0c3a51-8f0e-4c39-9a57-0d7d2f1a000"  # + digit: samples/directory.yaml
SEARCH = "suche Kompromisslinie Radverkehrsbudget"
NOTICE = "Einige Treffer sind nur für einen Teil dieser Unterhaltung sichtbar."


def _user(n: int, aad: str, name: str, upn: str) -> dict[str, str]:
    given, surname = name.split(" ", 1)
    return {
        "id": f"user-id-{n}",
        "name": name,
        "userPrincipleName": upn,  # sic: the Playground's schema spells it so
        "aadObjectId": aad,
        "givenName": given,
        "surname": surname,
        "email": upn,
    }


def playground_config() -> str:
    """The Playground's own default layout, with the sample directory's faction members."""
    config = {
        "version": "0.1.1",
        "tenantId": "00000000-0000-0000-0000-0000000000001",  # the sample directory's tenant
        "bot": {"id": "00000000-0000-0000-0000-00000000000011", "name": "Test Bot"},
        "currentUser": _user(0, DIRK, "Dirk Möller", "dirk.moeller@luebeck.de"),
        "users": [  # the Playground wants at least five
            _user(1, EVA, "Eva Schulz", "eva.schulz@luebeck.de"),
            _user(2, ALEX, "Alex Wilber", "alexw@example.com"),
            _user(3, f"{SAMPLE}1", "Anna Petersen", "anna.petersen@luebeck.de"),
            _user(4, f"{SAMPLE}3", "Clara Hansen", "clara.hansen@luebeck.de"),
            _user(5, f"{SAMPLE}6", "Frank Lange", "frank.lange@luebeck.de"),
        ],
        "personalChat": {"id": "__PERSONAL_CHAT_ID__"},
        "groupChat": {"id": "__GROUP_CHAT_ID__", "name": "Group Chat"},
        "team": {
            "id": "team-id",
            "name": "My Team",
            "aadGroupId": "00000000-0000-0000-0000-000000000031",
            "channels": [{"id": "channel-announcements-id", "name": "Announcements"}],
        },
    }
    return str(yaml.safe_dump(config, allow_unicode=True, sort_keys=False))


async def test_channel_with_two_factions_in_the_playground(
    aiohttp_server: Any, sample_data: Path, tmp_path: Path
) -> None:
    (tmp_path / ".m365agentsplayground.yml").write_text(playground_config(), "utf-8")
    traces: list[Trace] = []
    bot_url = await sample_bot(aiohttp_server, sample_data, traces)

    async with playground_page(bot_url, tmp_path) as (page, editor):
        await page.get_by_role("treeitem", name="General").click()
        await page.get_by_text("Start a new post").first.wait_for()
        await say(page, editor, SEARCH, mention=True)
        await wait_for_trace(traces, 1)
        await page.get_by_text(NOTICE).first.wait_for()
        channel_leaks = await page.get_by_text("Fraktionsinterne").count()
        await page.screenshot(path=str(tmp_path / "audience-channel.png"))

        # Control: Dirk's own 1:1 chat finds the paper.
        await page.get_by_role("treeitem", name="Personal Chat").click()
        await say(page, editor, SEARCH)
        await wait_for_trace(traces, 2)
        await page.get_by_text("Fraktionsinterne").first.wait_for()

    audience = traces[0].step("audience")
    assert audience is not None, traces[0].names()
    # The Playground's roster: Dirk and the five users (its bot is not listed as a member).
    assert audience.details["roster_size"] == 6, audience.details
    assert audience.details["fallback"] is None
    assert channel_leaks == 0
    assert traces[1].step("audience") is None  # a 1:1 chat has no roster lookup
