"""The indexing pipeline: source → parser → splitter → sink, run by one job with a checkpoint.

Each part has one method and can be swapped on its own:
- a **Source** yields batches of documents (one OParl list page, or a handful of local files)
  and loads a file's bytes on request;
- the **Parser** turns bytes into passages (extraction, cleaning, passage splitting);
- the **Splitter** turns one document's metadata and passages into `Chunk`s;
- the **Sink** replaces documents in the search index.

The job commits batch by batch: the sink writes, *then* the source's checkpoint is saved. A
run killed in between repeats at most one batch, and since every write replaces whole
documents by id, a repeat neither duplicates nor loses anything.

When the source is done, an index that keeps passage vectors (the embedded one with an
encoder) embeds what is new or changed: a second step, so keyword search over everything is
ready as early as without vectors (indexer/embedding.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import re
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from indexer.checkpoint import Checkpoint
from indexer.chunking import Passage, split_passages
from indexer.embedding import EmbedReport
from indexer.extract import Unreadable, extract
from indexer.model import PUBLIC, Chunk, SearchIndex
from indexer.progress import Progress
from indexer.submitters import (
    HEADER_CHARS,
    Submitters,
    factions_of_organizations,
    submitters_of,
)
from indexer.workers import parser_processes

log = logging.getLogger(__name__)

MAX_SKIPS_LISTED = 50
# A run keeps the first skips and failures as items and counts the rest by reason: a large
# corpus skips tens of thousands of scanned pages, and a list of them all grows with it.
MAX_ITEMS_KEPT = 1000
_URL = re.compile(r"\s*(?:from\s+)?https?://\S+")


# ---------------------------------------------------------------- what flows through


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


@dataclass(frozen=True)
class ParsedFile:
    file: FileRef
    passages: list[Passage]


# ---------------------------------------------------------------- the parts


class Source(Protocol):
    def batches(self) -> AsyncIterator[SourceBatch]: ...

    async def load(self, file: FileRef) -> bytes: ...


class Parser(Protocol):
    def parse(self, data: bytes, file: FileRef) -> list[Passage]: ...


class Splitter(Protocol):
    def split(self, doc: SourceDocument, files: Sequence[ParsedFile]) -> list[Chunk]: ...


class Sink(Protocol):
    async def replace(self, documents: dict[str, list[Chunk]], deleted: Sequence[str]) -> None: ...


@runtime_checkable
class EmbedsPassages(Protocol):
    """An index that computes passage vectors after the documents are written."""

    async def embed_pending(
        self, *, progress: Callable[[int, int], None] | None = None, full_sync: bool = False
    ) -> EmbedReport: ...


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


# ---------------------------------------------------------------- parsing off the main process


class ParserCrashed(Exception):
    """The parser process died on a file (segfault, out of memory)."""


class ParserPool:
    """Where parsing runs: a worker thread (workers=0), or worker processes.

    Processes buy two things: extraction and cleaning run in parallel with the index writer
    (both hold the GIL in threads), and a PDF that crashes pdfium kills a worker, not the run.
    The pool is rebuilt after a crash; its processes end with this one (indexer/workers.py).
    """

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self._pool: ProcessPoolExecutor | None = None
        self._solo_lock = asyncio.Lock()

    def _executor(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = parser_processes(self.workers)
        return self._pool

    async def run(self, parser: Parser, data: bytes, file: FileRef) -> list[Passage]:
        if self.workers <= 0:
            return await asyncio.to_thread(parser.parse, data, file)
        loop = asyncio.get_running_loop()
        pool = self._executor()
        try:
            return await loop.run_in_executor(pool, parser.parse, data, file)
        except BrokenProcessPool:
            if self._pool is pool:  # the first caller to notice rebuilds it
                pool.shutdown(wait=False, cancel_futures=True)
                self._pool = None
        # Every file in flight saw the crash; only one caused it. Each gets a second try
        # alone in a fresh process, so an innocent file is not blamed.
        async with self._solo_lock:
            with parser_processes(1) as solo:
                try:
                    return await loop.run_in_executor(solo, parser.parse, data, file)
                except BrokenProcessPool as exc:
                    raise ParserCrashed("parser process crashed on this file") from exc

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


# ---------------------------------------------------------------- the job


@dataclass
class Summary:
    fetched: int = 0  # objects read from the source
    changed: int = 0  # documents new or changed since the last run, (re)written
    unchanged: int = 0  # documents the source found unchanged and left alone
    deleted: int = 0
    chunks: int = 0
    files: int = 0  # files downloaded/read and parsed
    files_reused: int = 0  # unchanged files whose passages came from the index
    bytes: int = 0
    skipped: list[Skip] = field(default_factory=list)  # the first MAX_ITEMS_KEPT
    skip_count: int = 0
    elapsed_seconds: float = 0.0
    complete: bool = True
    message: str | None = None
    # Plain one-line reasons for what failed and will be tried again (a list page, a
    # document, a file download, a refused mass delete). Any failure: non-zero exit code.
    failures: list[str] = field(default_factory=list)  # the first MAX_ITEMS_KEPT
    failure_count: int = 0
    embedded: int = 0  # passages embedded in this run (semantic retrieval)
    vectors: int | None = None  # passage vectors in the index afterwards; None: no vector leg
    embed_seconds: float = 0.0
    _reasons: Counter[str] = field(default_factory=Counter, repr=False)

    def add_skip(self, skip: Skip) -> None:
        self.skip_count += 1
        self._reasons[_reason_key(skip.reason)] += 1
        if len(self.skipped) < MAX_ITEMS_KEPT:
            self.skipped.append(skip)

    def add_failure(self, reason: str, *, first: bool = False) -> None:
        self.failure_count += 1
        if first:  # the source's own failures (lists, deletes) lead the report
            self.failures.insert(0, reason)
            del self.failures[MAX_ITEMS_KEPT:]
        elif len(self.failures) < MAX_ITEMS_KEPT:
            self.failures.append(reason)

    def failure_line(self) -> str | None:
        """One line for the admin: the first failure and how many more there are."""
        if not self.failure_count:
            return None
        more = self.failure_count - 1
        return self.failures[0] + (f" (and {more} more failure(s))" if more else "")

    def skip_reasons(self) -> dict[str, int]:
        return dict(self._reasons.most_common())

    def as_dict(self) -> dict[str, Any]:
        return {
            "fetched": self.fetched,
            "changed": self.changed,
            "unchanged": self.unchanged,
            "deleted": self.deleted,
            "chunks": self.chunks,
            "files": self.files,
            "files_reused": self.files_reused,
            "bytes": self.bytes,
            "skipped": self.skip_count,
            "skip_reasons": self.skip_reasons(),
            "skipped_items": [
                {"item": s.item, "reason": s.reason} for s in self.skipped[:MAX_SKIPS_LISTED]
            ],
            "elapsed_seconds": round(self.elapsed_seconds, 3),
            "complete": self.complete,
            "message": self.message,
            "failures": self.failures[:MAX_SKIPS_LISTED],
            "failure_count": self.failure_count,
            "embedded": self.embedded,
            "vectors": self.vectors,
            "embed_seconds": round(self.embed_seconds, 3),
        }


def _reason_key(reason: str) -> str:
    """Group reasons without their variable parts ("HTTP 404 from <url>" → "HTTP 404")."""
    return _URL.sub("", reason).split(" (")[0].strip()


def text_hash(passages: Sequence[Passage]) -> str:
    normalised = " ".join(" ".join(p.text.split()) for p in passages)
    return hashlib.sha256(normalised.encode("utf-8")).hexdigest()[:32]


class IndexJob:
    """Runs one source through parser, splitter and sink, batch by batch.

    The checkpoint's `files` section remembers each file's fingerprint and text hash, so an
    unchanged file of a changed document is not downloaded again (its passages are read back
    from the index), and identical texts attached to several documents are indexed once.
    """

    def __init__(
        self,
        source: Source,
        sink: IndexSink,
        checkpoint: Checkpoint,
        *,
        parser: Parser | None = None,
        splitter: Splitter | None = None,
        progress: Progress | None = None,
        concurrency: int = 4,
        dedupe: bool = True,
        parse_workers: int = 0,
        embed: bool = True,
    ) -> None:
        """`embed`: run the embedding step after the documents (when the index has one)."""
        self.source = source
        self.sink = sink
        self.checkpoint = checkpoint
        self.parser = parser or TextParser()
        self.splitter = splitter or ChunkSplitter()
        self.progress = progress or Progress(enabled=False)
        self.summary = Summary()
        # file id → {fp, h | dup_of | skip}; text hash → file id. One entry per file of the
        # corpus: kept on disk (SQLite), not in memory.
        self._files = checkpoint.table("files")
        self._hashes = checkpoint.table("hashes")
        # doc id → reason: documents with a file that failed for a passing reason (network,
        # HTTP 5xx); a source may offer them again on its next run.
        self._retry: dict[str, str] = checkpoint.section("retry")
        self._slots = asyncio.Semaphore(concurrency)
        self._dedupe = dedupe
        self._parsing = ParserPool(parse_workers)
        self._embed = embed

    async def run(self) -> Summary:
        """Batches flow through two overlapping stages: while batch N is written to the index,
        batch N+1 is fetched and parsed. Writes (and checkpoint saves) stay strictly in order."""
        started = time.monotonic()
        writing: asyncio.Task[None] | None = None
        try:
            async for batch in self.source.batches():
                documents = await self._prepare(batch)
                if writing is not None:
                    await writing
                writing = asyncio.create_task(self._write(batch, documents))
            if writing is not None:
                await writing
            await self._embed_passages()
        finally:
            if writing is not None and not writing.done():
                writing.cancel()
                with contextlib.suppress(BaseException):
                    await writing
            self._parsing.close()
            self.summary.elapsed_seconds = time.monotonic() - started
            self.progress.close()
        return self.summary

    async def _embed_passages(self) -> None:
        index = self.sink.index
        if not self._embed or not isinstance(index, EmbedsPassages):
            return
        s = self.summary
        try:
            report = await index.embed_pending(progress=self.progress.vectors)
        except Exception as exc:  # the encoder failed: finished batches stay, the next run goes on
            log.exception("embedding step failed")
            s.add_failure(f"vectors not finished ({type(exc).__name__}); the next run continues")
            return
        s.embedded, s.embed_seconds = report.embedded, report.seconds
        s.vectors = report.vectors if report.encoder else None

    async def _prepare(self, batch: SourceBatch) -> dict[str, list[Chunk]]:
        s = self.summary
        s.fetched += batch.fetched
        for skip in batch.skipped:
            s.add_skip(skip)
            log.info("skipped %s: %s", skip.item, skip.reason)
        results = await asyncio.gather(*(self._document_chunks(d) for d in batch.documents))
        return {d.meta.doc_id: chunks for d, chunks in zip(batch.documents, results, strict=True)}

    async def _write(self, batch: SourceBatch, documents: dict[str, list[Chunk]]) -> None:
        await self.sink.replace(documents, batch.deleted)
        batch.commit()
        self.checkpoint.save()
        s = self.summary
        s.changed += len(documents)
        s.chunks += sum(len(c) for c in documents.values())
        s.deleted += len(batch.deleted)
        self.progress.items(batch.fetched)

    async def _document_chunks(self, doc: SourceDocument) -> list[Chunk]:
        self._retry.pop(doc.meta.doc_id, None)  # set again below if a file fails again
        reusable: dict[str, list[Passage]] = {}
        if any(self._unchanged(f) for f in doc.files):
            for chunk in await self.sink.existing(doc.meta.doc_id, doc.meta.access):
                if chunk.file_id:
                    reusable.setdefault(chunk.file_id, []).append(
                        Passage(chunk.text, chunk.page, chunk.heading)
                    )
        parsed = await asyncio.gather(*(self._parse_file(doc, f, reusable) for f in doc.files))
        return self.splitter.split(doc, [p for p in parsed if p is not None])

    def _unchanged(self, file: FileRef) -> bool:
        memo = self._files.get(file.file_id)
        return isinstance(memo, dict) and memo.get("fp") == file.fingerprint

    async def _parse_file(
        self, doc: SourceDocument, file: FileRef, reusable: dict[str, list[Passage]]
    ) -> ParsedFile | None:
        memo = self._files.get(file.file_id)
        if memo and memo.get("fp") == file.fingerprint:
            if memo.get("dup_of") or memo.get("skip"):
                return None  # known duplicate or known unreadable: nothing new to learn
            kept = reusable.get(file.file_id)
            # Reuse only what is provably complete: a run killed half-way through a write
            # can leave part of a document in the index.
            if kept and text_hash(kept) == memo.get("h"):
                self.summary.files_reused += 1
                return ParsedFile(file, kept)
        async with self._slots:
            try:
                data = await self.source.load(file)
            except Exception as exc:  # network, HTTP, file system: skip the file, keep going
                reason = str(exc) or type(exc).__name__
                self._skip(file, reason, remember=False)
                self._retry[doc.meta.doc_id] = reason
                self.summary.add_failure(
                    f"file {file.file_id} of {doc.meta.doc_id} failed ({reason}); "
                    "fetched again on the next run"
                )
                return None
            self.summary.files += 1
            self.summary.bytes += len(data)
            self.progress.file(len(data))
            try:
                passages = await self._parsing.run(self.parser, data, file)
            except ParserCrashed as exc:
                # The file killed its parser process (a pdfium crash on hostile input):
                # remembered, so the next run does not feed it to a parser again.
                self._skip(file, str(exc), remember=True)
                return None
            except Unreadable as exc:
                self._skip(file, exc.reason, remember=True)
                return None
            except Exception as exc:  # a parser bug must not stop the run either
                log.exception("parser failed on %s", file.file_id)
                self._skip(file, f"parser error ({type(exc).__name__})", remember=False)
                self.summary.add_failure(
                    f"parser error ({type(exc).__name__}) on file {file.file_id}"
                )
                return None
        digest = text_hash(passages)
        owner = self._hashes.get(digest)
        if self._dedupe and owner and owner != file.file_id and owner in self._files:
            self._files[file.file_id] = {"fp": file.fingerprint, "h": digest, "dup_of": owner}
            self.summary.add_skip(Skip(file.file_id, f"duplicate text of {owner}"))
            return None
        self._hashes[digest] = file.file_id
        self._files[file.file_id] = {"fp": file.fingerprint, "h": digest}
        return ParsedFile(file, passages)

    def _skip(self, file: FileRef, reason: str, *, remember: bool) -> None:
        label = file.file_id if not file.name else f"{file.file_id} ({file.name})"
        log.info("skipped %s: %s", label, reason)
        self.summary.add_skip(Skip(file.file_id, reason))
        if remember:  # the same bytes will fail the same way: do not fetch them again
            self._files[file.file_id] = {"fp": file.fingerprint, "skip": reason}
