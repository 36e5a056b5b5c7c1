"""Which passages get a vector, and what of a passage is embedded — one rule for both backends.

The embedded index (indexer/vectors.py) and Azure AI Search (indexer/azure_search.py) embed the
same passages with the same text, so the two backends hold the same e5 vectors and cost the
same CPU to index (docs/search.md "What is embedded").
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Protocol

from indexer.model import POLICIES, Chunk

# What is embedded of a passage: title and heading carry its subject (measured: they lift the
# right passage into the top 5), the first characters of the text the rest. The cost grows
# with the length: on Karlsruhe passages 1,000 characters are ~176 tokens and 276 ms of CPU,
# 600 characters ~126 tokens and 194 ms (bench/embed.py, docs/search.md).
EMBED_CHARS = 600
# Council papers: the overview (title, type, Beratungsfolge) and the first passages of each
# file — the proposal and its reasons stand at the start. Karlsruhe: 16,079 of 40,900 chunks
# (3 per file: 19,728); what this costs in recall: docs/search.md "Recall cost".
COUNCIL_PASSAGES_PER_FILE = 2


class Placed(Protocol):
    """What the choice needs of a chunk: where it stands (a `Chunk` has it)."""

    @property
    def id(self) -> str: ...

    @property
    def doc_id(self) -> str: ...

    @property
    def collection(self) -> str: ...

    @property
    def file_id(self) -> str | None: ...


def embedding_text(chunk: Chunk) -> str:
    """The text the encoder sees for a chunk: title, heading, then the start of the passage."""
    head = "\n".join(p for p in (chunk.title, chunk.heading or "") if p)
    body = " ".join(chunk.text.split())
    return f"{head}\n{body}"[:EMBED_CHARS]


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def chosen_for_embedding(
    chunks: Iterable[Placed], passages_per_file: int | None = COUNCIL_PASSAGES_PER_FILE
) -> set[str]:
    """Which of these chunks (whole documents) get a vector: every policy passage; of a council
    document its overview and the first `passages_per_file` passages of each file (None: all)."""
    chosen: set[str] = set()
    per_file: dict[tuple[str, str | None], list[tuple[int, str]]] = {}
    for c in chunks:
        if c.collection == POLICIES or passages_per_file is None:
            chosen.add(c.id)
        else:
            per_file.setdefault((c.doc_id, c.file_id), []).append((chunk_seq(c.id), c.id))
    for (_, file_id), members in per_file.items():
        members.sort()
        # Passages without a file: the overview (chunk 0) and text the source itself carries.
        keep = members if file_id is None else members[:passages_per_file]
        chosen.update(chunk_id for _, chunk_id in keep)
    return chosen


def chunk_seq(chunk_id: str) -> int:
    """A chunk's place in its document ("doc#7" → 7)."""
    tail = chunk_id.rpartition("#")[2]
    return int(tail) if tail.isdigit() else 0
