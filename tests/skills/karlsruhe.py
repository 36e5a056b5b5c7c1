"""Real Karlsruhe council papers (../shared/data/karlsruhe) as the OParl crawler indexes them:
the paper's overview and its files' passages (indexer/oparl/documents.py, the pipeline's
splitter), with the extracted PDF texts the corpus ships standing in for the downloads.

The corpus is required: a missing corpus fails the test that asks for it (no silent skip).
"""

from __future__ import annotations

import gzip
import json
import tarfile
from dataclasses import replace
from pathlib import Path

from indexer.chunking import split_page_markers, split_passages
from indexer.model import Chunk
from indexer.oparl.documents import Lookups, paper_document
from indexer.parts import ChunkSplitter, ParsedFile

KARLSRUHE = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "karlsruhe"
PAPERS = "https://web1.karlsruhe.de/oparl/bodies/0001/papers/vo/"


def paper_chunks(*numbers: int, access: tuple[str, ...] | None = None) -> list[Chunk]:
    """The chunks of the papers `…/papers/vo/<number>`; `access` replaces their groups."""
    wanted = {f"{PAPERS}{n}" for n in numbers}
    lookups = Lookups({})
    with gzip.open(KARLSRUHE / "organizations.jsonl.gz", "rt", encoding="utf-8") as fh:
        for line in fh:
            lookups.add_organization(json.loads(line))
    with gzip.open(KARLSRUHE / "papers.jsonl.gz", "rt", encoding="utf-8") as fh:
        papers = [p for p in map(json.loads, fh) if p["id"] in wanted]
    assert len(papers) == len(wanted), f"papers missing from {KARLSRUHE}"
    documents = [paper_document(p, lookups)[0] for p in papers]
    needed = {f.file_id.rsplit("/", 1)[1] for d in documents for f in d.files}
    texts: dict[str, str] = {}
    with tarfile.open(KARLSRUHE / "texts.tar.gz") as tar:
        for member in tar:
            name = Path(member.name).stem
            extracted = tar.extractfile(member) if name in needed else None
            if extracted is not None:
                texts[name] = extracted.read().decode("utf-8", errors="replace")
    splitter = ChunkSplitter()
    chunks: list[Chunk] = []
    for doc in documents:
        parsed = [
            ParsedFile(f, split_passages(split_page_markers(texts[f.file_id.rsplit("/", 1)[1]])))
            for f in doc.files
            if len(texts.get(f.file_id.rsplit("/", 1)[1], "").strip()) >= 50
        ]
        chunks.extend(splitter.split(doc, parsed))
    return [replace(c, access=access) for c in chunks] if access else chunks
