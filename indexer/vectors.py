"""The vector store beside the tantivy index: passage vectors on disk, a float32 matrix in memory.

On disk (`<index folder>/vectors.sqlite`, WAL):
- `chunks`: one row per indexed chunk — its id, document, the fields the search filters on
  (collection, access groups, paper type, organisations, date), the hash of the text that is
  embedded for it, and whether it is chosen for embedding at all (`chosen_for_embedding`);
- `vectors`: one vector per (text hash, encoder name). Keyed by hash, not by chunk: a document
  that is replaced (delete, then upsert) gets its unchanged passages' vectors back, identical
  texts are embedded once, and a new encoder name simply finds nothing and embeds again.

In memory (`VectorMatrix`): the vectors of the chosen chunks under the current encoder, one
float32 row each (36,000 × 384 × 4 bytes ≈ 55 MB for the whole Karlsruhe corpus), with the filter
fields as small arrays. It is rebuilt when the store changes: at once after this process
wrote, at most every `RELOAD_SECONDS` after another process (a `kiw index` run) committed.

Security trimming happens before ranking: `VectorMatrix.nearest` ranks only the rows whose
access groups meet the caller's and that pass the query's filters; a non-public chunk cannot
displace a visible one, let alone be returned. The index confirms every candidate once more
against the tantivy document (current access and filters) before it becomes a hit.

(A little over 400 lines: `_convert_vectors_table` for stores of the old layout goes once no
such store is left.)
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import numpy.typing as npt

from indexer.analysis import fold_key, stems
from indexer.model import PUBLIC, Chunk, SearchQuery
from indexer.passage_choice import (
    COUNCIL_PASSAGES_PER_FILE,
    chosen_for_embedding,
    embedding_text,
    text_hash,
)

STORE_FILE = "vectors.sqlite"
RELOAD_SECONDS = 10.0  # another process's commits show up within this
_NO_DAY = np.iinfo(np.int32).min
_EPOCH = date(1970, 1, 1)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS chunks (
    chunk_id TEXT PRIMARY KEY,
    doc_id TEXT NOT NULL,
    collection TEXT NOT NULL,
    access TEXT NOT NULL,
    type_key TEXT,
    organizations TEXT NOT NULL,
    day INTEGER,
    text_hash TEXT NOT NULL,
    chosen_for_embedding INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS chunks_by_doc ON chunks(doc_id);
CREATE INDEX IF NOT EXISTS chunks_by_hash ON chunks(text_hash);
CREATE TABLE IF NOT EXISTS vectors (
    text_hash TEXT NOT NULL,
    encoder TEXT NOT NULL,
    vector BLOB NOT NULL,
    UNIQUE (text_hash, encoder)
);
"""
# A rowid table, not WITHOUT ROWID: a WITHOUT ROWID row holds ~1,000 bytes inline, so every
# 1,536-byte vector took an overflow page of its own (Karlsruhe: 74.6 MB for 24.5 MB of
# vectors). Stores written before are converted when opened (`_convert_vectors_table`).
_OLD_VECTORS = "WITHOUT ROWID"


def _day(d: date | None) -> int | None:
    return (d - _EPOCH).days if d else None


# ---------------------------------------------------------------- in memory


@dataclass(frozen=True)
class Candidate:
    chunk_id: str
    similarity: float  # cosine (vectors are normalised)


