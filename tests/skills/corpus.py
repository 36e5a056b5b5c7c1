"""The project's sample corpus (samples/policies, samples/council) as chunks, for tests and bench.

One chunk per "## " section, carrying the front matter (title, reference, type, date,
organizations, access, url, status). The indexing CLI (`kiw index samples`) builds its own
chunks from the same files; this loader keeps the skill tests independent of it.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from indexer.model import COUNCIL, POLICIES, Chunk

REPO = Path(__file__).resolve().parents[2]
SAMPLES = REPO / "samples"


def parse_front_matter(text: str) -> tuple[dict[str, Any], str]:
    if not text.startswith("---"):
        return {}, text
    _, head, body = text.split("---", 2)
    return yaml.safe_load(head) or {}, body


def chunks_of_file(path: Path, collection: str) -> list[Chunk]:
    meta, body = parse_front_matter(path.read_text(encoding="utf-8"))
    doc_id = f"file:samples/{collection}/{path.name}"
    sections = re.split(r"^## ", body, flags=re.MULTILINE)
    chunks: list[Chunk] = []
    when = meta.get("date")
    for n, section in enumerate(sections):
        heading, _, text = section.partition("\n") if n else ("", "", section)
        text = text.strip() if n else section.strip()
        if not text:
            continue
        chunks.append(
            Chunk(
                id=f"{doc_id}#{len(chunks)}",
                doc_id=doc_id,
                collection=collection,
                title=str(meta.get("title", path.stem)),
                text=text,
                access=tuple(meta.get("access") or ("public",)),
                url=meta.get("url"),
                page=None,
                heading=heading.strip() or None,
                reference=meta.get("reference"),
                paper_type=meta.get("paper_type"),
                date=when if isinstance(when, date) else None,
                organizations=tuple(meta.get("organizations") or ()),
                status=meta.get("status"),
            )
        )
    return chunks


def sample_chunks() -> list[Chunk]:
    out: list[Chunk] = []
    for collection, folder in ((POLICIES, "policies"), (COUNCIL, "council")):
        for path in sorted((SAMPLES / folder).glob("*.md")):
            out.extend(chunks_of_file(path, collection))
    return out
