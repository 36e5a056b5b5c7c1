"""What a source hands the indexing pipeline (indexer/pipeline.py): batches of documents, each
with its metadata, its own text and the files to fetch, and the source's way to load a file.

The sources: `OParlSource` (indexer/oparl/crawler.py) and `FilesSource` (indexer/files.py).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Protocol

from indexer.chunking import Passage
from indexer.model import PUBLIC


@dataclass(frozen=True)
class FileRef:
    """One file of a document, before it is fetched."""

    file_id: str  # OParl File id, or the document id for a local file
    name: str | None  # human label ("Antrag", "Stellungnahme")
    fingerprint: str  # changes when the file changes (modified stamp, content hash)
    urls: tuple[str, ...] = ()  # where to fetch it, best first (downloadUrl, accessUrl)
    mime_type: str | None = None  # as declared; the bytes decide in the end
    url: str | None = None  # where a user opens it
    path: Path | None = None  # a local file


@dataclass(frozen=True)
class DocumentMeta:
    """What every chunk of a document carries besides its own text."""

    doc_id: str
    collection: str
    title: str
    access: tuple[str, ...] = (PUBLIC,)
    url: str | None = None
    reference: str | None = None
    paper_id: str | None = None
    paper_type: str | None = None
    date: date | None = None
    organizations: tuple[str, ...] = ()
    source_ids: tuple[str, ...] = ()
    status: str | None = None


@dataclass
class SourceDocument:
    meta: DocumentMeta
    overview: str | None = None  # a metadata passage (a paper's facts, a meeting's agenda)
    passages: list[Passage] = field(default_factory=list)  # text the source already has
    files: list[FileRef] = field(default_factory=list)


@dataclass(frozen=True)
class Skip:
    item: str  # what was skipped (file id, path, object id)
    reason: str


@dataclass
class SourceBatch:
    documents: list[SourceDocument] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)  # doc ids gone at the source
    skipped: list[Skip] = field(default_factory=list)
    fetched: int = 0  # objects read from the source for this batch
    commit: Callable[[], None] = lambda: None  # persist the source's progress


class Source(Protocol):
    def batches(self) -> AsyncIterator[SourceBatch]: ...

    async def load(self, file: FileRef) -> bytes: ...
