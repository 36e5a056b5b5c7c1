"""Writing the embedded index: one writer session per process, from the first write to close().

Tantivy allows one writer per index directory (a lock file): a second one, in this process or
another, gets `IndexBusyError` while searching keeps working. The session keeps the index's
vocabulary (stem -> chunks containing it) to split compounds in the chunks it writes; the first
batches of a crawl into an empty index see a tiny vocabulary, so at the end of the session the
chunks written while it was under half its final size are analysed once more.
"""

from __future__ import annotations

import json
import logging
import tempfile
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO

import tantivy

from indexer.compounds import Decompounder
from indexer.embedded_schema import analyse, chunk_from_json, to_document
from indexer.model import Chunk

log = logging.getLogger(__name__)

WRITER_HEAP = 64_000_000
_REFRESH_RATIO = 0.5  # re-split chunks written while the vocabulary was under half its size


class IndexBusyError(RuntimeError):
    """Another process (or another writer in this one) holds the index's write lock."""


class WriterSession:
    """The index's one writer and the vocabulary it splits compounds with."""

    def __init__(
        self,
        index: tantivy.Index,
        schema: tantivy.Schema,
        path: Path,
        heap_bytes: int,
        committed: Callable[[], tantivy.Searcher],
    ) -> None:
        """Takes the write lock (IndexBusyError when another writer holds it). `committed` is
        called after each commit and returns a searcher that sees it."""
        try:
            self._writer = index.writer(heap_size=heap_bytes, num_threads=1)
        except ValueError as exc:
            if "LockBusy" in str(exc):
                raise IndexBusyError(
                    f"The search index at {path} is being written by another process "
                    "(probably a `kiw index` run that is still going). Only one writer at a "
                    "time is possible; searching keeps working meanwhile. Wait for the other "
                    "run to finish, then try again."
                ) from exc
            raise
        self._schema = schema
        self._committed = committed
        searcher = index.searcher()
        vocab: Counter[str] = Counter()
        for field in ("body_terms", "title_terms"):
            for term, freq in searcher.terms_with_prefix(field, ""):
                vocab[term] += freq
        self._vocab = vocab
        # Sized for a whole council corpus (Karlsruhe: 136,000 distinct words of 8+ letters).
        self._doc_parts = Decompounder(lambda s: vocab.get(s, 0) >= 2, cache_size=300_000)
        # One line per chunk written in this session: [vocabulary size, chunk id]. On disk,
        # not in a list: it grows with the corpus (30,000 papers: 360,000 chunk ids).
        self._written: IO[str] | None = None

    def upsert(self, chunks: Sequence[Chunk]) -> None:
        """Replace the chunks (unique ids) and commit."""
        analysed = [analyse(c) for c in chunks]
        # The batch's own words count as vocabulary before its compounds are split.
        for a in analysed:
            self._vocab.update(set(a.title) | set(a.body))
        if self._written is None:
            # Open for the whole session; closed by refresh_early() at the end.
            self._written = tempfile.TemporaryFile("w+", encoding="utf-8")  # noqa: SIM115
        size = len(self._vocab)
        self._written.writelines(json.dumps([size, a.chunk.id]) + "\n" for a in analysed)
        for a in analysed:
            self._writer.delete_documents_by_term("id", a.chunk.id)
            self._writer.add_document(to_document(a, self._doc_parts))
        self._writer.commit()
        self._committed()  # this process sees its own commit at once

    def delete(self, doc_ids: Sequence[str]) -> None:
        """Remove every chunk of these documents and commit."""
        for doc_id in doc_ids:
            self._writer.delete_documents_by_term("doc_id", doc_id)
        self._writer.commit()
        self._committed()

    def refresh_early(self) -> int:
        """Split compounds again in chunks written while the vocabulary was much smaller."""
        written, self._written = self._written, None
        if written is None:
            return 0
        final = len(self._vocab)
        stale: list[str] = []
        with written:
            written.seek(0)
            for line in written:
                size, chunk_id = json.loads(line)
                if size >= _REFRESH_RATIO * final:
                    break  # sizes only grow: every later chunk saw a big enough vocabulary
                stale.append(chunk_id)
        if not stale:
            return 0
        self._doc_parts.clear()  # forget "no split" answers given with the small vocabulary
        searcher = self._committed()
        count = 0
        for chunk_id in stale:
            query = tantivy.Query.term_query(self._schema, "id", chunk_id)
            for _, address in searcher.search(query, 1, count=False).hits:
                chunk = chunk_from_json(json.loads(searcher.doc(address)["payload"][0]))
                self._writer.delete_documents_by_term("id", chunk.id)
                self._writer.add_document(to_document(analyse(chunk), self._doc_parts))
                count += 1
        self._writer.commit()
        self._committed()
        log.info("compound splits refreshed for %d early chunks", count)
        return count

    def wait_merging_threads(self) -> None:
        """Ends the session: the writer's background merges finish, the lock is released."""
        self._writer.wait_merging_threads()
