"""The words of the indexed documents, per collection: what spelling correction
(indexer/spelling.py) corrects towards.

On disk (`<index folder>/words.sqlite`, beside the embedded index's files; for Azure AI Search
in the data folder of the process that runs `kiw index`, from the same chunks it uploads):

- `chunk_words`: per chunk its collection, document and distinct word forms (folded, letters
  only, four letters or more — the words spelling may correct towards);
- `counts`: per collection and word, how many chunks use it — kept up to date as chunks are
  written, replaced and deleted (a chunk's old words are subtracted before its new ones count).

Cheap beside the index: ~150 distinct words per chunk. The search side reads one collection's
counts once (and again after another process's commit, within `RELOAD_SECONDS`).
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Protocol

from indexer.analysis import words
from indexer.model import COLLECTIONS, Chunk
from indexer.spelling import Spelling

STORE_FILE = "words.sqlite"
RELOAD_SECONDS = 10.0
_SYNC_BATCH = 1000  # chunks read back from the index at a time when the store catches up
_ALL = ""  # the key of every collection together (a search without a collection filter)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS chunk_words (
    chunk_id TEXT PRIMARY KEY,
    doc_id TEXT NOT NULL,
    collection TEXT NOT NULL,
    words TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS chunk_words_doc ON chunk_words (doc_id);
CREATE TABLE IF NOT EXISTS counts (
    collection TEXT NOT NULL,
    word TEXT NOT NULL,
    n INTEGER NOT NULL,
    PRIMARY KEY (collection, word)
) WITHOUT ROWID;
"""


def chunk_word_forms(chunk: Chunk) -> set[str]:
    """The distinct word forms of a chunk: folded, letters only, at least four letters (the
    embedded index's `word_terms`, which its typo fallback matches)."""
    text = "\n".join(
        p for p in (chunk.title, chunk.heading or "", chunk.text, chunk.file_name or "") if p
    )
    return {w for w in words(text) if len(w) >= 4 and w.isalpha()}


class StoredChunks(Protocol):
    """What the store reads back from an index built before it (indexer/embedding.py's)."""

    def stored_chunk_ids(self) -> list[str]: ...

    def chunks_by_id(self, chunk_ids: Sequence[str]) -> dict[str, Chunk]: ...

    def count_chunks(self) -> int: ...


def sync_words(index: StoredChunks, store: CorpusWords) -> int:
    """Record the words of chunks the store does not know (an index built before the store)
    and forget chunks the index no longer has. Cheap when the counts agree. Returns how many
    chunks were recorded."""
    if store.chunk_count() == index.count_chunks():
        return 0
    in_index = index.stored_chunk_ids()
    known = store.chunk_ids()
    missing = [i for i in in_index if i not in known]
    for start in range(0, len(missing), _SYNC_BATCH):
        store.record(list(index.chunks_by_id(missing[start : start + _SYNC_BATCH]).values()))
    stale = known.difference(in_index)
    if stale:
        store.forget_chunks(sorted(stale))
    return len(missing)


