"""What a new user saw (issue 15 items 4, 5, 7), through the Microsoft 365 Agents Playground in
headless Chromium: the help names the bot as the Playground does ("Test Bot"), a pasted ALLRIS
link shows that paper with „Zusammenfassen“, and a 👍 replaces the buttons with the vote in the
same message. Needs Debian's chromium and the Playground (see test_playground.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from skills.trace import Trace
from tests.bot.audience_kit import index_samples
from tests.bot.teams.playground import (
    playground_page,
    sample_bot,
    say,
    wait_for_trace,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

LINK = "https://allris.luebeck.de/public/vo020?VOLFDNR=14102"
TITLE = "Sichere Radwege auf der Altstadtinsel"


async def test_help_name_pasted_link_and_vote_in_the_playground(
    aiohttp_server: Any, data_dir: Path, tmp_path: Path
) -> None:
    await index_samples(data_dir)
    traces: list[Trace] = []
    bot_url = await sample_bot(aiohttp_server, data_dir, traces)

    async with playground_page(bot_url, tmp_path) as (page, editor):
        # Item 7: the help's example names the bot as the Playground calls it.
        await say(page, editor, "hilfe")
        await wait_for_trace(traces, 1)
        await page.get_by_text("„@Test Bot suche Radverkehr“").first.wait_for()
        assert await page.get_by_text("@KI-Assistent").count() == 0

        # Item 5: a pasted link shows that paper, with „Zusammenfassen“.
        await say(page, editor, LINK)
        await wait_for_trace(traces, 2)
        await page.get_by_text(TITLE).first.wait_for()
        await page.get_by_role("button", name="Zusammenfassen").first.wait_for()
        assert traces[1].step("link_lookup") is not None

        # Item 4: a vote replaces the buttons in the same message; no second message.
        thumbs = page.get_by_role("button", name="👍 Hilfreich")
        before = await thumbs.count()
        await thumbs.last.click()
        await page.get_by_text("Danke für Ihre Rückmeldung: „hilfreich“.").first.wait_for()
        assert await thumbs.count() == before - 1
        assert await page.get_by_text(TITLE).count() >= 1  # the answer stays
        await page.screenshot(path=str(tmp_path / "new-user.png"))

        # The paper's „Zusammenfassen“ summarises it.
        await page.get_by_role("button", name="Zusammenfassen").first.click()
        await wait_for_trace(traces, 3)
        assert traces[2].step("route").details["skill"] == "summarise"  # type: ignore[union-attr]
        await page.get_by_text("Zusammenfassung").first.wait_for()
