"""Embedded search backend: a tantivy index on disk with German analysis done in Python.

Why tantivy (measured, see docs/search.md): BM25 with block-max pruning keeps queries around a
millisecond on the whole Karlsruhe corpus, filters and aggregations run in the engine, and
readers keep working while another process writes.

The parts: what one indexed chunk looks like, indexer/embedded_schema.py; writing,
indexer/embedded_writer.py; one search, indexer/embedded_search.py, with the clauses of
indexer/embedded_query.py. A query (indexer.analysis parses it; no query syntax) first needs
all its words, then lets unknown words match with one edit, then any word (plus the known
parts of an unknown compound); see docs/search.md. This module opens the index, reloads it
after commits and answers the lookups by document and reference.

Security trimming is a mandatory clause of every query (`access` ∩ caller's groups), so hits,
totals, facets and snippets are all computed from visible chunks only.

Semantic retrieval (with an `Encoder`): a vector store beside the tantivy files
(indexer/vectors.py) holds passage vectors; `search` fuses the keyword leg with the vector leg
(indexer/fusion.py). Writing records which chunks need a vector; `embed_pending` computes them
afterwards, batch by batch, so keyword search is ready before the vectors are.

Concurrency: tantivy allows one writer per index directory (a lock file). The writer is
opened lazily on the first write and kept until `close()` (which also re-splits compounds of
chunks written with a much smaller vocabulary); readers in other processes notice commits by
the change of `meta.json` and reload.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np
import numpy.typing as npt
import tantivy

from indexer.compounds import Decompounder
from indexer.corpus_words import CorpusWords, sync_words
from indexer.embedded_query import QueryClauses
from indexer.embedded_schema import (
    SCHEMA_VERSION,
    SOURCE_PREFIX,
    TERMS,
    build_schema,
    chunk_from_json,
    seq_of,
    terms_analyzer,
)
from indexer.embedded_search import chunk_at, search
from indexer.embedded_writer import WRITER_HEAP, WriterSession
from indexer.embedding import EMBED_BATCH, EmbedReport, embed_pending
from indexer.encoders import Encoder
from indexer.fusion import Fusion
from indexer.model import Chunk, SearchQuery, SearchResults
from indexer.passage_choice import COUNCIL_PASSAGES_PER_FILE
from indexer.queries import ParsedQuery, parse_query
from indexer.vectors import Nearest, VectorStore
from kiw_common.references import allris_source_ids, reference_key

log = logging.getLogger(__name__)

_MARKER = "kiw-index.json"
_REBUILD_HINT = (
    "Delete that folder and the crawler checkpoint beside it (DATA_DIR/index-state), then run "
    "`kiw index …` again to rebuild it."
)
_MAX_DOC_CHUNKS = 100_000
_QUERY_VECTORS_KEPT = 512  # the same question asked again (or by another skill) is not re-embedded


class IndexVersionError(RuntimeError):
    """The index on disk was built with a different schema."""


class EmbeddedIndex:
    """The on-disk default index (see module docstring). Safe to share within one process."""

    def __init__(
        self,
        path: Path,
        *,
        writer_heap_bytes: int = WRITER_HEAP,
        encoder: Encoder | None = None,
        fusion: Fusion | None = None,
        passages_per_file: int | None = COUNCIL_PASSAGES_PER_FILE,
    ) -> None:
        """`encoder`: turns the vector leg on (None: keywords only, as in most tests).
        `passages_per_file`: how many passages of each council file get a vector (None: all;
        indexer/passage_choice.py)."""
        self._path = Path(path)
        self._encoder = encoder
        self._fusion = fusion or Fusion()
        self._vectors = VectorStore(
            self._path, encoder.name if encoder else None, passages_per_file
        )
        self._query_vectors: OrderedDict[str, npt.NDArray[np.float32]] = OrderedDict()
        self._query_lock = threading.Lock()
        self._writer_heap = writer_heap_bytes
        self._schema = build_schema()
        self._index: tantivy.Index | None = None
        self._writer: WriterSession | None = None
        self._write_lock = asyncio.Lock()
        self._meta_mtime: tuple[int, int, int] | None = None
        self._clauses = QueryClauses(self._schema, Decompounder(self._known_in_index))
        # The documents' words per collection, for spelling correction (indexer/spelling.py).
        self._words = CorpusWords(self._path)

    @property
    def path(self) -> Path:
        return self._path

    # ---- opening, reloading

    def _open(self) -> tantivy.Index:
        if self._index is not None:
            return self._index
        self._path.mkdir(parents=True, exist_ok=True)
        marker = self._path / _MARKER
        if marker.exists():
            version = json.loads(marker.read_text()).get("schema_version")
            if version != SCHEMA_VERSION:
                raise IndexVersionError(
                    f"The search index at {self._path} was built with schema version {version}, "
                    f"this program needs version {SCHEMA_VERSION}. {_REBUILD_HINT}"
                )
        try:
            index = tantivy.Index(self._schema, path=str(self._path), reuse=True)
        except ValueError as exc:
            raise IndexVersionError(
                f"The search index at {self._path} cannot be opened ({exc}). {_REBUILD_HINT}"
            ) from exc
        if not marker.exists():
            marker.write_text(json.dumps({"schema_version": SCHEMA_VERSION}))
        index.register_tokenizer(TERMS, terms_analyzer())
        self._index = index
        self._meta_mtime = self._read_meta_mtime()
        return index

    def _read_meta_mtime(self) -> tuple[int, int, int] | None:
        """What changes when any process commits: tantivy replaces meta.json atomically (new
        inode), so this also catches two commits within one timestamp tick."""
        try:
            st = os.stat(self._path / "meta.json")
        except FileNotFoundError:
            return None
        return (st.st_mtime_ns, st.st_ino, st.st_size)

    def _searcher(self) -> tantivy.Searcher:
        """A searcher that sees the latest commit, from this process or another one."""
        index = self._open()
        mtime = self._read_meta_mtime()
        if mtime != self._meta_mtime:
            self._meta_mtime = mtime
            index.reload()
            self._clauses.parts.clear()  # the vocabulary changed
        return index.searcher()

    def _known_in_index(self, stem: str) -> bool:
        searcher = self._open().searcher()
        # Query side: a part that occurs at all can match; the writer side asks for two
        # occurrences so that one-off typos in documents do not become vocabulary.
        return searcher.doc_freq("body_terms", stem) + searcher.doc_freq("title_terms", stem) >= 1

    # ---- writing (indexer/embedded_writer.py)

    def _writer_session(self) -> WriterSession:
        if self._writer is None:
            index = self._open()
            self._writer = WriterSession(
                index, self._schema, self._path, self._writer_heap, self._searcher
            )
        return self._writer

    def _upsert_sync(self, chunks: Sequence[Chunk]) -> None:
        unique = list({c.id: c for c in chunks}.values())
        self._writer_session().upsert(unique)
        self._words.record(unique)
        # After the commit: a crash in between leaves chunks without rows, which the next
        # `embed_pending` finds (counts differ) and records from the stored chunks.
        self._vectors.record(unique)

    def _delete_sync(self, doc_ids: Sequence[str]) -> None:
        self._writer_session().delete(doc_ids)
        self._words.delete_documents(doc_ids)
        self._vectors.delete_documents(doc_ids)

    async def upsert(self, chunks: Sequence[Chunk]) -> None:
        if not chunks:
            return
        async with self._write_lock:
            await asyncio.to_thread(self._upsert_sync, list(chunks))

    async def delete_documents(self, doc_ids: Sequence[str]) -> None:
        if not doc_ids:
            return
        async with self._write_lock:
            await asyncio.to_thread(self._delete_sync, list(doc_ids))

    # ---- querying (indexer/embedded_search.py, clauses in indexer/embedded_query.py)

    def _search_sync(self, q: SearchQuery) -> SearchResults:
        # A word no document of the collection uses is taken for a typo of the closest one
        # that does ("Barrierfreiheit" -> "Barrierefreiheit"; indexer/spelling.py).
        q = replace(q, text=self._words.spelling(q.collection, q.access).corrected(q.text))
        parsed = parse_query(q.text)
        if parsed.empty or q.top <= 0:
            return SearchResults(hits=(), total=0, facets={})
        searcher = self._searcher()
        return search(searcher, self._clauses, q, parsed, self._nearest(q, parsed), self._fusion)

    async def search(self, query: SearchQuery) -> SearchResults:
        return await asyncio.to_thread(self._search_sync, query)

    async def corrected(self, text: str, collection: str | None, access: frozenset[str]) -> str:
        """The text with words no document of the collection uses replaced by the closest
        ones that are used by chunks `access` may read (indexer/spelling.py); what a search
        does to its query text."""
        spelling = self._words.spelling
        return await asyncio.to_thread(lambda: spelling(collection, access).corrected(text))

    async def warm_up(self) -> None:
        await asyncio.to_thread(self._words.warm)

    # ---- the vector leg

    def _nearest(self, q: SearchQuery, parsed: ParsedQuery) -> Nearest | None:
        """The vector leg's candidates, or None when it does not take part: no encoder, a
        keyword-only query, a query naming a paper by reference (the user named it), or no
        vectors yet (then the model is not even loaded)."""
        if self._encoder is None or not q.semantic or parsed.references:
            return None
        matrix = self._vectors.matrix()
        if not matrix.size:
            return None
        return matrix.nearest(self._query_vector(q.text), q, self._fusion.depth)

    def _query_vector(self, text: str) -> npt.NDArray[np.float32]:
        assert self._encoder is not None
        with self._query_lock:
            cached = self._query_vectors.get(text)
            if cached is not None:
                self._query_vectors.move_to_end(text)
                return cached
        vector = np.asarray(self._encoder.embed_query(text), dtype=np.float32)
        with self._query_lock:
            self._query_vectors[text] = vector
            while len(self._query_vectors) > _QUERY_VECTORS_KEPT:
                self._query_vectors.popitem(last=False)
        return vector

    # ---- embedding (the index run's second step: indexer/embedding.py)

    def chunks_by_id(self, chunk_ids: Sequence[str]) -> dict[str, Chunk]:
        """Stored chunks by id, not access-trimmed (admin side: embedding)."""
        searcher = self._searcher()
        query = self._clauses.any_of("id", list(chunk_ids))
        result = searcher.search(query, limit=max(1, len(chunk_ids)), count=False)
        chunks = [chunk_at(searcher, address) for _, address in result.hits]
        return {c.id: c for c in chunks}

    def stored_chunk_ids(self) -> list[str]:
        """Every chunk id in the index, sorted (may include ids deleted since the last merge)."""
        return sorted(t for t, _ in self._searcher().terms_with_prefix("id", ""))

    async def embed_pending(
        self,
        *,
        progress: Callable[[int, int], None] | None = None,
        full_sync: bool = False,
        batch_size: int = EMBED_BATCH,
    ) -> EmbedReport:
        """Embed every chosen chunk that has no vector under the current encoder, committing
        each batch: an interrupted run continues where it stopped. `progress(done, total)`
        after each batch. Without an encoder this only brings the store up to date.
        Cancelled (Ctrl-C on `kiw index`), the step ends after the batch it is computing —
        a thread cannot be stopped from outside, and the process would wait for all of it.
        The keyword side is finished first (compound splits of early chunks, as `close` does):
        a run stopped during this long step leaves the keyword index complete."""
        await self._refresh_early_chunks()
        stop = threading.Event()
        # An index built before the word store gets its words from the chunks it stores.
        await asyncio.to_thread(sync_words, self, self._words)
        try:
            return await asyncio.to_thread(
                embed_pending,
                self,
                self._vectors,
                self._encoder,
                progress,
                full_sync,
                batch_size,
                stop.is_set,
            )
        except asyncio.CancelledError:
            stop.set()
            raise

    # ---- documents and references

    def _visible(self, query: tantivy.Query, access: frozenset[str]) -> tantivy.Query:
        return tantivy.Query.boolean_query(
            [
                (tantivy.Occur.Must, query),
                (tantivy.Occur.Must, self._clauses.access_filter(access)),
            ]
        )

    def _document_chunks_sync(self, doc_id: str, access: frozenset[str]) -> list[Chunk]:
        searcher = self._searcher()
        query = self._visible(self._clauses.raw_term("doc_id", doc_id), access)
        result = searcher.search(query, limit=_MAX_DOC_CHUNKS, count=False)
        chunks = [chunk_at(searcher, addr) for _, addr in result.hits]
        return sorted(chunks, key=lambda c: (seq_of(c.id), c.id))

    async def document_chunks(self, doc_id: str, access: frozenset[str]) -> list[Chunk]:
        return await asyncio.to_thread(self._document_chunks_sync, doc_id, access)

    def _find_reference_sync(self, reference: str, access: frozenset[str]) -> str | None:
        raw_term = self._clauses.raw_term
        for source_id in allris_source_ids(reference):
            query = self._visible(raw_term("ref", SOURCE_PREFIX + source_id), access)
            result = self._searcher().search(query, limit=1, count=False)
            for _, addr in result.hits:
                return str(json.loads(self._searcher().doc(addr)["payload"][0])["doc_id"])
        key = reference_key(reference)
        if key is None:
            return None
        searcher = self._searcher()
        match = tantivy.Query.boolean_query(
            [
                (tantivy.Occur.Should, raw_term("ref", key.full)),
                (tantivy.Occur.Should, raw_term("ref", key.core)),
            ]
        )
        result = searcher.search(self._visible(match, access), limit=50, count=False)
        best: tuple[int, str] | None = None
        for _, addr in result.hits:
            chunk = chunk_from_json(json.loads(searcher.doc(addr)["payload"][0]))
            found = reference_key(chunk.reference or "")
            if found is None:
                continue
            # Exact spelling first ("DHH/2026/12" typed), then the paper without a prefix.
            rank = 0 if found.full == key.full else (1 if not found.prefix else 2)
            if best is None or rank < best[0]:
                best = (rank, chunk.doc_id)
        return best[1] if best else None

    async def find_reference(self, reference: str, access: frozenset[str]) -> str | None:
        return await asyncio.to_thread(self._find_reference_sync, reference, access)

    def _document_ids_sync(self, collection: str | None) -> set[str]:
        searcher = self._searcher()
        query = (
            self._clauses.raw_term("collection", collection)
            if collection
            else tantivy.Query.all_query()
        )
        return {term for term, _ in searcher.terms_with_prefix("doc_id", "", filter_query=query)}

    async def document_ids(self, collection: str | None = None) -> set[str]:
        return await asyncio.to_thread(self._document_ids_sync, collection)

    def _paper_types_sync(self, collection: str | None, access: frozenset[str]) -> set[str]:
        filters = [self._clauses.access_filter(access)]
        if collection:
            filters.append(self._clauses.raw_term("collection", collection))
        query = tantivy.Query.boolean_query([(tantivy.Occur.Must, f) for f in filters])
        terms = self._searcher().terms_with_prefix("type", "", filter_query=query)
        return {term for term, count in terms if count > 0}

    async def paper_types(self, collection: str | None, access: frozenset[str]) -> set[str]:
        return await asyncio.to_thread(self._paper_types_sync, collection, access)

    def count_chunks(self) -> int:
        """Number of live chunks (bench and admin use)."""
        return int(self._searcher().num_docs)

    async def ping(self) -> None:
        await asyncio.to_thread(lambda: self._searcher().num_docs)

    async def _refresh_early_chunks(self) -> None:
        async with self._write_lock:
            if self._writer is not None:
                await self._refresh(self._writer)

    @staticmethod
    async def _refresh(writer: WriterSession) -> None:
        try:
            await asyncio.to_thread(writer.refresh_early)
        except (ValueError, OSError) as exc:  # the data is indexed; only splits lag
            log.warning("could not refresh compound splits: %s", exc)

    async def close(self) -> None:
        async with self._write_lock:
            writer, self._writer = self._writer, None
            if writer is not None:
                await self._refresh(writer)
                await asyncio.to_thread(writer.wait_merging_threads)
            self._vectors.close()
            self._words.close()
