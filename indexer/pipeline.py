"""The indexing pipeline: source → parser → splitter → sink, run by one job with a checkpoint.

Each part has one method and can be swapped on its own:
- a **Source** yields batches of documents (one OParl list page, or a handful of local files)
  and loads a file's bytes on request;
- the **Parser** turns bytes into passages (extraction, cleaning, passage splitting);
- the **Splitter** turns one document's metadata and passages into `Chunk`s;
- the **Sink** replaces documents in the search index.

What a source yields: indexer/source.py; the other parts and their defaults: indexer/parts.py;
where parsing runs (a thread, or worker processes): indexer/workers.py; the run's report:
indexer/summary.py. This module is the job.

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
import time
from collections.abc import Callable, Sequence
from typing import Protocol, runtime_checkable

from indexer.checkpoint import Checkpoint
from indexer.chunking import Passage
from indexer.embedding import EmbedReport
from indexer.extract import Unreadable
from indexer.model import Chunk
from indexer.parts import ChunkSplitter, IndexSink, ParsedFile, Parser, Splitter, TextParser
from indexer.progress import Progress
from indexer.source import FileRef, Skip, Source, SourceBatch, SourceDocument
from indexer.summary import Summary
from indexer.workers import ParserCrashed, ParserPool

log = logging.getLogger(__name__)


@runtime_checkable
class EmbedsPassages(Protocol):
    """An index that computes passage vectors after the documents are written."""

    async def embed_pending(
        self, *, progress: Callable[[int, int], None] | None = None, full_sync: bool = False
    ) -> EmbedReport: ...


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
            # Nothing is parsed any more: the parser workers' memory is freed before the long
            # embedding step starts its own workers (peak RSS of the run, docs/search.md).
            self._parsing.close()
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