class CorpusWords:
    """The store (see module docstring). Thread-safe; one instance per folder and process."""

    def __init__(self, folder: Path) -> None:
        self._path = Path(folder) / STORE_FILE
        self._conn: sqlite3.Connection | None = None
        self._lock = threading.Lock()
        self._spelling: dict[str, Spelling] = {}
        self._seen_version: int | None = None
        self._checked_at = 0.0

    def _db(self) -> sqlite3.Connection:
        if self._conn is None:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self._path, check_same_thread=False, timeout=30)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.executescript(_SCHEMA)
            self._conn = conn
        return self._conn

    # ---- writing (the index writer's side)

    def record(self, chunks: Sequence[Chunk]) -> None:
        """The chunks' words, replacing what earlier versions of the same chunks had."""
        if not chunks:
            return
        unique = {c.id: c for c in chunks}
        with self._lock:
            db = self._db()
            with db:
                change = self._old_words(db, "chunk_id", list(unique))
                rows = []
                for c in unique.values():
                    forms = sorted(chunk_word_forms(c))
                    rows.append((c.id, c.doc_id, c.collection, " ".join(forms)))
                    change.update((c.collection, w) for w in forms)
                db.executemany("INSERT OR REPLACE INTO chunk_words VALUES (?,?,?,?)", rows)
                self._apply(db, change)
            self._spelling.clear()

    def delete_documents(self, doc_ids: Sequence[str]) -> None:
        """Forget every chunk of these documents and the counts of their words."""
        if not doc_ids:
            return
        with self._lock:
            db = self._db()
            with db:
                change = self._old_words(db, "doc_id", list(doc_ids))
                db.executemany("DELETE FROM chunk_words WHERE doc_id = ?", [(d,) for d in doc_ids])
                self._apply(db, change)
            self._spelling.clear()

    def forget_chunks(self, chunk_ids: Sequence[str]) -> None:
        """Forget chunks that are no longer in the index, and the counts of their words."""
        with self._lock:
            db = self._db()
            with db:
                change = self._old_words(db, "chunk_id", list(chunk_ids))
                db.executemany(
                    "DELETE FROM chunk_words WHERE chunk_id = ?", [(i,) for i in chunk_ids]
                )
                self._apply(db, change)
            self._spelling.clear()

    def chunk_ids(self) -> set[str]:
        with self._lock:
            return {r[0] for r in self._db().execute("SELECT chunk_id FROM chunk_words")}

    def chunk_count(self) -> int:
        with self._lock:
            return int(self._db().execute("SELECT count(*) FROM chunk_words").fetchone()[0])

    @staticmethod
    def _old_words(
        db: sqlite3.Connection, column: str, keys: list[str]
    ) -> Counter[tuple[str, str]]:
        """Minus one per (collection, word) of the stored chunks with these keys."""
        change: Counter[tuple[str, str]] = Counter()
        for i in range(0, len(keys), 500):
            part = keys[i : i + 500]
            marks = ",".join("?" * len(part))
            for collection, text in db.execute(
                f"SELECT collection, words FROM chunk_words WHERE {column} IN ({marks})",
                part,
            ):
                for w in text.split():
                    change[(collection, w)] -= 1
        return change

    @staticmethod
    def _apply(db: sqlite3.Connection, change: Counter[tuple[str, str]]) -> None:
        rows = [(c, w, n) for (c, w), n in change.items() if n]
        db.executemany(
            "INSERT INTO counts VALUES (?,?,?) "
            "ON CONFLICT (collection, word) DO UPDATE SET n = n + excluded.n",
            rows,
        )
        db.execute("DELETE FROM counts WHERE n <= 0")

    # ---- reading (the search side)

    def spelling(self, collection: str | None) -> Spelling:
        """The corrector for one collection (None: every collection together)."""
        key = collection or _ALL
        with self._lock:
            now = time.monotonic()
            if now - self._checked_at >= RELOAD_SECONDS:
                self._checked_at = now
                version = int(self._db().execute("PRAGMA data_version").fetchone()[0])
                if version != self._seen_version:
                    self._seen_version = version
                    self._spelling.clear()
            found = self._spelling.get(key)
            if found is None:
                others = [c for c in COLLECTIONS if c != key] if key != _ALL else []
                found = Spelling(self._counts(key), lambda word: self._used_in(others, word))
                self._spelling[key] = found
            return found

    def _used_in(self, collections: list[str], word: str) -> bool:
        if not collections:
            return False
        marks = ",".join("?" * len(collections))
        with self._lock:
            row = (
                self._db()
                .execute(
                    f"SELECT 1 FROM counts WHERE collection IN ({marks}) AND word = ? LIMIT 1",
                    [*collections, word],
                )
                .fetchone()
            )
        return row is not None

    def _counts(self, key: str) -> dict[str, int]:
        db = self._db()
        rows: Iterable[tuple[str, int]]
        if key == _ALL:
            rows = db.execute("SELECT word, sum(n) FROM counts GROUP BY word")
        else:
            rows = db.execute("SELECT word, n FROM counts WHERE collection = ?", (key,))
        return {w: int(n) for w, n in rows}

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
            self._spelling.clear()
