"""Searching by who submitted a paper: a faction or a councillor, named as people do."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from bot.render.chat_cards import result_card
from indexer.azure_search import AzureSearchIndex
from indexer.chunking import Passage
from indexer.model import COUNCIL, Chunk
from indexer.parts import ChunkSplitter, ParsedFile
from indexer.source import DocumentMeta, FileRef, SourceDocument
from skills import allris_search
from skills.allris_query import parse_council_query
from skills.context import SkillConfig, SkillContext
from skills.generator.extractive import ExtractiveGenerator
from skills.types import SkillRequest, SkillResult
from tests.indexer.azure_search_server import FakeSearchService, serve
from tests.skills.helpers import TODAY, NoDirectory, member_of, papers, sample_context


@pytest.mark.parametrize(
    ("text", "factions", "paper_type", "rest"),
    [
        ("was hat die SPD-Fraktion beantragt", ("SPD",), "Antrag", ""),
        ("Anfrage der FDP/FW zum Hospiz", ("FDP", "Freie Wähler"), "Anfrage", "Hospiz"),
        (
            "Haushaltsantrag der Grünen Pförtnerung",
            ("Bündnis 90/Die Grünen",),
            "Antrag",
            "Pförtnerung",
        ),
        ("Anträge von Bündnis 90/Die Grünen", ("Bündnis 90/Die Grünen",), "Antrag", ""),
        ("Grünen-Antrag Zuschuss kürzen", ("Bündnis 90/Die Grünen",), "Antrag", "Zuschuss kürzen"),
        (
            "gemeinsamer Antrag von CDU und Linken Hausbesuche",
            ("CDU", "Die Linke"),
            "Antrag",
            "Hausbesuche",
        ),
        # "für" is a preposition, not the group FÜR; a councillor's role is no search word.
        ("Anträge für Radwege", (), "Antrag", "Radwege"),
        ("Anträge von Stadtrat Braun", (), "Antrag", "Braun"),
    ],
)
def test_factions_and_councillors_in_a_search(
    text: str, factions: tuple[str, ...], paper_type: str, rest: str
) -> None:
    q = parse_council_query(text, TODAY)
    assert (q.factions, q.paper_type, q.text) == (factions, paper_type, rest)
    assert q.organization == (factions[0] if factions else None)
    if factions:
        assert q.filters()["Fraktion"] == ", ".join(factions)


def _paper(
    n: int, paper_type: str, title: str, file_name: str, head: str, access: str = "public"
) -> list[Chunk]:
    doc_id = f"https://ratsinfo.example/papers/{n}"
    meta = DocumentMeta(
        doc_id=doc_id,
        collection=COUNCIL,
        title=title,
        access=(access,),
        paper_id=doc_id,
        paper_type=paper_type,
        reference=f"2025/{n:04d}",
        date=date(2025, 11, n % 28 + 1),
        organizations=("Gemeinderat",),
    )
    doc = SourceDocument(meta=meta, overview=f"{paper_type} 2025/{n:04d}: {title}")
    file = FileRef(file_id=f"f{n}", name=file_name, fingerprint="1")
    return ChunkSplitter().split(doc, [ParsedFile(file, [Passage(head, 1, None)])])


def _council() -> list[Chunk]:
    return [
        # A budget motion: its type is "Haushalt …", its faction only in the letterhead.
        *_paper(
            9001, "Haushalt THH 6600", "Sachmittel für Pförtnerung in Hagsfeld", "Antrag Grüne_029",
            "GRÜNE Gemeinderatsfraktion, Hebelstraße 21 DOPPELHAUSHALT ANTRAG Pförtnerung "
            "des Durchgangsverkehrs in Hagsfeld",
        ),
        *_paper(
            9002, "Antrag", "Pförtnerampel Hagsfeld prüfen", "Antrag",
            "Antrag Vorlage Nr.: 2025/9002 Pförtnerampel Antrag: CDU Gremien Termin Die "
            "Pförtnerung in Hagsfeld wird geprüft, wie es die Grünen schon forderten.",
        ),
        *_paper(
            9003, "Anfrage", "Pförtnerung Hagsfeld: Stand", "Anfrage",
            "Anfrage Vorlage Nr.: 2025/9003 Anfrage: GRÜNE Gremien Termin Wie steht es um die "
            "Pförtnerung in Hagsfeld?",
        ),
        *_paper(
            9004, "Antrag", "Pförtnerung Hagsfeld, intern", "Antrag",
            "Antrag: GRÜNE Gremien Die Pförtnerung in Hagsfeld, Entwurf",
            access="fraktion-gruene",
        ),
    ]  # fmt: skip


def _listed(result: SkillResult) -> list[str]:
    return [p.reference or "" for p in papers(result)]


async def test_a_faction_finds_its_papers_whatever_their_type(tmp_path: Path) -> None:
    async with sample_context(tmp_path, extra=_council()) as ctx:
        greens = await allris_search.run(SkillRequest(text="Anträge der Grünen Pförtnerung"), ctx)
        cdu = await allris_search.run(SkillRequest(text="Antrag der CDU Pförtnerung"), ctx)
        queries = await allris_search.run(
            SkillRequest(text="Anfragen der Grünen zur Pförtnerung"), ctx
        )
        member = await allris_search.run(
            SkillRequest(text="Anträge der Grünen Pförtnerung", user=member_of("fraktion-gruene")),
            ctx,
        )
    # The budget motion counts as an Antrag; the CDU motion that mentions the Greens does not
    # count as theirs; their Anfrage comes after their motions.
    assert _listed(greens) == ["2025/9001", "2025/9003"]
    assert _listed(cdu) == ["2025/9002"]
    assert _listed(queries)[0] == "2025/9003"
    # A faction-internal paper only for the faction.
    assert "2025/9004" not in _listed(greens) and "2025/9004" in _listed(member)
    card = str(result_card(greens)[0])
    assert "Fraktion: Bündnis 90/Die Grünen" in card and "Eingereicht von" in card


async def test_a_councillor_is_found_by_name(tmp_path: Path) -> None:
    extra = _paper(
        9005, "Antrag", "Bänke am Werderplatz", "Antrag",
        "Antrag Vorlage Nr.: 2025/9005 Antrag: SR Braun Gremien Termin Bänke aufstellen",
    )  # fmt: skip
    async with sample_context(tmp_path, extra=extra) as ctx:
        result = await allris_search.run(SkillRequest(text="Anträge von Stadtrat Braun"), ctx)
    assert _listed(result) == ["2025/9005"]


async def test_the_faction_filter_works_the_same_on_azure_ai_search() -> None:
    """The submitters are organizations of the chunks: the Azure backend filters on them in
    the engine too (the loopback service answers the SDK's real REST calls)."""
    service = FakeSearchService()
    async with serve(service) as endpoint:
        index = AzureSearchIndex(endpoint, service.api_key, "kiw-submitters")
        await index.upsert(_council())
        ctx = SkillContext(
            index=index,
            generator=ExtractiveGenerator(),
            directory=NoDirectory(),
            config=SkillConfig(),
            today=lambda: TODAY,
        )
        try:
            greens = await allris_search.run(
                SkillRequest(text="Anträge der Grünen Pförtnerung"), ctx
            )
            cdu = await allris_search.run(SkillRequest(text="Antrag der CDU Pförtnerung"), ctx)
        finally:
            await index.close()
    assert _listed(greens) == ["2025/9001", "2025/9003"]
    assert _listed(cdu) == ["2025/9002"]
