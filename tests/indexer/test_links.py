"""The one lookup of the paper an ALLRIS link names (search, summaries and unfurled links use
it), on the embedded index: every way a link names a paper, and never a paper the caller may
not read."""

from __future__ import annotations

from pathlib import Path

from indexer.embedded import EmbeddedIndex
from indexer.links import chunks_for_link
from indexer.model import COUNCIL, PUBLIC, Chunk

OPARL = "https://ris.example.de/oparl/bodies/1/papers/77"
PUBLIC_ONLY = frozenset({PUBLIC})
FACTION = frozenset({PUBLIC, "fraktion-gruene"})


def _paper(
    doc_id: str,
    title: str,
    reference: str,
    *,
    source_ids: tuple[str, ...] = (),
    access: tuple[str, ...] = (PUBLIC,),
) -> Chunk:
    return Chunk(
        id=f"{doc_id}#0",
        doc_id=doc_id,
        collection=COUNCIL,
        title=title,
        text=f"{title}: Die Bürgerschaft beschließt.",
        access=access,
        reference=reference,
        source_ids=source_ids,
    )


async def _index(tmp_path: Path) -> EmbeddedIndex:
    index = EmbeddedIndex(tmp_path / "index")
    await index.upsert(
        [
            _paper(OPARL, "Radverkehr", "VO/2025/0123"),
            _paper(
                "paper-2", "Schulbau", "2024/0453", source_ids=("https://ris/vo020?VOLFDNR=1664",)
            ),
            _paper("paper-3", "Fraktionsintern", "AN/2025/0900", access=("fraktion-gruene",)),
        ]
    )
    return index


async def _titles(index: EmbeddedIndex, url: str, access: frozenset[str]) -> list[str]:
    return [c.title for c in await chunks_for_link(index, url, access)]


async def test_every_way_a_link_names_a_paper(tmp_path: Path) -> None:
    index = await _index(tmp_path)
    try:
        assert await _titles(index, OPARL, PUBLIC_ONLY) == ["Radverkehr"]  # the OParl id
        ris = OPARL.replace("/oparl/", "/ris/oparl/")
        assert await _titles(index, ris, PUBLIC_ONLY) == ["Radverkehr"]  # the server's alias
        row = "https://allris.example.de/public/vo020?VOLFDNR=01664"
        assert await _titles(index, row, PUBLIC_ONLY) == ["Schulbau"]  # ALLRIS's row id
        typed = "https://allris.example.de/public/vorlage?id=2024-0453"
        assert await _titles(index, typed, PUBLIC_ONLY) == ["Schulbau"]  # a typed reference
        value = "https://allris.example.de/public/x?ref=VO%2F2025%2F123"
        assert await _titles(index, value, PUBLIC_ONLY) == ["Radverkehr"]  # a query value
    finally:
        await index.close()


async def test_a_paper_the_caller_may_not_read_is_not_found(tmp_path: Path) -> None:
    index = await _index(tmp_path)
    try:
        link = "https://allris.example.de/public/x?ref=AN%2F2025%2F900"
        assert await _titles(index, link, PUBLIC_ONLY) == []
        assert await _titles(index, link, FACTION) == ["Fraktionsintern"]
        assert await _titles(index, "https://allris.example.de/x?VOLFDNR=5", FACTION) == []
        assert await _titles(index, "https://[::1/x?ref=abc", PUBLIC_ONLY) == []  # no error
    finally:
        await index.close()
