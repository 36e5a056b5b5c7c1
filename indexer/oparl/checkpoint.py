"""A job's checkpoint: one JSON file, replaced atomically after every committed page.

A run that is killed between two saves repeats at most the page it was working on; since
every write to the index is an idempotent replace by document id, nothing is duplicated.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

STATE_DIR = "index-state"
VERSION = 1


def checkpoint_path(data_dir: Path, kind: str, key: str) -> Path:
    """`data_dir/index-state/<kind>-<hash of key>.json`: one file per source (URL, collection)."""
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]
    return Path(data_dir) / STATE_DIR / f"{kind}-{digest}.json"


class Checkpoint:
    """A dict that survives the process. Call `save()` only when the index holds what it says."""

    def __init__(self, path: Path, data: dict[str, Any]) -> None:
        self.path = path
        self.data = data

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

    def save(self) -> None:
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

    def section(self, name: str) -> dict[str, Any]:
        value = self.data.setdefault(name, {})
        assert isinstance(value, dict)
        return value
