"""What the council choice of passages costs (or gains) in recall: keywords only, vectors for
the chosen passages (a paper's overview and the first passages of each file, the default),
vectors for every passage — on a subset of Karlsruhe papers, so that "every passage" is
affordable on two shared cores.

Run from bench/search.py (`--council-vectors`). The subset is what bench/eval_qa.py's council
part indexes: the papers the blind set expects plus the newest others up to `papers`, and every
meeting, cut the crawler's way (bench/qa_sets.py). One index per variant under
bench/out/council-vectors/; passage vectors are kept in bench/out/council-vectors/passages.sqlite
by text, so the chosen passages (a subset of all) and later runs embed nothing again. Each
search runs through the `suche` skill (bench/search_council.py: first five distinct
documents); question turns as there. Tune on dev; test is reported.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from qa_sets import council_questions, council_searches, karlsruhe_chunks
from search_council import CATEGORIES, _percentile, evaluate, recall_by_category

from indexer.embedded import EmbeddedIndex
from indexer.encoders import E5Encoder
from indexer.passage_choice import COUNCIL_PASSAGES_PER_FILE, text_hash
from indexer.workers import embedding_workers

VARIANTS = {  # name: council passages per file with a vector (0: no vector leg at all)
    "keywords only": 0,
    f"chosen ({COUNCIL_PASSAGES_PER_FILE} per file, default)": COUNCIL_PASSAGES_PER_FILE,
    "every passage": None,
}


class CachedE5:
    """E5Encoder whose passage vectors are kept on disk by text (bench only)."""

    def __init__(self, path: Path) -> None:
        self._e5 = E5Encoder(workers=embedding_workers())
        self.name, self.dim = self._e5.name, self._e5.dim
        path.parent.mkdir(parents=True, exist_ok=True)
        # The embedding step calls from a worker thread (one call at a time).
        self._db = sqlite3.connect(path, check_same_thread=False)
        self._db.execute("CREATE TABLE IF NOT EXISTS v (h TEXT PRIMARY KEY, vector BLOB)")
        self.embedded = 0

    def embed_passages(self, texts: Sequence[str]) -> list[list[float]]:
        keys = [text_hash(t) for t in texts]
        found: dict[str, list[float]] = {}
        for key in set(keys):
            row = self._db.execute("SELECT vector FROM v WHERE h = ?", (key,)).fetchone()
            if row:
                found[key] = np.frombuffer(row[0], dtype=np.float32).tolist()
        todo = [(k, t) for k, t in dict(zip(keys, texts, strict=True)).items() if k not in found]
        if todo:
            vectors = self._e5.embed_passages([t for _, t in todo])
            with self._db:
                for (key, _), vector in zip(todo, vectors, strict=True):
                    found[key] = vector
                    blob = np.asarray(vector, dtype=np.float32).tobytes()
                    self._db.execute("INSERT OR REPLACE INTO v VALUES (?, ?)", (key, blob))
            self.embedded += len(todo)
        return [found[k] for k in keys]

    def embed_query(self, text: str) -> list[float]:
        return self._e5.embed_query(text)

    def close(self) -> None:
        self._e5.close()
        self._db.close()


async def run_council_vectors(out: Path, papers: int) -> None:
    folder = out / "council-vectors"
    wanted = {e for s in council_searches() for e in s.expect} | {
        q.doc_id for q in council_questions()
    }
    chunks = karlsruhe_chunks(papers, wanted)
    encoder = CachedE5(folder / "passages.sqlite")
    print(
        f"council subset: {len({c.doc_id for c in chunks if '/papers/' in c.doc_id})} papers "
        f"+ meetings, {len(chunks)} chunks; {os.cpu_count()} cores"
    )
    table: dict[str, dict[str, dict[str, tuple[int, float, float]]]] = {}
    for name, per_file in VARIANTS.items():
        path = folder / name.split(" ")[0] / "index"
        shutil.rmtree(path.parent, ignore_errors=True)
        index = EmbeddedIndex(
            path,
            encoder=encoder if per_file != 0 else None,
            passages_per_file=COUNCIL_PASSAGES_PER_FILE if per_file == 0 else per_file,
        )
        started, before = time.perf_counter(), encoder.embedded
        for i in range(0, len(chunks), 2000):
            await index.upsert(chunks[i : i + 2000])
        report = await index.embed_pending()
        built = time.perf_counter() - started
        load = os.getloadavg()[0]
        rows, asked = await evaluate(index)
        await index.close()
        table[name] = {split: recall_by_category(rows, split) for split in ("dev", "test")}
        cpus = [a[2] for a in asked if a[0] == "dev"]
        print(
            f"  {name}: {report.vectors} vectors ({encoder.embedded - before} embedded now), "
            f"built in {built:.0f} s; dev question turn CPU p95 {_percentile(cpus, 95):.0f} ms; "
            f"load {load:.1f}",
            flush=True,
        )
    encoder.close()
    _print_table(table)
    with contextlib.suppress(OSError):
        print(f"  passage vector cache: {(folder / 'passages.sqlite').stat().st_size / 1e6:.1f} MB")


async def run_council_on_index(path: Path) -> None:
    """The council set on an existing index with its vectors (bench/index.py --embed over the
    full corpus): keywords only (no encoder) and hybrid (e5), the same index and the same
    searches, so the difference is the vector leg alone."""
    table: dict[str, dict[str, dict[str, tuple[int, float, float]]]] = {}
    encoder = E5Encoder()
    db = sqlite3.connect(f"file:{path / 'vectors.sqlite'}?mode=ro", uri=True)
    chosen, embedded = db.execute(
        "SELECT count(DISTINCT c.text_hash), count(DISTINCT v.text_hash) FROM chunks c "
        "LEFT JOIN vectors v ON v.text_hash = c.text_hash AND v.encoder = ? "
        "WHERE c.chosen_for_embedding = 1",
        (encoder.name,),
    ).fetchone()
    db.close()
    print(f"  {path}: {embedded:,} of {chosen:,} chosen passages have a vector ({encoder.name})")
    for name, with_vectors in (("keywords only", False), ("hybrid (e5)", True)):
        index = EmbeddedIndex(path, encoder=encoder if with_vectors else None)
        load = os.getloadavg()[0]
        rows, _questions = await evaluate(index)
        await index.close()
        table[name] = {split: recall_by_category(rows, split) for split in ("dev", "test")}
        walls = [r.ms for r in rows]
        print(
            f"  {name}: {index.count_chunks()} chunks; search turn p50 "
            f"{_percentile(walls, 50):.0f} ms, p95 {_percentile(walls, 95):.0f} ms at load "
            f"{load:.1f}",
            flush=True,
        )
    encoder.close()
    _print_table(table)


def _print_table(table: dict[str, dict[str, dict[str, tuple[int, float, float]]]]) -> None:
    for split in ("dev", "test"):
        print(f"  {split}: Recall@5 (MRR)")
        print("    " + f"{'':12s}" + "".join(f"{n[:30]:>32s}" for n in table))
        for category in ("all", *CATEGORIES):
            cells = []
            for name in table:
                n, recall, mrr = table[name][split].get(category, (0, 0.0, 0.0))
                cells.append(f"{recall:.2f} ({mrr:.2f}) n={n}")
            print(f"    {category:12s}" + "".join(f"{c:>32s}" for c in cells))
