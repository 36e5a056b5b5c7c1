"""Start-up that fails on a broken seam says why and leaves nothing open behind it."""

from __future__ import annotations

import gc
import logging
from pathlib import Path

import pytest
from aiohttp import web

from bot.app import create_app
from graph.principal import DirectoryFileError
from tests.bot.kit import make_settings


async def test_broken_directory_file_stops_startup_cleanly(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    broken = tmp_path / "directory.yaml"
    broken.write_text("users:\n  - id: x\n    name: [broken\n", encoding="utf-8")
    app = create_app(make_settings(tmp_path / "data", directory_file=broken))
    runner = web.AppRunner(app)
    caplog.set_level(logging.ERROR, logger="asyncio")
    with pytest.raises(DirectoryFileError) as err:
        await runner.setup()
    message = str(err.value)
    del err  # its traceback holds the start-up frame (and whatever it opened) alive
    await runner.cleanup()
    gc.collect()  # an unclosed aiohttp session reports itself when collected
    assert "directory.yaml:4" in message
    assert "Unclosed client session" not in caplog.text
