"""The embedding step of an index run: bring the vector store up to date with the index.

Runs after the keyword index is written (so keyword search is ready as early as before), in
batches of `EMBED_BATCH` passages, each committed at once: a run that is stopped continues where
it stopped, and a passage is embedded again only when its text or the encoder changed (the
store keys vectors by text hash and encoder name). An index built before vectors existed
catches up from the chunk text it stores — nothing is downloaded again.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from indexer.encoders import Encoder
from indexer.model import Chunk
from indexer.passage_choice import embedding_text
from indexer.vectors import VectorStore

EMBED_BATCH = 32  # passages per encoder call and per commit of the vector store
_SYNC_BATCH = 1000  # chunks read back from the index at a time when the store catches up


class StoredChunks(Protocol):
    """What the embedding step reads from the index."""

    def stored_chunk_ids(self) -> list[str]: ...

    def chunks_by_id(self, chunk_ids: Sequence[str]) -> dict[str, Chunk]: ...

    def count_chunks(self) -> int: ...


@dataclass
class EmbedReport:
    """What one embedding step did (`kiw index` prints it)."""

    encoder: str | None = None  # None: no vector leg, only the store was brought up to date
    recorded: int = 0  # chunks the store learnt from the index itself (an older index)
    embedded: int = 0  # passages embedded now
    pruned: int = 0  # vectors no chunk needs any more
    vectors: int = 0  # vectors under the current encoder afterwards
    seconds: float = 0.0


def _doc_of(chunk_id: str) -> str:
    return chunk_id.rpartition("#")[0]


def sync_store(index: StoredChunks, store: VectorStore, *, full: bool) -> int:
    """Record chunks the store does not know (an index built before vectors, a run killed
    between the index commit and the store's) and forget rows of chunks the index no longer
    has. Cheap when the counts agree, unless `full`. Returns how many chunks were recorded."""
    if not full and store.chunk_count() == index.count_chunks():
        return 0
    in_index = index.stored_chunk_ids()
    known = store.chunk_ids()
    missing = [i for i in in_index if i not in known]
    recorded = 0
    # Whole documents per batch (ids are "doc#n", so a document's ids sort together): the
    # choice of a council file's first passages sees all of them.
    start = 0
    while start < len(missing):
        end = min(start + _SYNC_BATCH, len(missing))
        while end < len(missing) and _doc_of(missing[end]) == _doc_of(missing[end - 1]):
            end += 1
        chunks = list(index.chunks_by_id(missing[start:end]).values())
        store.record(chunks)
        recorded += len(chunks)
        start = end
    stale = known.difference(in_index)
    if stale:
        store.forget_chunks(sorted(stale))
    return recorded


def embed_pending(
    index: StoredChunks,
    store: VectorStore,
    encoder: Encoder | None,
    progress: Callable[[int, int], None] | None = None,
    full_sync: bool = False,
    batch_size: int = EMBED_BATCH,
    stopped: Callable[[], bool] = lambda: False,
) -> EmbedReport:
    """Embed every chosen chunk without a vector under `encoder` (see module docstring).
    `stopped` is asked before each batch: true ends the step early (what is done stays)."""
    started = time.monotonic()
    report = EmbedReport(recorded=sync_store(index, store, full=full_sync))
    if encoder is None:
        return report
    report.encoder = encoder.name
    total = store.pending_count()
    if progress is not None and total:
        progress(0, total)
    while not stopped():
        todo = store.pending(batch_size)
        if not todo:
            break
        chunks = index.chunks_by_id([chunk_id for _, chunk_id in todo])
        gone = [chunk_id for _, chunk_id in todo if chunk_id not in chunks]
        if gone:  # deleted from the index since it was recorded
            store.forget_chunks(gone)
        work = [(h, chunks[chunk_id]) for h, chunk_id in todo if chunk_id in chunks]
        vectors = encoder.embed_passages([embedding_text(c) for _, c in work])
        store.add_vectors([(h, v) for (h, _), v in zip(work, vectors, strict=True)])
        report.embedded += len(work)
        if progress is not None:
            progress(report.embedded, total)
    report.pruned = store.prune()
    report.vectors = store.vector_count()
    report.seconds = time.monotonic() - started
    return report
