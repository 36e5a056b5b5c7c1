"""Fixtures of the `kiw` command tests: the environment `kiw` reads, and `kiw` run in-process."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.cli import main
from indexer.embedded import EmbeddedIndex
from tests.conftest import REPO
from tests.skills.corpus import sample_chunks

KiwRun = Callable[..., tuple[int, str, str]]


@pytest.fixture
def sample_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """What `kiw` reads from the environment, set for the embedded seams and the sample
    directory whatever the developer's shell holds (local mode: no MicrosoftAppId)."""
    for name in ("KIW_GENERATOR", "KIW_INDEX_BACKEND", "KIW_DIRECTORY_BACKEND", "MicrosoftAppId"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("KIW_DIRECTORY", str(REPO / "samples" / "directory.yaml"))


@pytest.fixture
def corpus_data(data_dir: Path, sample_env: None) -> Path:
    """A data dir with the skills' sample chunks indexed (tests/skills/corpus.py)."""

    async def build() -> None:
        index = EmbeddedIndex(data_dir / "index")
        await index.upsert(sample_chunks())
        await index.close()

    asyncio.run(build())
    return data_dir


@pytest.fixture
def kiw(capsys: pytest.CaptureFixture[str]) -> KiwRun:
    """`kiw ARGS… --data-dir DATA_DIR` in-process, without a .env file: (exit code, stdout,
    stderr)."""

    def run(data_dir: Path, *args: str) -> tuple[int, str, str]:
        code = main(["--env-file", "/nonexistent", *args, "--data-dir", str(data_dir)])
        out = capsys.readouterr()
        return code, out.out, out.err

    return run
