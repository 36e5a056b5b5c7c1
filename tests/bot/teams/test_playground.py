"""End to end through the Microsoft 365 Agents Playground: the real bot (embedded seams, sample
directory) on a loopback port, the Playground (npm package, Teams channel) in front of it, and
headless Chromium typing into the Playground's UI as a user would.

Needs Debian's chromium (/usr/bin/chromium, installed by .ci/run) and the Playground from
package.json (`make install` runs npm install). Missing either fails the test with the reason.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from skills.trace import Trace
from tests.bot.kit import make_settings
from tests.bot.teams.playground import (
    REPO,
    playground_page,
    require_tools,
    sample_bot,
    say,
    serve_bot,
    wait_for_trace,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]


async def test_user_talks_to_the_bot_through_the_playground(
    aiohttp_server: Any, data_dir: Path, tmp_path: Path
) -> None:
    traces: list[Trace] = []
    bot_url = await sample_bot(aiohttp_server, data_dir, traces)

    async with playground_page(bot_url, tmp_path) as (page, editor):
        # 1:1 chat: "hilfe" -> the help card.
        await say(page, editor, "hilfe")
        await wait_for_trace(traces, 1)
        await page.get_by_text("Das kann ich für Sie tun").first.wait_for()
        # Shown once: the one-line fallback travels in `summary`, not as text above the card.
        assert await page.get_by_text("Befehle: hilfe").count() == 0
        assert traces[0].step("route").details["skill"] == "help"  # type: ignore[union-attr]

        # Group chat: @mention the bot from the mention list, then the command.
        await page.get_by_role("treeitem", name="Group Chat").click()
        await page.get_by_text("Willkommen beim KI-Werkstatt Assistenten").first.wait_for()
        await say(page, editor, "suche Radverkehr", mention=True)
        await wait_for_trace(traces, 2)
        group = traces[1]
        assert group.step("normalise").details["mention_removed"] is True  # type: ignore[union-attr]
        assert group.step("normalise").details["scope"] == "groupChat"  # type: ignore[union-attr]
        assert group.step("route").details["command"] == "suche"  # type: ignore[union-attr]

        # Channel: the reply lands in the thread of the post that mentioned the bot.
        await page.get_by_role("treeitem", name="General").click()
        await page.get_by_text("Start a new post").first.wait_for()
        await say(page, editor, "hilfe", mention=True)
        await wait_for_trace(traces, 3)
        channel = traces[2]
        assert channel.step("normalise").details["scope"] == "team"  # type: ignore[union-attr]
        await page.get_by_text("Das kann ich für Sie tun").first.wait_for()
        await page.screenshot(path=str(tmp_path / "playground.png"))


async def test_streamed_answer_through_the_playground(
    aiohttp_server: Any, data_dir: Path, tmp_path: Path
) -> None:
    """A model that writes slowly (a loopback OpenAI-compatible server): the Playground takes
    the stream (it answers the first update with the stream id and refuses protocol errors)
    and shows the final answer once, with the AI label and citation pills."""
    require_tools()
    from tests.bot.audience_kit import index_samples
    from tests.skills.openai_server import FakeOpenAI, Reply, openai_server

    answer = "Der KI-Pass ist zwei Jahre gültig [1]. Danach braucht es eine Auffrischung [1]."
    words = answer.split(" ")
    pieces = [w + " " for w in words[:-1]] + [words[-1]]
    fake = FakeOpenAI(replies=[Reply(answer, chunks=pieces, chunk_delay=0.2)])
    await index_samples(data_dir)
    traces: list[Trace] = []
    async with openai_server(fake):
        settings = make_settings(
            data_dir,
            directory_file=REPO / "samples" / "directory.yaml",
            generator_backend="openai",
            openai_base_url=fake.base_url,
            openai_model="test-model",
            openai_on_premise=True,
            stream_after_seconds=0.3,
            stream_interval_seconds=0.5,
        )
        bot_url = await serve_bot(aiohttp_server, settings, traces)
        async with playground_page(bot_url, tmp_path) as (page, editor):
            await say(page, editor, "frage Wie lange ist der KI-Pass gültig?")
            await wait_for_trace(traces, 1)
            await page.get_by_text("AI generated").first.wait_for()
            await page.get_by_text("Danach braucht es eine Auffrischung").first.wait_for()
            # The Playground's log lists what it accepted: stream updates, then the final.
            log = await page.locator("text=/typing 20[12]/").all_inner_texts()
            # Chat bubbles of AI answers are Fluent "OutputCard"s (the log panel repeats the
            # text, so count bubbles, not text).
            shown = await page.locator(".fai-OutputCard", has_text="Danach braucht es").count()
            await page.screenshot(path=str(tmp_path / "streamed.png"))
    assert traces[0].step("reply").details == {"long_work": False, "streamed": True}  # type: ignore[union-attr]
    assert any("201" in line for line in log), log  # the first update opened the stream
    assert shown == 1  # the final message replaced the streamed one: the answer shows once
