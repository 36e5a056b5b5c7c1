"""A job's checkpoint: small state in one JSON file, per-document maps in SQLite beside it.

A run that is killed between two saves repeats at most the page it was working on; since
every write to the index is an idempotent replace by document id, nothing is duplicated.

Two parts, because they grow differently:
- `data` (the run's position, lookups, the incremental window) is small and is replaced
  atomically as one JSON file on every save;
- `table(name)` maps grow with the corpus (each file's fingerprint and text hash, the text
  hashes, the documents a source has written, the documents a full listing has seen). Held
  in memory and rewritten as JSON on every page they cost ~50 KB per paper and a save time
  that grew with the corpus; in SQLite they cost neither. `save()` commits them *before*
  the JSON file is replaced: a kill in between leaves tables a page ahead of the position,
  which only means that page is read again.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import tempfile
from collections.abc import Iterable, Iterator, MutableMapping
from pathlib import Path
from typing import Any

STATE_DIR = "index-state"
VERSION = 1


def checkpoint_path(data_dir: Path, kind: str, key: str) -> Path:
    """`data_dir/index-state/<kind>-<hash of key>.json`: one file per source (URL, collection)."""
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]
    return Path(data_dir) / STATE_DIR / f"{kind}-{digest}.json"


class DiskMap(MutableMapping[str, Any]):
    """A str → JSON value mapping in one SQLite table. Values are copies: change one by
    assigning it again (`m[k] = v`), not by mutating what `m[k]` returned."""

    def __init__(self, db: sqlite3.Connection, name: str) -> None:
        if not name.isidentifier():
            raise ValueError(f"not a table name: {name!r}")
        self._db = db
        self._table = f"map_{name}"
        db.execute(
            f"CREATE TABLE IF NOT EXISTS {self._table} "
            "(key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID"
        )

    def __getitem__(self, key: str) -> Any:
        row = self._db.execute(f"SELECT value FROM {self._table} WHERE key = ?", (key,)).fetchone()
        if row is None:
            raise KeyError(key)
        return json.loads(row[0])

    def __setitem__(self, key: str, value: Any) -> None:
        self._db.execute(
            f"INSERT OR REPLACE INTO {self._table} (key, value) VALUES (?, ?)",
            (key, json.dumps(value, ensure_ascii=False, separators=(",", ":"))),
        )

    def __delitem__(self, key: str) -> None:
        if self._db.execute(f"DELETE FROM {self._table} WHERE key = ?", (key,)).rowcount == 0:
            raise KeyError(key)

    def __contains__(self, key: object) -> bool:
        return (
            isinstance(key, str)
            and self._db.execute(f"SELECT 1 FROM {self._table} WHERE key = ?", (key,)).fetchone()
            is not None
        )

    def __iter__(self) -> Iterator[str]:
        # A snapshot of the keys: callers may change the map while they walk it.
        keys = [k for (k,) in self._db.execute(f"SELECT key FROM {self._table} ORDER BY key")]
        return iter(keys)

    def __len__(self) -> int:
        return int(self._db.execute(f"SELECT count(*) FROM {self._table}").fetchone()[0])

    def add_all(self, keys: Iterable[str], value: Any = 1) -> None:
        encoded = json.dumps(value)
        self._db.executemany(
            f"INSERT OR REPLACE INTO {self._table} (key, value) VALUES (?, ?)",
            ((k, encoded) for k in keys),
        )

    def remove_all(self, keys: Iterable[str]) -> None:
        self._db.executemany(f"DELETE FROM {self._table} WHERE key = ?", ((k,) for k in keys))

    def keys_missing_from(self, other: DiskMap) -> list[str]:
        """Keys of this map that `other` (in the same database) lacks, in order."""
        rows = self._db.execute(
            f"SELECT key FROM {self._table} AS a WHERE NOT EXISTS "
            f"(SELECT 1 FROM {other._table} AS b WHERE b.key = a.key) ORDER BY key"
        )
        return [k for (k,) in rows]

    def clear(self) -> None:
        self._db.execute(f"DELETE FROM {self._table}")


class DiskPairs:
    """key → several values (an agenda item → the papers consulted under it) in SQLite."""

    def __init__(self, db: sqlite3.Connection, name: str) -> None:
        if not name.isidentifier():
            raise ValueError(f"not a table name: {name!r}")
        self._db = db
        self._table = f"pairs_{name}"
        db.execute(
            f"CREATE TABLE IF NOT EXISTS {self._table} "
            "(key TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (key, value)) WITHOUT ROWID"
        )

    def add(self, key: str, value: str) -> None:
        self._db.execute(
            f"INSERT OR IGNORE INTO {self._table} (key, value) VALUES (?, ?)", (key, value)
        )

    def get(self, key: str) -> list[str]:
        rows = self._db.execute(
            f"SELECT value FROM {self._table} WHERE key = ? ORDER BY value", (key,)
        )
        return [v for (v,) in rows]


class MemoryPairs:
    """DiskPairs for callers without a checkpoint (tests, one-off parsing)."""

    def __init__(self) -> None:
        self._pairs: dict[str, dict[str, None]] = {}

    def add(self, key: str, value: str) -> None:
        self._pairs.setdefault(key, {})[value] = None

    def get(self, key: str) -> list[str]:
        return sorted(self._pairs.get(key, {}))


class Checkpoint:
    """State that survives the process. Call `save()` only when the index holds what it says."""

    def __init__(self, path: Path, data: dict[str, Any]) -> None:
        self.path = path
        self.data = data
        self._db: sqlite3.Connection | None = None
        self._tables: dict[str, DiskMap] = {}

    @classmethod
    def load(cls, path: Path, *, source: str) -> Checkpoint:
        if path.exists():
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, json.JSONDecodeError):
                data = None  # a torn file cannot exist (atomic replace); treat garbage as new
            if isinstance(data, dict) and data.get("version") == VERSION:
                return cls(path, data)
        return cls(path, {"version": VERSION, "source": source})

    @property
    def tables_path(self) -> Path:
        return self.path.with_suffix(".sqlite")

    def _connection(self) -> sqlite3.Connection:
        if self._db is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(self.tables_path, isolation_level="DEFERRED")
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")  # WAL: a commit survives a process kill
            self._db = db
        return self._db

    def table(self, name: str) -> DiskMap:
        """A map that grows with the corpus, kept on disk (see the module docstring)."""
        if name not in self._tables:
            table = DiskMap(self._connection(), name)
            legacy = self.data.pop(name, None)  # a checkpoint written before tables existed
            if isinstance(legacy, dict) and legacy:
                for key, value in legacy.items():
                    table[key] = value
            self._tables[name] = table
        return self._tables[name]

    def pairs(self, name: str) -> DiskPairs:
        """A one-to-many map that grows with the corpus, kept on disk."""
        return DiskPairs(self._connection(), name)

    def save(self) -> None:
        if self._db is not None:
            self._db.commit()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".ckpt-", dir=self.path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(self.data, fh, ensure_ascii=False, separators=(",", ":"))
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def close(self) -> None:
        """Forget uncommitted table changes (what `save()` did not confirm) and let go."""
        if self._db is not None:
            self._db.rollback()
            self._db.close()
            self._db = None
            self._tables.clear()

    def section(self, name: str) -> dict[str, Any]:
        value = self.data.setdefault(name, {})
        assert isinstance(value, dict)
        return value
