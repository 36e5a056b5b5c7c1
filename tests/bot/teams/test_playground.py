"""End to end through the Microsoft 365 Agents Playground: the real bot (embedded seams, sample
directory) on a loopback port, the Playground (npm package, Teams channel) in front of it, and
headless Chromium typing into the Playground's UI as a user would.

Needs Debian's chromium (/usr/bin/chromium, installed by .ci/run) and the Playground from
package.json (`make install` runs npm install). Missing either fails the test with the reason.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import socket
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.app import create_app
from skills.trace import Trace
from tests.bot.kit import make_settings

pytestmark = [pytest.mark.browser, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[3]
PLAYGROUND = REPO / "node_modules" / ".bin" / "agentsplayground"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-quic",
    "--disable-sync",
]
STEP_TIMEOUT_MS = 30_000


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _require_tools() -> None:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: .ci/run installs Debian's chromium")
    if not PLAYGROUND.exists():
        pytest.fail(f"{PLAYGROUND} is missing: run `make install` (npm install)")
    if shutil.which("node") is None:
        pytest.fail("node is not on PATH: the Agents Playground needs Node.js")


@contextlib.asynccontextmanager
async def playground(bot_url: str, workdir: Path) -> AsyncIterator[str]:
    port = _free_port()
    proc = await asyncio.create_subprocess_exec(
        str(PLAYGROUND),
        "start",
        "-e",
        bot_url,
        "-c",
        "msteams",
        "--disable-telemetry",
        "-p",
        str(port),
        cwd=workdir,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        env={**os.environ, "BROWSER": "none"},
    )
    assert proc.stdout is not None
    output: list[str] = []
    try:
        async with asyncio.timeout(60):
            while True:
                line = (await proc.stdout.readline()).decode(errors="replace")
                if not line:
                    pytest.fail("the Playground exited:\n" + "".join(output))
                output.append(line)
                if "Listening on" in line:
                    break
        yield f"http://127.0.0.1:{port}"
    finally:
        if proc.returncode is None:
            proc.terminate()
            try:
                async with asyncio.timeout(10):
                    await proc.wait()
            except TimeoutError:
                proc.kill()
                await proc.wait()


async def _wait_for_trace(traces: list[Trace], count: int) -> None:
    async with asyncio.timeout(STEP_TIMEOUT_MS / 1000):
        while len(traces) < count:  # noqa: ASYNC110 - the sink is a plain list.append
            await asyncio.sleep(0.1)


async def _mention_bot(page: Any) -> None:
    """Type "@" and pick the bot from the Playground's mention list."""
    await page.keyboard.type("@")
    option = page.get_by_role("menuitem", name="Test Bot")
    await option.wait_for()
    await option.click()


async def _serve(aiohttp_server: Any, settings: Any, traces: list[Trace]) -> str:
    """The real bot on a loopback port; its messaging endpoint."""
    server = await aiohttp_server(create_app(settings, trace_sink=traces.append))
    return f"http://127.0.0.1:{server.port}/api/messages"


@contextlib.asynccontextmanager
async def playground_page(bot_url: str, tmp_path: Path) -> AsyncIterator[tuple[Any, Any]]:
    """The Playground in headless Chromium, its 1:1 chat open (the bot's welcome shown):
    yields the page and the message editor; a failure leaves a screenshot in tmp_path."""
    from playwright.async_api import async_playwright

    async with playground(bot_url, tmp_path) as ui, async_playwright() as p:
        browser = await p.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        page = await browser.new_page(viewport={"width": 1400, "height": 1000})
        page.set_default_timeout(STEP_TIMEOUT_MS)
        try:
            await page.goto(ui, wait_until="domcontentloaded")
            # Opening the 1:1 chat installs the bot: one welcome card.
            await page.get_by_text("Willkommen beim KI-Werkstatt Assistenten").first.wait_for()
            yield page, page.locator('[data-lexical-editor="true"]').first
        except BaseException:
            await page.screenshot(path=str(tmp_path / "failure.png"))
            print(f"screenshot: {tmp_path / 'failure.png'}")
            raise
        finally:
            await browser.close()


async def test_user_talks_to_the_bot_through_the_playground(
    aiohttp_server: Any, data_dir: Path, tmp_path: Path
) -> None:
    _require_tools()
    traces: list[Trace] = []
    settings = make_settings(data_dir, directory_file=REPO / "samples" / "directory.yaml")
    bot_url = await _serve(aiohttp_server, settings, traces)

    async with playground_page(bot_url, tmp_path) as (page, editor):
        # 1:1 chat: "hilfe" -> the help card.
        await editor.click()
        await page.keyboard.type("hilfe")
        await page.keyboard.press("Enter")
        await _wait_for_trace(traces, 1)
        await page.get_by_text("Das kann ich für Sie tun").first.wait_for()
        # Shown once: the one-line fallback travels in `summary`, not as text above the card.
        assert await page.get_by_text("Befehle: hilfe").count() == 0
        assert traces[0].step("route").details["skill"] == "help"  # type: ignore[union-attr]

        # Group chat: @mention the bot from the mention list, then the command.
        await page.get_by_role("treeitem", name="Group Chat").click()
        await page.get_by_text("Willkommen beim KI-Werkstatt Assistenten").first.wait_for()
        await editor.click()
        await _mention_bot(page)
        await page.keyboard.type(" suche Radverkehr")
        await page.keyboard.press("Enter")
        await _wait_for_trace(traces, 2)
        group = traces[1]
        assert group.step("normalise").details["mention_removed"] is True  # type: ignore[union-attr]
        assert group.step("normalise").details["scope"] == "groupChat"  # type: ignore[union-attr]
        assert group.step("route").details["command"] == "suche"  # type: ignore[union-attr]

        # Channel: the reply lands in the thread of the post that mentioned the bot.
        await page.get_by_role("treeitem", name="General").click()
        await page.get_by_text("Start a new post").first.wait_for()
        await editor.click()
        await _mention_bot(page)
        await page.keyboard.type(" hilfe")
        await page.keyboard.press("Enter")
        await _wait_for_trace(traces, 3)
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
    _require_tools()
    from tests.bot.test_cards_skills import _index_samples
    from tests.skills.openai_server import FakeOpenAI, Reply, openai_server

    answer = "Der KI-Pass ist zwei Jahre gültig [1]. Danach braucht es eine Auffrischung [1]."
    words = answer.split(" ")
    pieces = [w + " " for w in words[:-1]] + [words[-1]]
    fake = FakeOpenAI(replies=[Reply(answer, chunks=pieces, chunk_delay=0.2)])
    await _index_samples(data_dir)
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
        bot_url = await _serve(aiohttp_server, settings, traces)
        async with playground_page(bot_url, tmp_path) as (page, editor):
            await editor.click()
            await page.keyboard.type("frage Wie lange ist der KI-Pass gültig?")
            await page.keyboard.press("Enter")
            await _wait_for_trace(traces, 1)
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
