"""Shared fixtures. Tests mirror the package tree; async tests are plain `async def` functions."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.support.clock import clock  # noqa: F401 - the one manual clock fixture
from tests.support.connector import ConnectorRecorder

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def shared_path(*parts: str) -> Path:
    """A file in ../shared; fails (never skips) when the shared folder is absent."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.fail(f"{path} is missing: CI and developers need ../shared beside the repo")
    return path


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    d = tmp_path / "kiw-data"
    d.mkdir()
    return d


@pytest.fixture
async def connector() -> AsyncIterator[ConnectorRecorder]:
    """A loopback Bot Connector that records the bot's replies (tests/bot/kit.py)."""
    stub = await ConnectorRecorder().start()
    yield stub
    await stub.close()
