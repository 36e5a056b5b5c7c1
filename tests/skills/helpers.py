"""Shared builders for skill tests: passages, a context over the sample corpus."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date
from pathlib import Path

from graph.principal import Principal
from indexer.embedded import EmbeddedIndex
from indexer.model import POLICIES, Chunk
from skills.context import SkillConfig, SkillContext
from skills.generator.base import Generator, Passage
from skills.generator.extractive import ExtractiveGenerator
from skills.results import Paper, PaperList
from skills.types import SkillResult
from tests.skills.corpus import sample_chunks

TODAY = date(2026, 11, 27)


def passage(
    n: int,
    text: str,
    *,
    title: str = "Dokument",
    page: int | None = None,
    heading: str | None = None,
) -> Passage:
    chunk = Chunk(
        id=f"doc{n}#0",
        doc_id=f"doc{n}",
        collection=POLICIES,
        title=title,
        text=text,
        page=page,
        heading=heading,
    )
    return Passage(n=n, chunk=chunk, score=1.0 / n)


def member_of(*groups: str) -> Principal:
    return Principal(
        id="u1",
        name="Test",
        kipass_valid_until=date(2027, 12, 31),
        access_groups=frozenset({"public", *groups}),
    )


class NoDirectory:
    async def lookup(self, user_id: str) -> Principal:
        raise AssertionError("skills must not look users up themselves")

    async def ping(self) -> None:
        return None

    async def close(self) -> None:
        return None


@asynccontextmanager
async def sample_context(
    tmp_path: Path, generator: Generator | None = None, extra: list[Chunk] | None = None
) -> AsyncIterator[SkillContext]:
    index = EmbeddedIndex(tmp_path / "index")
    await index.upsert(sample_chunks() + (extra or []))
    try:
        yield SkillContext(
            index=index,
            generator=generator or ExtractiveGenerator(),
            directory=NoDirectory(),
            config=SkillConfig(policy_contact="die KI-Werkstatt"),
            today=lambda: TODAY,
        )
    finally:
        await index.close()


def papers(result: SkillResult) -> tuple[Paper, ...]:
    """The papers a search listed: its typed `PaperList` (skills/results.py)."""
    assert isinstance(result.payload, PaperList), result.payload
    return result.payload.papers
