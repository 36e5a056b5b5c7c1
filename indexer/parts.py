"""The indexing pipeline's parts besides the source, each with one method, and their defaults:
the **Parser** turns bytes into passages (extraction, cleaning, passage splitting), the
**Splitter** turns one document's metadata and passages into `Chunk`s, the **Sink** replaces
documents in the search index. The job that runs them: indexer/pipeline.py.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Protocol

from indexer.chunking import Passage, split_passages
from indexer.extract import Unreadable, extract
from indexer.model import PUBLIC, Chunk, SearchIndex
from indexer.source import DocumentMeta, FileRef, SourceDocument
from indexer.submitters import (
    HEADER_CHARS,
    Submitters,
    factions_of_organizations,
    submitters_of,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ParsedFile:
    file: FileRef
    passages: list[Passage]


class Parser(Protocol):
    def parse(self, data: bytes, file: FileRef) -> list[Passage]: ...


class Splitter(Protocol):
    def split(self, doc: SourceDocument, files: Sequence[ParsedFile]) -> list[Chunk]: ...


class Sink(Protocol):
    async def replace(self, documents: dict[str, list[Chunk]], deleted: Sequence[str]) -> None: ...


class TextParser:
    """extract → clean → passages. Raises `Unreadable` for files to skip."""

    def parse(self, data: bytes, file: FileRef) -> list[Passage]:
        extracted = extract(data, mime_type=file.mime_type, name=file.name or str(file.path or ""))
        passages = split_passages(extracted.pages)
        if not passages:
            raise Unreadable("no text after cleaning")
        if extracted.truncated:
            log.warning(
                "%s has %s pages; indexed the first %d",
                file.file_id,
                extracted.page_count,
                len(extracted.pages),
            )
        return passages


class ChunkSplitter:
    """Chunk 0 is the document's overview (if any); then each file's passages in order.
    Every chunk carries the document's metadata, so filters and titles work on all of them.
    A council paper also carries the factions that submitted it (indexer/submitters.py)."""

    def split(self, doc: SourceDocument, files: Sequence[ParsedFile]) -> list[Chunk]:
        m, overview = with_submitters(doc, files)
        base = Chunk(
            id="",
            doc_id=m.doc_id,
            collection=m.collection,
            title=m.title,
            text="",
            access=m.access,
            url=m.url,
            reference=m.reference,
            paper_id=m.paper_id,
            paper_type=m.paper_type,
            date=m.date,
            organizations=m.organizations,
            source_ids=m.source_ids,
            status=m.status,
        )
        chunks: list[Chunk] = []

        def add(passage: Passage, file: FileRef | None) -> None:
            chunks.append(
                replace(
                    base,
                    id=f"{m.doc_id}#{len(chunks)}",
                    text=passage.text,
                    page=passage.page,
                    heading=passage.heading,
                    file_id=file.file_id if file else None,
                    file_name=file.name if file else None,
                    url=(file.url if file and file.url else None) or m.url,
                )
            )

        if overview:
            add(Passage(overview, None, None), None)
        for passage in doc.passages:
            add(passage, None)
        for parsed in files:
            for passage in parsed.passages:
                add(passage, parsed.file)
        return chunks


def with_submitters(
    doc: SourceDocument, files: Sequence[ParsedFile]
) -> tuple[DocumentMeta, str | None]:
    """A paper's metadata with its submitting factions among the organizations (so the
    organization filter finds "Anträge der Grünen"), and its overview with "Eingereicht von"."""
    m = doc.meta
    if not m.paper_id:
        return m, doc.overview
    heads = [(f.file.name, "\n".join(p.text for p in f.passages[:4])[:HEADER_CHARS]) for f in files]
    found = submitters_of(heads)
    factions = tuple(dict.fromkeys([*factions_of_organizations(m.organizations), *found.factions]))
    who = Submitters(factions, found.persons)
    organizations = tuple(dict.fromkeys([*m.organizations, *factions]))
    line = who.line() if found.factions or found.persons else None
    overview = "\n".join(x for x in (doc.overview, line) if x) or None
    return replace(m, organizations=organizations), overview


class IndexSink:
    """Replace documents in a SearchIndex: delete their old chunks, then upsert the new."""

    def __init__(self, index: SearchIndex) -> None:
        self.index = index

    async def replace(self, documents: dict[str, list[Chunk]], deleted: Sequence[str]) -> None:
        # A backend that replaces documents itself (Azure: keeps the vectors of unchanged
        # passages, writes before it deletes) is left to do so.
        replace_documents = getattr(self.index, "replace_documents", None)
        if replace_documents is not None:
            await replace_documents(documents, deleted)
            return
        gone = [*documents, *deleted]
        if gone:
            await self.index.delete_documents(gone)
        chunks = [c for cs in documents.values() for c in cs]
        if chunks:
            await self.index.upsert(chunks)

    async def existing(self, doc_id: str, access: tuple[str, ...]) -> list[Chunk]:
        return await self.index.document_chunks(doc_id, frozenset(access) | {PUBLIC})
