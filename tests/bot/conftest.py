"""Fixtures shared by the tests of bot/ (the builders themselves are in tests/bot/kit.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.bot.audience_kit import index_samples_once


@pytest.fixture(scope="session")
def indexed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample corpus indexed once per run (`kiw index samples` plus the planted faction
    papers); each test copies it into its own data dir (audience_kit.copy_index)."""
    return index_samples_once(tmp_path_factory.mktemp("samples-index"))