class VectorMatrix:
    """The vectors of one moment, with the filter fields beside them (row-aligned)."""

    def __init__(self, rows: list[tuple[str, str, str, str, str | None, str, int | None, bytes]]):
        self.size = len(rows)
        self.ids = [r[0] for r in rows]
        self.row_of = {chunk_id: i for i, chunk_id in enumerate(self.ids)}
        dim = len(rows[0][7]) // 4 if rows else 0
        self.vectors: npt.NDArray[np.float32] = np.frombuffer(
            b"".join(r[7] for r in rows), dtype=np.float32
        ).reshape(self.size, dim)
        self.doc_rows: dict[str, list[int]] = {}
        self._by_collection: dict[str, list[int]] = {}
        self._by_group: dict[str, list[int]] = {}
        self._by_type: dict[str, list[int]] = {}
        self._by_orgs: dict[str, list[int]] = {}
        days = np.full(self.size, _NO_DAY, dtype=np.int64)
        for i, (_, doc_id, collection, access, type_key, orgs, day, _) in enumerate(rows):
            self.doc_rows.setdefault(doc_id, []).append(i)
            self._by_collection.setdefault(collection, []).append(i)
            for group in access.split("\n"):
                if group:  # no groups: visible to nobody (fail closed)
                    self._by_group.setdefault(group, []).append(i)
            if type_key:
                self._by_type.setdefault(type_key, []).append(i)
            self._by_orgs.setdefault(orgs, []).append(i)
            if day is not None:
                days[i] = day
        self._days = days

    def _rows(self, groups: dict[str, list[int]], keys: Iterable[str]) -> npt.NDArray[np.bool_]:
        mask = np.zeros(self.size, dtype=bool)
        for key in keys:
            rows = groups.get(key)
            if rows:
                mask[rows] = True
        return mask

    def allowed(self, q: SearchQuery) -> npt.NDArray[np.intp]:
        """Rows the caller may read that pass the query's filters (the same filters as the
        tantivy query: access, collection, document, paper type or types, organisation, dates)."""
        mask = self._rows(self._by_group, {PUBLIC, *q.access})
        if q.collection:
            mask &= self._rows(self._by_collection, [q.collection])
        if q.doc_id:
            mask &= self._rows(self.doc_rows, [q.doc_id])
        if q.paper_type:
            mask &= self._rows(self._by_type, [fold_key(q.paper_type)])
        if q.paper_types:
            mask &= self._rows(self._by_type, {fold_key(t) for t in q.paper_types})
        if q.organization:
            mask &= self._rows(self._by_orgs, _matching_orgs(q.organization, self._by_orgs))
        if q.date_from or q.date_to:
            lo = (q.date_from - _EPOCH).days if q.date_from else _NO_DAY + 1
            hi = (q.date_to - _EPOCH).days if q.date_to else int(np.iinfo(np.int32).max)
            mask &= (self._days >= lo) & (self._days <= hi)
        return np.flatnonzero(mask)

    def similarities(
        self, query: npt.NDArray[np.float32], rows: npt.NDArray[np.intp]
    ) -> npt.NDArray[np.float32]:
        """Cosine of `query` with each of `rows`; only those rows are scored."""
        if len(rows) == self.size:
            return self.vectors @ query
        return self.vectors[rows] @ query

    def nearest(self, query: npt.NDArray[np.float32], q: SearchQuery, depth: int) -> Nearest:
        """The `depth` nearest allowed rows, best first (see `Nearest`)."""
        rows = self.allowed(q)
        full = np.full(self.size, -np.inf, dtype=np.float32)
        if not len(rows) or depth <= 0:
            return Nearest([], full, self)
        scores = self.similarities(query, rows)
        full[rows] = scores
        k = min(depth, len(rows))
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top], kind="stable")]
        return Nearest([Candidate(self.ids[rows[i]], float(scores[i])) for i in top], full, self)


class Nearest:
    """The vector leg's answer to one query: the nearest allowed chunks, and the similarity
    of any other allowed chunk or document on request (rows the caller may not read are -inf)."""

    def __init__(
        self, candidates: list[Candidate], scores: npt.NDArray[np.float32], matrix: VectorMatrix
    ) -> None:
        self.candidates = candidates
        self._scores = scores
        self._matrix = matrix

    def similarity(self, chunk_id: str) -> float | None:
        """This chunk's similarity, or None when it has no vector or is not allowed."""
        row = self._matrix.row_of.get(chunk_id)
        if row is None or not np.isfinite(self._scores[row]):
            return None
        return float(self._scores[row])

    def document_similarity(self, doc_id: str) -> float | None:
        """The best similarity among the document's allowed chunks (a stand-in for passages
        that were not chosen for embedding)."""
        rows = self._matrix.doc_rows.get(doc_id)
        if not rows:
            return None
        best = float(self._scores[rows].max())
        return best if np.isfinite(best) else None


