"""The words of the indexed documents, per collection: what spelling correction
(indexer/spelling.py) corrects towards.

On disk (`<index folder>/words.sqlite`, beside the embedded index's files; for Azure AI Search
in the data folder of the process that runs `kiw index`, from the same chunks it uploads):

- `chunk_words`: per chunk its document, visibility keys and distinct word forms (folded,
  letters only, four letters or more — the words spelling may correct towards);
- `counts`: per visibility key and word, how many chunks use it — kept up to date as chunks
  are written, replaced and deleted (a chunk's old words are subtracted before its new ones);
- `keys`: every visibility key that ever had words; `meta`: the schema version.

Visibility keys: a word is part of its document, and a correction shows it to the asker, so
the words are counted by who may read them. A chunk whose `access` holds PUBLIC counts under
its collection ("council"); a non-public one under one key per group ("council@fraktion-x").
`spelling(collection, access)` corrects towards the words of the collection's key and of the
caller's groups' keys only. Whether a word is used *anywhere* is still asked of every key: such
a word is never corrected (leaving a word as typed shows nothing).

A store written before the keys (no `meta` version) is cleared when opened: the embedded
index records its chunks again from the index (`sync_words`), the Azure backend as documents
are written again (docs/search.md).

Over 400 lines on purpose: the store's writing, reading, caching and background refresh share
one lock and one connection; split, each part would reach into the others' state.

Cheap beside the index: ~150 distinct words per chunk. The search side reads one key's counts
once (and again after another process's commit, within `RELOAD_SECONDS`).
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol

from indexer.analysis import words
from indexer.model import COLLECTIONS, PUBLIC, Chunk
from indexer.spelling import Spelling

log = logging.getLogger(__name__)

STORE_FILE = "words.sqlite"
RELOAD_SECONDS = 10.0
_SYNC_BATCH = 1000  # chunks read back from the index at a time when the store catches up
_MAX_SPELLINGS = 16  # correctors kept per process (one per collection and group set)
SCHEMA_VERSION = 2  # 2: counts by visibility key (1, unversioned: by collection)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS chunk_words (
    chunk_id TEXT PRIMARY KEY,
    doc_id TEXT NOT NULL,
    keys TEXT NOT NULL,
    words TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS chunk_words_doc ON chunk_words (doc_id);
CREATE TABLE IF NOT EXISTS counts (
    key TEXT NOT NULL,
    word TEXT NOT NULL,
    n INTEGER NOT NULL,
    PRIMARY KEY (key, word)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS keys (key TEXT PRIMARY KEY);
"""


def visibility_keys(chunk: Chunk) -> list[str]:
    """Under which keys a chunk's words count: its collection when the public may read it,
    else one key per group that may ("council@fraktion-x"); none for a chunk nobody may read."""
    if PUBLIC in chunk.access:
        return [chunk.collection]
    return sorted({group_key(chunk.collection, g) for g in chunk.access})


GROUP_MARK = "@"  # a visibility key with it counts a group's words, without it the public ones


