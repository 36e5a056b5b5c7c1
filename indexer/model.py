"""The search-index seam: what goes in (chunks), what a query asks, what comes back.

Every chunk carries `access` groups; every query carries the caller's groups and the backend
filters on them *in the engine* (security trimming), never after the fact.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Literal, Protocol

# Re-exported: the index's callers have always imported these from here.
from kiw_common.vocabulary import COLLECTIONS, COUNCIL, POLICIES, PUBLIC

__all__ = [
    "COLLECTIONS",
    "COUNCIL",
    "POLICIES",
    "PUBLIC",
    "Chunk",
    "Hit",
    "SearchIndex",
    "SearchQuery",
    "SearchResults",
]


@dataclass(frozen=True)
class Chunk:
    """One searchable passage of one document."""

    id: str  # stable: f"{doc_id}#{n}"
    doc_id: str  # the document (OParl paper id URL, or "file:<path>" for local files)
    collection: str  # COUNCIL or POLICIES
    title: str
    text: str
    access: tuple[str, ...] = (PUBLIC,)
    url: str | None = None  # where a user opens it (ALLRIS web URL, intranet link)
    page: int | None = None  # 1-based page the passage stands on
    heading: str | None = None  # section heading the passage stands under ("§ 4 Datenschutz")
    reference: str | None = None  # paper reference, e.g. "VO/2025/12345" or "2026/0541"
    paper_id: str | None = None  # OParl paper id (URL)
    paper_type: str | None = None  # "Antrag", "Beschlussvorlage", ...
    date: date | None = None
    organizations: tuple[str, ...] = ()  # Gremien / Fraktionen by name
    source_ids: tuple[str, ...] = ()  # ALLRIS own ids ("VOLFDNR=1234"), kept across URL changes
    file_id: str | None = None  # OParl file id the passage came from
    file_name: str | None = None  # human label of the file ("Antrag", "Stellungnahme")
    status: str | None = (
        None  # consultation results, e.g. "Gemeinderat 23.06.2026: einstimmig beschlossen"
    )


@dataclass(frozen=True)
class SearchQuery:
    text: str
    access: frozenset[str] = frozenset({PUBLIC})  # the caller's groups; PUBLIC always included
    collection: str | None = None
    paper_type: str | None = None
    # Any of these types, as indexed ("Antrag", "Haushalt THH 1200", …): a family of types a
    # skill chose from `SearchIndex.paper_types` ("Anträge" means all of them).
    paper_types: tuple[str, ...] = ()
    date_from: date | None = None
    date_to: date | None = None
    organization: str | None = None
    doc_id: str | None = None  # restrict to one document (summaries, "mehr dazu")
    top: int = 10
    offset: int = 0
    # False: keywords only, no vector leg (cheap probes such as leave-one-out word variants).
    semantic: bool = True
    # What a caller does not use need not be computed: facets are an aggregation over every
    # match, and a snippet costs about a millisecond per long passage. A listing grouped by
    # document shows one snippet per document; an answer reads the passages, not snippets.
    facets: bool = True
    snippets: Literal["all", "first_per_document", "none"] = "all"


@dataclass(frozen=True)
class Hit:
    chunk: Chunk
    score: float
    snippet: str  # highlighted with **bold** markers around matched terms


@dataclass(frozen=True)
class SearchResults:
    hits: tuple[Hit, ...]
    total: int  # matches visible to the caller (never counts what the caller may not see)
    facets: dict[str, dict[str, int]] = field(default_factory=dict)


class SearchIndex(Protocol):
    """One interface, an embedded backend (on disk) and Azure AI Search."""

    async def upsert(self, chunks: Sequence[Chunk]) -> None:
        """Add or replace chunks (by chunk id)."""

    async def delete_documents(self, doc_ids: Sequence[str]) -> None:
        """Remove every chunk of these documents."""

    async def search(self, query: SearchQuery) -> SearchResults:
        """Ranked, access-trimmed hits."""

    async def corrected(self, text: str, collection: str | None, access: frozenset[str]) -> str:
        """The text with typos corrected towards the words of the collection's chunks the
        caller (`access`) may read, as `search` corrects its query (indexer/spelling.py); the
        reader reads the question so corrected."""

    async def warm_up(self) -> None:
        """Load what the first search would load lazily (spelling's word tables): the bot
        calls it when it starts, so no user's turn pays for it."""

    async def document_chunks(self, doc_id: str, access: frozenset[str]) -> list[Chunk]:
        """All chunks of one document in reading order, or [] if absent *or not visible*."""

    async def find_reference(self, reference: str, access: frozenset[str]) -> str | None:
        """The doc_id of the paper with this reference (prefix/format tolerant), if visible."""

    async def document_ids(self, collection: str | None = None) -> set[str]:
        """Every indexed doc_id (admin use: incremental runs, deletes). Not access-trimmed."""

    async def paper_types(self, collection: str | None, access: frozenset[str]) -> set[str]:
        """The paper types of the chunks the caller may read, as indexed (for a type family
        filter: `SearchQuery.paper_types`)."""

    async def ping(self) -> None:
        """Raise if the index is not usable (readiness probe)."""

    async def close(self) -> None: ...