def _orgs_key(organizations: Sequence[str]) -> str:
    return json.dumps(list(organizations), ensure_ascii=False)


def _matching_orgs(wanted: str, by_orgs: dict[str, list[int]]) -> list[str]:
    """Organisation sets that the tantivy filter would accept: the exact (folded) name, or
    every word of it among the organisations' words ("Grüne" → "Fraktion Bündnis 90/Die Grünen")."""
    exact = fold_key(wanted)
    words = set(stems(wanted))
    out = []
    for key in by_orgs:
        organizations = json.loads(key)
        if any(fold_key(o) == exact for o in organizations) or (
            words and words <= set(stems(" ".join(organizations)))
        ):
            out.append(key)
    return out


# ---------------------------------------------------------------- on disk


class VectorStore:
    """The SQLite side (see module docstring). Thread-safe; one instance per index folder and
    process. Writes commit at once, so an interrupted embedding run keeps every finished batch."""

    def __init__(
        self,
        folder: Path,
        encoder_name: str | None,
        passages_per_file: int | None = COUNCIL_PASSAGES_PER_FILE,
    ) -> None:
        self._path = Path(folder) / STORE_FILE
        self.encoder_name = encoder_name
        self._passages_per_file = passages_per_file  # the choice (indexer/passage_choice.py)
        self._conn: sqlite3.Connection | None = None
        self._lock = threading.Lock()
        self._matrix: VectorMatrix | None = None
        self._seen_version: int | None = None
        self._checked_at = 0.0

    def _db(self) -> sqlite3.Connection:
        if self._conn is None:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self._path, check_same_thread=False, timeout=30)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.executescript(_SCHEMA)
            _convert_vectors_table(conn)
            self._conn = conn
        return self._conn

    # ---- writing (the index writer's side)

    def record(self, chunks: Sequence[Chunk]) -> None:
        """Rows for these chunks (whole documents), replacing earlier rows of the same ids."""
        chosen = chosen_for_embedding(chunks, self._passages_per_file)
        rows = [
            (
                c.id,
                c.doc_id,
                c.collection,
                "\n".join(c.access),
                fold_key(c.paper_type) if c.paper_type else None,
                _orgs_key(c.organizations),
                _day(c.date),
                text_hash(embedding_text(c)),
                int(c.id in chosen),
            )
            for c in chunks
        ]
        with self._lock:
            db = self._db()
            with db:
                db.executemany("INSERT OR REPLACE INTO chunks VALUES (?,?,?,?,?,?,?,?,?)", rows)
            self._matrix = None

    def delete_documents(self, doc_ids: Sequence[str]) -> None:
        """Forget these documents' chunks; their vectors stay until `prune` (a replaced
        document gets them back)."""
        with self._lock:
            db = self._db()
            with db:
                db.executemany("DELETE FROM chunks WHERE doc_id = ?", [(d,) for d in doc_ids])
            self._matrix = None

    def forget_chunks(self, chunk_ids: Sequence[str]) -> None:
        """Drop rows of chunks that are no longer in the index."""
        with self._lock:
            db = self._db()
            with db:
                db.executemany("DELETE FROM chunks WHERE chunk_id = ?", [(i,) for i in chunk_ids])
            self._matrix = None

    def chunk_ids(self) -> set[str]:
        with self._lock:
            return {r[0] for r in self._db().execute("SELECT chunk_id FROM chunks")}

    def chunk_count(self) -> int:
        with self._lock:
            return int(self._db().execute("SELECT count(*) FROM chunks").fetchone()[0])

    def pending(self, limit: int) -> list[tuple[str, str]]:
        """Up to `limit` (text hash, chunk id) pairs chosen for embedding that have no vector
        under the current encoder; one chunk per distinct text."""
        with self._lock:
            return [
                (r[0], r[1])
                for r in self._db().execute(
                    "SELECT c.text_hash, min(c.chunk_id) FROM chunks c "
                    "WHERE c.chosen_for_embedding = 1 AND NOT EXISTS (SELECT 1 FROM vectors v "
                    "WHERE v.text_hash = c.text_hash AND v.encoder = ?) "
                    "GROUP BY c.text_hash LIMIT ?",
                    (self.encoder_name, limit),
                )
            ]

    def pending_count(self) -> int:
        with self._lock:
            row = (
                self._db()
                .execute(
                    "SELECT count(DISTINCT c.text_hash) FROM chunks c "
                    "WHERE c.chosen_for_embedding = 1 AND NOT EXISTS (SELECT 1 FROM vectors v "
                    "WHERE v.text_hash = c.text_hash AND v.encoder = ?)",
                    (self.encoder_name,),
                )
                .fetchone()
            )
        return int(row[0])

    def add_vectors(self, vectors: Sequence[tuple[str, Sequence[float]]]) -> None:
        """Store (text hash, vector) pairs under the current encoder; one commit."""
        rows = [
            (h, self.encoder_name, np.asarray(v, dtype=np.float32).tobytes()) for h, v in vectors
        ]
        with self._lock:
            db = self._db()
            with db:
                db.executemany("INSERT OR REPLACE INTO vectors VALUES (?,?,?)", rows)
            self._matrix = None

    def prune(self) -> int:
        """Drop vectors no chosen chunk needs any more (deleted documents, another encoder)."""
        with self._lock:
            db = self._db()
            with db:
                cursor = db.execute(
                    "DELETE FROM vectors WHERE encoder != ? OR text_hash NOT IN "
                    "(SELECT text_hash FROM chunks WHERE chosen_for_embedding = 1)",
                    (self.encoder_name,),
                )
            self._matrix = None
            return int(cursor.rowcount)

    def vector_count(self) -> int:
        with self._lock:
            row = (
                self._db()
                .execute("SELECT count(*) FROM vectors WHERE encoder = ?", (self.encoder_name,))
                .fetchone()
            )
        return int(row[0])

    # ---- reading (the search side)

    def matrix(self) -> VectorMatrix:
        """The current vectors; rebuilt after own writes at once, after other processes'
        commits within `RELOAD_SECONDS`."""
        with self._lock:
            now = time.monotonic()
            if self._matrix is not None and now - self._checked_at < RELOAD_SECONDS:
                return self._matrix
            self._checked_at = now
            db = self._db()
            version = int(db.execute("PRAGMA data_version").fetchone()[0])
            if self._matrix is None or version != self._seen_version:
                rows = db.execute(
                    "SELECT c.chunk_id, c.doc_id, c.collection, c.access, c.type_key, "
                    "c.organizations, c.day, v.vector FROM chunks c JOIN vectors v "
                    "ON v.text_hash = c.text_hash AND v.encoder = ? "
                    "WHERE c.chosen_for_embedding = 1 ORDER BY c.chunk_id",
                    (self.encoder_name,),
                ).fetchall()
                self._matrix = VectorMatrix(rows)
                self._seen_version = version
            return self._matrix

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
            self._matrix = None


def _convert_vectors_table(conn: sqlite3.Connection) -> None:
    """Copy a `vectors` table of the old layout into the current one (once; seconds for
    16,000 vectors). Another process opening the store meanwhile waits for the lock and then
    finds the table converted. The freed pages are reused by later writes."""
    if not _has_old_vectors(conn):
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        if _has_old_vectors(conn):
            conn.execute("ALTER TABLE vectors RENAME TO vectors_old")
            conn.execute(
                "CREATE TABLE vectors (text_hash TEXT NOT NULL, encoder TEXT NOT NULL, "
                "vector BLOB NOT NULL, UNIQUE (text_hash, encoder))"
            )
            conn.execute("INSERT INTO vectors SELECT text_hash, encoder, vector FROM vectors_old")
            conn.execute("DROP TABLE vectors_old")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def _has_old_vectors(conn: sqlite3.Connection) -> bool:
    row = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'vectors'").fetchone()
    return bool(row) and _OLD_VECTORS in str(row[0]).upper()
