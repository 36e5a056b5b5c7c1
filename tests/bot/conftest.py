"""Fixtures shared by the tests of bot/ (the builders themselves are in tests/bot/kit.py).

`bot` is the plain bot under test; a module that needs other skills or settings defines its own
`bot` fixture, which takes precedence there."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.bot.audience_kit import index_samples_once, start_sample_bot
from tests.bot.kit import BotUnderTest, start_bot
from tests.support.connector import ConnectorRecorder


@pytest.fixture(scope="session")
def indexed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample corpus indexed once per run (`kiw index samples` plus the planted faction
    papers); each test that needs it takes a copy, `sample_data`."""
    return index_samples_once(tmp_path_factory.mktemp("samples-index"))


@pytest.fixture
def sample_data(indexed: Path, data_dir: Path) -> Path:
    """The test's data dir holding its own copy of the sample index (`indexed`)."""
    shutil.copytree(indexed / "index", data_dir / "index")
    return data_dir


@pytest.fixture
async def sample_bot(
    aiohttp_client: Any, connector: ConnectorRecorder, sample_data: Path
) -> BotUnderTest:
    """The real bot over the sample index and the sample directory (audience_kit)."""
    return await start_sample_bot(aiohttp_client, connector, sample_data)


@pytest.fixture
async def bot(aiohttp_client: Any, connector: ConnectorRecorder, data_dir: Path) -> BotUnderTest:
    """The real app in local mode, the kit's fake seams and the project's skills (start_bot)."""
    return await start_bot(aiohttp_client, connector, data_dir)
