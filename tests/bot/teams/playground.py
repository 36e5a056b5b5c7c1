"""The Microsoft 365 Agents Playground in headless Chromium, for the end-to-end tests of the Teams
front end: start the real bot and the Playground, open the 1:1 chat, type as a user would.

Needs Debian's chromium (/usr/bin/chromium, installed by .ci/run) and the Playground from
package.json (`make install` runs npm install); `require_tools` fails a test naming what is
missing.
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


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def require_tools() -> None:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: .ci/run installs Debian's chromium")
    if not PLAYGROUND.exists():
        pytest.fail(f"{PLAYGROUND} is missing: run `make install` (npm install)")
    if shutil.which("node") is None:
        pytest.fail("node is not on PATH: the Agents Playground needs Node.js")


@contextlib.asynccontextmanager
async def playground(bot_url: str, workdir: Path) -> AsyncIterator[str]:
    port = free_port()
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


async def wait_for_trace(traces: list[Trace], count: int) -> None:
    async with asyncio.timeout(STEP_TIMEOUT_MS / 1000):
        while len(traces) < count:  # noqa: ASYNC110 - the sink is a plain list.append
            await asyncio.sleep(0.1)


async def mention_bot(page: Any) -> None:
    """Type "@" and pick the bot from the Playground's mention list."""
    await page.keyboard.type("@")
    option = page.get_by_role("menuitem", name="Test Bot")
    await option.wait_for()
    await option.click()


async def serve_bot(aiohttp_server: Any, settings: Any, traces: list[Trace]) -> str:
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


async def sample_bot(
    aiohttp_server: Any, data_dir: Path, traces: list[Trace], **overrides: Any
) -> str:
    """The real bot with the sample directory behind the Playground: its messaging endpoint.
    Fails first, naming it, when chromium or the Playground is missing."""
    require_tools()
    settings = make_settings(
        data_dir, directory_file=REPO / "samples" / "directory.yaml", **overrides
    )
    return await serve_bot(aiohttp_server, settings, traces)


async def say(page: Any, editor: Any, text: str, *, mention: bool = False) -> None:
    """Type `text` into the message editor and send it, as a user does; `mention`: @mention
    the bot from the mention list first (a group chat or channel)."""
    await editor.click()
    if mention:
        await mention_bot(page)
        text = " " + text
    await page.keyboard.type(text)
    await page.keyboard.press("Enter")
