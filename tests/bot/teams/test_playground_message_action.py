"""Issue 15 item 8 in the Microsoft 365 Agents Playground: the message action „Zusammenfassen“
on a user's message opens a dialog that shows each sentence of the summary once, proposal
first, then money, then the deadline. The Playground has no app manifest, so the test picks
„Action Command“ from the message's menu and types the command id, as a developer would.
Needs Debian's chromium and the Playground (see test_playground.py). With
KIW_PLAYGROUND_SCREENSHOTS=docs set, it writes docs/playground-message-action.png."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from bot.extensions import SUMMARISE_COMMAND
from skills.trace import Trace
from tests.bot.teams.playground import (
    playground_page,
    sample_bot,
    say,
    wait_for_trace,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# The recorded message of tests/bot/test_extensions_summary.py, as a user types it.
MESSAGE = (
    "Der Bauausschuss hat am Dienstag das Radverkehrskonzept für die Innenstadt beraten. "
    "Der Ausschuss empfiehlt der Bürgerschaft, das Konzept zu beschließen. "
    "Die Kosten betragen 2,4 Millionen Euro, verteilt auf die Haushaltsjahre 2027 und 2028. "
    "Stellungnahmen der Fraktionen bitte bis zum 15.12.2026 an das Büro der Bürgerschaft."
)
PROPOSAL = "Der Ausschuss empfiehlt der Bürgerschaft, das Konzept zu beschließen."
MONEY = "Die Kosten betragen 2,4 Millionen Euro"
DEADLINE = "Stellungnahmen der Fraktionen bitte bis zum 15.12.2026"


async def test_message_action_dialog_shows_the_summary_once_in_reading_order(
    aiohttp_server: Any, data_dir: Path, tmp_path: Path
) -> None:
    traces: list[Trace] = []
    bot_url = await sample_bot(aiohttp_server, data_dir, traces)

    async with playground_page(bot_url, tmp_path) as (page, editor):
        await say(page, editor, MESSAGE)
        await wait_for_trace(traces, 1)  # the bot answers the typed text; not the subject

        # The "…" menu of the user's own message: „Action Command“ with our command id.
        menu = page.locator(
            '//div[@aria-label="Message header"]'
            f'[following-sibling::*[contains(., "{MESSAGE[:40]}")]]//button'
        )
        await menu.first.click()
        await page.get_by_role("menuitem", name="Action Command").click()
        await page.get_by_placeholder("Input command id or leave blanks").fill(SUMMARISE_COMMAND)
        await page.get_by_role("button", name="Create").click()

        # The dialog: the bot's answer to composeExtension/fetchTask with the message as payload.
        dialog = page.get_by_role("dialog").filter(has_text="In die Unterhaltung einfügen")
        await dialog.wait_for()
        shown: str = await dialog.inner_text()
        if shots := os.environ.get("KIW_PLAYGROUND_SCREENSHOTS"):  # pictures for docs/
            await page.screenshot(path=str(Path(shots) / "playground-message-action.png"))

    for sentence in (PROPOSAL, MONEY, DEADLINE):
        assert shown.count(sentence) == 1, (sentence, shown)
    assert shown.index(PROPOSAL) < shown.index(MONEY) < shown.index(DEADLINE), shown