def group_key(collection: str, group: str) -> str:
    return f"{collection}{GROUP_MARK}{group}"


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
        self._by_key: dict[str, dict[str, int]] = {}
        self._wanted: dict[str, list[str]] = {}  # per corrector in use, its keys
        self._seen_version: int | None = None
        self._checked_at = 0.0
        self._stale_version = 0  # bumped on each commit of another process seen
        self._written = 0  # bumped on each write of this process (which drops the caches)
        self._refresher: threading.Thread | None = None

    def _db(self) -> sqlite3.Connection:
        if self._conn is None:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self._path, check_same_thread=False, timeout=30)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            _migrate(conn)
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
                    keys = visibility_keys(c)
                    rows.append((c.id, c.doc_id, json.dumps(keys), " ".join(forms)))
                    change.update((k, w) for k in keys for w in forms)
                db.executemany("INSERT OR REPLACE INTO chunk_words VALUES (?,?,?,?)", rows)
                self._apply(db, change)
            self._forget()

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
            self._forget()

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
            self._forget()

    def _forget(self) -> None:
        """This process wrote (the caller holds the lock): the next use loads the counts."""
        self._written += 1
        self._spelling.clear()
        self._by_key.clear()
        self._wanted.clear()

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
        """Minus one per (visibility key, word) of the stored chunks with these ids."""
        change: Counter[tuple[str, str]] = Counter()
        for i in range(0, len(keys), 500):
            part = keys[i : i + 500]
            marks = ",".join("?" * len(part))
            for stored_keys, text in db.execute(
                f"SELECT keys, words FROM chunk_words WHERE {column} IN ({marks})",
                part,
            ):
                for key in json.loads(stored_keys):
                    for w in text.split():
                        change[(key, w)] -= 1
        return change

    @staticmethod
    def _apply(db: sqlite3.Connection, change: Counter[tuple[str, str]]) -> None:
        rows = [(k, w, n) for (k, w), n in change.items() if n]
        db.executemany(
            "INSERT INTO counts VALUES (?,?,?) "
            "ON CONFLICT (key, word) DO UPDATE SET n = n + excluded.n",
            rows,
        )
        db.execute("DELETE FROM counts WHERE n <= 0")
        added = {k for k, _, n in rows if n > 0}
        db.executemany("INSERT OR IGNORE INTO keys VALUES (?)", [(k,) for k in sorted(added)])

    # ---- reading (the search side)

    def spelling(
        self, collection: str | None, access: frozenset[str] = frozenset({PUBLIC})
    ) -> Spelling:
        """The corrector for one collection (None: every collection together) and a caller's
        groups: it corrects towards the words of chunks these groups may read, nothing else.

        After another process's commit the correctors in use are rebuilt in a background
        thread and swapped in; until then a turn gets the ones it had (seconds older)."""
        collections = [collection] if collection else list(COLLECTIONS)
        groups = sorted(set(access) - {PUBLIC})
        with self._lock:
            now = time.monotonic()
            if now - self._checked_at >= RELOAD_SECONDS:
                self._checked_at = now
                version = int(self._db().execute("PRAGMA data_version").fetchone()[0])
                if version != self._seen_version:
                    self._seen_version = version
                    self._stale()
            # The caller's keys that have words: a group without words of its own reads the
            # public corrector (one per collection set, not one per group combination).
            keys = list(collections) + [
                k for c in collections for g in groups if self._key_counts(k := group_key(c, g))
            ]
            cache_key = "\n".join([collection or "", *keys])
            found = self._spelling.get(cache_key)
            if found is None:
                if len(self._spelling) >= _MAX_SPELLINGS:
                    self._evict_one()
                found = Spelling(self._merged(keys, self._key_counts), self._used_anywhere)
                self._spelling[cache_key] = found
                self._wanted[cache_key] = keys
            return found

    def _evict_one(self) -> None:
        """Make room (the caller holds the lock): the oldest corrector of a group set goes;
        the public ones, which every turn reads, stay (dropping them made the next public
        turn rebuild ~0.7 s of tables on the council corpus)."""
        victim = next(
            (k for k, keys in self._wanted.items() if any(GROUP_MARK in x for x in keys)),
            next(iter(self._spelling)),
        )
        self._spelling.pop(victim, None)
        self._wanted.pop(victim, None)

    def warm(self, collections: Sequence[str] = COLLECTIONS) -> None:
        """Load the public correctors of these collections and build their tables now (the bot
        calls it when it starts: otherwise the first question pays 0.4-1.5 s on the council
        corpus)."""
        for collection in collections:
            self.spelling(collection).prepare()

    def wait_for_refresh(self, timeout: float | None = None) -> None:
        """Until a background rebuild (after another process's commit) is done (tests, bench)."""
        with self._lock:
            worker = self._refresher
        if worker is not None:
            worker.join(timeout)

    def _stale(self) -> None:
        """Another process committed (the caller holds the lock): rebuild what is in use in
        the background and keep serving it meanwhile; with nothing in use, just forget."""
        self._stale_version += 1
        if not self._spelling:
            self._by_key.clear()
            return
        if self._refresher is None:
            self._refresher = threading.Thread(
                target=self._refresh, name="corpus-words-refresh", daemon=True
            )
            self._refresher.start()

    def _refresh(self) -> None:
        while True:
            with self._lock:
                stale, written = self._stale_version, self._written
                wanted = dict(self._wanted)
            try:
                fresh, by_key = self._rebuild(wanted)
            except Exception:  # a locked or closed store: the turns load lazily again
                log.exception("corpus words: rebuilding the correctors failed")
                fresh, by_key = None, {}
            with self._lock:
                if fresh is None or self._written != written or self._conn is None:
                    # Failed, or this process wrote meanwhile (the caches were dropped) or
                    # closed the store: the next turn loads what it needs itself.
                    self._refresher = None
                    if fresh is None:
                        self._forget()
                    return
                self._spelling, self._by_key = fresh, by_key
                self._wanted = {k: wanted[k] for k in fresh}
                if self._stale_version == stale:
                    self._refresher = None
                    return

    def _rebuild(
        self, wanted: dict[str, list[str]]
    ) -> tuple[dict[str, Spelling], dict[str, dict[str, int]]]:
        """Fresh correctors (tables built) for these keys, read without holding the lock."""
        by_key: dict[str, dict[str, int]] = {}

        def counts(key: str) -> dict[str, int]:
            if key not in by_key:
                with self._lock:
                    if self._conn is None:
                        raise RuntimeError("the word store was closed")
                    by_key[key] = self._read_counts(key)
            return by_key[key]

        fresh = {
            cache_key: Spelling(self._merged(keys, counts), self._used_anywhere).prepare()
            for cache_key, keys in wanted.items()
        }
        return fresh, by_key

    def _read_counts(self, key: str) -> dict[str, int]:
        rows = self._db().execute("SELECT word, n FROM counts WHERE key = ?", (key,))
        return {w: int(n) for w, n in rows}

    def _key_counts(self, key: str) -> dict[str, int]:
        """One key's counts (cached until the store changes); the caller holds the lock."""
        found = self._by_key.get(key)
        if found is None:
            found = self._by_key[key] = self._read_counts(key)
        return found

    @staticmethod
    def _merged(keys: list[str], counts: Callable[[str], dict[str, int]]) -> dict[str, int]:
        parts = [c for c in map(counts, keys) if c]
        if len(parts) == 1:
            return parts[0]  # the common case, a public caller of one collection: no copy
        merged: Counter[str] = Counter()
        for part in parts:
            merged.update(part)
        return dict(merged)

    def _used_anywhere(self, word: str) -> bool:
        """Whether any chunk of the index uses the word, whoever may read it: a German word,
        then, never a typo; leaving it as typed reveals nothing."""
        with self._lock:
            db = self._db()
            keys = [r[0] for r in db.execute("SELECT key FROM keys")]
            if not keys:
                return False
            marks = ",".join("?" * len(keys))
            row = db.execute(
                f"SELECT 1 FROM counts WHERE key IN ({marks}) AND word = ? LIMIT 1", [*keys, word]
            ).fetchone()
        return row is not None

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
            self._forget()


def _migrate(conn: sqlite3.Connection) -> None:
    """Create the tables; a store of an older schema is emptied (its counts lack the
    visibility keys) and filled again by `sync_words` or as documents are written again."""
    with conn:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)")
        row = conn.execute("SELECT value FROM meta WHERE name = 'schema'").fetchone()
        if row is None or row[0] != str(SCHEMA_VERSION):
            for table in ("chunk_words", "counts", "keys"):
                conn.execute(f"DROP TABLE IF EXISTS {table}")
        for statement in _SCHEMA.split(";"):
            if statement.strip():
                conn.execute(statement)
        conn.execute("INSERT OR REPLACE INTO meta VALUES ('schema', ?)", (str(SCHEMA_VERSION),))
