"""The local-files source: PDF, DOCX, Markdown, plain text and HTML from folders or paths.

A document's id is `file:` + its path relative to a stable root (the current folder, or the
repository for the samples), unless its YAML front matter names an `id`. The checkpoint keeps
each file's content hash: unchanged files are skipped, changed files replace their old
chunks, files that disappeared from a scanned folder are removed from the index.

Front matter (Markdown and text files) sets the chunk metadata:

    ---
    title: Muster-Dienstvereinbarung KI
    reference: DV-KI-2026
    paper_type: Dienstvereinbarung
    date: 2026-03-01
    organizations: [Personalrat, Hauptamt]
    access: [public]
    url: https://intranet.example/dv-ki
    ---

Without a front-matter `title`, a document is titled by what it says itself (a Markdown H1, a
PDF's or DOCX's title or first heading: indexer/titles.py), and only then by its file name.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml

from indexer.checkpoint import Checkpoint
from indexer.extract import MAX_INPUT_BYTES, mime_for_name
from indexer.model import PUBLIC
from indexer.source import DocumentMeta, FileRef, Skip, SourceBatch, SourceDocument
from indexer.titles import document_title
from kiw_common.references import allris_source_ids

log = logging.getLogger(__name__)

SUFFIXES = (".pdf", ".docx", ".md", ".markdown", ".txt", ".html", ".htm")
IGNORED_NAMES = {"readme.md", "readme.txt", "license", "license.md"}
BATCH_FILES = 20
# Raise when what a file becomes in the index changes (new fields such as ALLRIS row ids,
# other chunking): every file is then indexed anew once, changed or not.
EXTRACTION_VERSION = (
    4  # 3: titles from the document (H1, PDF/DOCX metadata); 4: passages within one page
)


class FrontMatterError(ValueError):
    pass


@dataclass(frozen=True)
class FrontMatter:
    fields: dict[str, Any]
    body: bytes


def split_front_matter(data: bytes) -> FrontMatter:
    """YAML between a leading `---` line and the next `---` line; the rest is the body."""
    text = data.decode("utf-8-sig", errors="replace")
    if not text.startswith("---"):
        return FrontMatter({}, data)
    lines = text.split("\n")
    if lines[0].strip() != "---":
        return FrontMatter({}, data)
    for end in range(1, len(lines)):
        if lines[end].strip() in ("---", "..."):
            try:
                fields = yaml.safe_load("\n".join(lines[1:end])) or {}
            except yaml.YAMLError as exc:
                raise FrontMatterError(
                    f"front matter is not valid YAML ({exc.__class__.__name__})"
                ) from exc
            if not isinstance(fields, dict):
                raise FrontMatterError("front matter is not a mapping")
            return FrontMatter(fields, "\n".join(lines[end + 1 :]).encode("utf-8"))
    return FrontMatter({}, data)


def _as_date(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip()[:10])
        except ValueError:
            return None
    return None


def _as_strings(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value.strip(),) if value.strip() else ()
    if isinstance(value, list | tuple):
        return tuple(str(v).strip() for v in value if str(v).strip())
    return (str(value),)


def _opt(fields: dict[str, Any], key: str) -> str | None:
    value = fields.get(key)
    return str(value).strip() or None if value is not None else None


def doc_id_for(path: Path, root: Path) -> str:
    resolved = path.resolve()
    try:
        return "file:" + resolved.relative_to(root.resolve()).as_posix()
    except ValueError:
        return "file:" + resolved.as_posix()


def _title_from_name(path: Path) -> str:
    return path.stem.replace("_", " ").replace("-", " ").strip() or path.name


def list_files(paths: Sequence[Path]) -> tuple[list[Path], list[Path], list[Skip]]:
    """(files to consider, folders scanned, paths skipped)."""
    files: list[Path] = []
    folders: list[Path] = []
    skipped: list[Skip] = []
    for path in paths:
        if path.is_dir():
            folders.append(path)
            for dirpath, dirnames, filenames in os.walk(path):
                dirnames[:] = sorted(d for d in dirnames if not d.startswith((".", "_")))
                for name in sorted(filenames):
                    if name.startswith((".", "_")) or name.lower() in IGNORED_NAMES:
                        continue
                    if name.lower().endswith(SUFFIXES):
                        files.append(Path(dirpath) / name)
        elif path.is_file():
            files.append(path)
        else:
            skipped.append(Skip(str(path), "no such file or folder"))
    return files, folders, skipped


def _overview(meta: DocumentMeta) -> str | None:
    """A paper-like document (front matter with a reference, type or status) gets the same
    overview chunk as an OParl paper, so its facts are one passage a search can land on."""
    if not (meta.reference or meta.paper_type or meta.status):
        return None
    lines = [" ".join(x for x in (meta.paper_type, meta.reference) if x) + f": {meta.title}"]
    if meta.date:
        lines.append(f"Datum: {meta.date.strftime('%d.%m.%Y')}")
    if meta.organizations:
        lines.append("Beteiligt: " + ", ".join(meta.organizations))
    if meta.status:
        lines.append(f"Stand: {meta.status}")
    return "\n".join(lines)


class FilesSource:
    def __init__(
        self,
        paths: Sequence[Path],
        *,
        collection: str,
        checkpoint: Checkpoint,
        root: Path,
        access: tuple[str, ...] = (PUBLIC,),
    ) -> None:
        self.paths = list(paths)
        self.collection = collection
        self.access = access or (PUBLIC,)
        self.root = root
        self.checkpoint = checkpoint
        self.seen: dict[str, Any] = checkpoint.section("seen")  # path key → {hash, doc_id}
        self.unchanged = 0
        self.considered = 0

    def _key(self, path: Path) -> str:
        return path.resolve().as_posix()

    async def batches(self) -> AsyncIterator[SourceBatch]:
        files, folders, skipped = list_files(self.paths)
        self.considered = len(files)
        present = {self._key(f) for f in files}
        batch = SourceBatch(skipped=skipped)
        pending: dict[str, Any] = {}
        # Files that vanished from a folder scanned now: their documents go.
        for folder in folders:
            prefix = self._key(folder).rstrip("/") + "/"
            for key, entry in list(self.seen.items()):
                if key.startswith(prefix) and key not in present:
                    batch.deleted.append(entry["doc_id"])
                    pending[key] = None
        for path in files:
            key = self._key(path)
            document, state, skip = self._document(path)
            batch.fetched += 1
            if skip is not None:
                batch.skipped.append(skip)
                old = self.seen.get(key)
                if old and skip.reason != "unchanged":
                    # A file that became unreadable must not keep stale chunks.
                    batch.deleted.append(old["doc_id"])
                    pending[key] = None
                continue
            old = self.seen.get(key)
            if old and document is not None and old["doc_id"] != document.meta.doc_id:
                batch.deleted.append(old["doc_id"])  # the front-matter id changed
            if document is not None:
                batch.documents.append(document)
                pending[key] = state
            if len(batch.documents) >= BATCH_FILES:
                yield self._sealed(batch, pending)
                batch, pending = SourceBatch(), {}
        yield self._sealed(batch, pending)

    def _sealed(self, batch: SourceBatch, pending: dict[str, Any]) -> SourceBatch:
        # Unchanged files are not news: count them, do not list them as skipped.
        unchanged = [s for s in batch.skipped if s.reason == "unchanged"]
        self.unchanged += len(unchanged)
        batch.skipped = [s for s in batch.skipped if s.reason != "unchanged"]

        def commit() -> None:
            for key, state in pending.items():
                if state is None:
                    self.seen.pop(key, None)
                else:
                    self.seen[key] = state

        batch.commit = commit
        return batch

    def _document(self, path: Path) -> tuple[SourceDocument | None, dict[str, Any], Skip | None]:
        label = str(path)
        try:
            size = path.stat().st_size
            if size > MAX_INPUT_BYTES:
                return None, {}, Skip(label, f"file too large ({size} bytes)")
            data = path.read_bytes()
        except OSError as exc:
            return None, {}, Skip(label, f"cannot read ({exc.strerror or exc})")
        digest = hashlib.sha256(data).hexdigest()
        settings = f"v{EXTRACTION_VERSION}|{self.collection}|{','.join(self.access)}"
        old = self.seen.get(self._key(path))
        if old and old.get("hash") == digest and old.get("settings") == settings:
            return None, {}, Skip(label, "unchanged")
        fields: dict[str, Any] = {}
        body = data
        mime = mime_for_name(path.name)
        if mime in ("text/markdown", "text/plain"):
            try:
                front = split_front_matter(data)
            except FrontMatterError as exc:
                return None, {}, Skip(label, str(exc))
            fields, body = front.fields, front.body
        doc_id = _opt(fields, "id") or doc_id_for(path, self.root)
        if _opt(fields, "id") and not doc_id.startswith("file:"):
            doc_id = "file:" + doc_id
        title = (
            _opt(fields, "title")
            or document_title(body, mime_type=mime, name=path.name)
            or _title_from_name(path)
        )
        meta = DocumentMeta(
            doc_id=doc_id,
            collection=self.collection,
            title=title,
            access=_as_strings(fields.get("access")) or self.access,
            url=_opt(fields, "url"),
            reference=_opt(fields, "reference"),
            paper_type=_opt(fields, "paper_type") or _opt(fields, "type"),
            date=_as_date(fields.get("date")),
            organizations=_as_strings(fields.get("organizations")),
            source_ids=_as_strings(fields.get("source_ids"))
            or tuple(allris_source_ids(_opt(fields, "url") or "")),
            status=_opt(fields, "status"),
        )
        file = FileRef(
            file_id=doc_id,
            name=path.name,
            fingerprint=digest,
            mime_type=mime,
            url=meta.url,
            path=path,
        )
        state = {"hash": digest, "doc_id": doc_id, "settings": settings}
        return SourceDocument(meta=meta, overview=_overview(meta), files=[file]), state, None

    async def load(self, file: FileRef) -> bytes:
        assert file.path is not None
        data = file.path.read_bytes()
        if file.mime_type in ("text/markdown", "text/plain"):
            return split_front_matter(data).body
        return data
