"""Embedding cost on the whole Karlsruhe index: what is chosen, how fast, how much memory.

    .venv/bin/python bench/index.py                   # first: the keyword index of the corpus
    .venv/bin/python bench/embed.py [--seconds 300]   # then: the embedding step, timed

Works on bench/out/karlsruhe/index (built by bench/index.py, keywords only). Prints how many
chunks the index holds and how many the embedding choice picks (indexer/vectors.py: policies
fully; of a council document its overview and the first passages of each file), then runs the
production embedding step (E5Encoder, batches committed one by one) for at most `--seconds`
and prints passages per second, the extrapolated time for everything chosen (and for every
chunk), the vector store's size on disk and the in-memory matrix's size. Run it again and it
continues where it stopped (that is the resumable step itself); `--seconds 0` runs to the end.

    .venv/bin/python bench/embed.py --compare 500     # how to use two cores: throughput

`--compare N` takes N chosen passages spread over the index (every k-th, so all kinds of
papers) and embeds the same texts once per way of running the engine, each in a fresh process
(OpenMP's thread count is fixed when the engine loads): one thread in batches of 32 (before),
one thread with one passage per call, two OpenMP threads in one process, and two worker processes
with one thread each (indexer/encoder_pool.py, what `kiw index` uses). It prints passages per
second (wall), CPU time per passage of the process and its workers, and the load average.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from indexer.embedded import EmbeddedIndex  # noqa: E402
from indexer.embedding import EmbedReport  # noqa: E402
from indexer.encoders import E5Encoder  # noqa: E402
from indexer.passage_choice import embedding_text  # noqa: E402
from indexer.vectors import STORE_FILE, VectorStore  # noqa: E402
from indexer.workers import embedding_workers  # noqa: E402

# name: (OpenMP threads, worker processes, batch size)
STRATEGIES = {
    "1 thread, batches of 32 (before)": (1, 1, 32),
    "1 thread, one passage per call": (1, 1, 1),
    "2 OpenMP threads, batches of 32": (2, 1, 32),
    "2 worker processes, batches of 32": (1, 2, 32),
}


class Stop(Exception):
    """The time budget is used up (the step itself keeps every finished batch)."""


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, default=REPO / "bench" / "out" / "karlsruhe")
    parser.add_argument("--seconds", type=float, default=300.0, help="budget; 0: to the end")
    parser.add_argument("--compare", type=int, default=0, metavar="N", help="compare strategies")
    parser.add_argument("--only", default=None, help="with --compare: these strategies (a,b)")
    parser.add_argument("--strategy", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--texts", type=Path, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.strategy:
        return _run_strategy(args.strategy, args.texts)
    path = args.data_dir / "index"
    if not (path / "meta.json").exists():
        print(f"No index at {path}: run bench/index.py first.", file=sys.stderr)
        return 1
    if args.compare:
        return _compare(await _sample(path, args.compare), args.only)
    encoder = E5Encoder(workers=embedding_workers())  # as `kiw index` embeds
    index = EmbeddedIndex(path, encoder=encoder)
    store = VectorStore(path, encoder.name)
    chunks = index.count_chunks()
    started = time.perf_counter()
    first_batch: list[float] = []
    done_at_start = store.vector_count()

    def progress(done: int, total: int) -> None:
        elapsed = time.perf_counter() - started
        if not done:  # the step begins (embed_pending reports 0 first)
            return
        if not first_batch:
            first_batch.append(elapsed)
        if args.seconds and elapsed > args.seconds:
            raise Stop
        if done % 640 == 0:
            print(f"  {done} of {total} passages, {elapsed:.0f} s", flush=True)

    sync_started = time.perf_counter()
    report: EmbedReport | None = None
    with contextlib.suppress(Stop):  # the budget ran out; every finished batch is stored
        report = await index.embed_pending(progress=progress)
    elapsed = time.perf_counter() - sync_started
    await index.close()
    encoder.close()  # the workers end, so their CPU time is counted below
    cpu = sum(os.times()[:4])
    vectors = store.vector_count()
    pending = store.pending_count()
    chosen = vectors + pending
    embedded = vectors - done_at_start
    rate = embedded / max(elapsed - (first_batch[0] if first_batch else 0.0), 1e-9)
    store_mb = sum(f.stat().st_size for f in path.glob(STORE_FILE + "*")) / 1e6
    print(f"chunks in the index             {chunks}")
    print(f"chosen for embedding            {chosen} ({100 * chosen / max(chunks, 1):.0f} %)")
    print(f"embedded now / in the store     {embedded} / {vectors}; still pending {pending}")
    print(
        f"rate                            {rate:.1f} passages/s "
        f"(e5, {embedding_workers()} worker processes)"
    )
    print(
        f"CPU time, this process + workers {cpu:.0f} s "
        f"({1000 * cpu / max(embedded, 1):.0f} ms per passage embedded now); load average "
        f"{os.getloadavg()[0]:.1f}"
    )
    print(f"all chosen, extrapolated        {chosen / max(rate, 1e-9) / 60:.0f} min")
    print(f"every chunk, extrapolated       {chunks / max(rate, 1e-9) / 60:.0f} min")
    print(f"vector store on disk            {store_mb:.1f} MB")
    print(f"matrix in memory (all chosen)   {chosen * encoder.dim * 4 / 1e6:.1f} MB")
    print(
        f"peak RSS of this process        {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB"
    )
    if report is not None:
        print(
            f"finished: {report.embedded} embedded, {report.pruned} pruned in {report.seconds:.0f} s"
        )
    store.close()
    return 0


async def _sample(path: Path, count: int) -> list[str]:
    """`count` chosen passages' embedded texts, every k-th of the chosen chunks by id."""
    with contextlib.closing(sqlite3.connect(path / STORE_FILE)) as db:
        ids = [
            r[0]
            for r in db.execute(
                "SELECT chunk_id FROM chunks WHERE chosen_for_embedding = 1 ORDER BY chunk_id"
            )
        ]
    step = max(1, len(ids) // count)
    picked = ids[::step][:count]
    index = EmbeddedIndex(path)
    try:
        chunks = index.chunks_by_id(picked)
    finally:
        await index.close()
    return [embedding_text(chunks[i]) for i in picked if i in chunks]


def _compare(texts: list[str], only: str | None) -> int:
    chars = sum(len(t) for t in texts) / max(len(texts), 1)
    print(
        f"{len(texts)} chosen passages ({chars:.0f} characters on average), {os.cpu_count()} CPUs"
    )
    wanted = [n for n in STRATEGIES if not only or any(o in n for o in only.split(","))]
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(texts, f)
    try:
        for name in wanted:
            before = os.getloadavg()[0]
            child = subprocess.run(
                [sys.executable, __file__, "--strategy", name, "--texts", f.name],
                capture_output=True,
                text=True,
                check=True,
            )
            row = json.loads(child.stdout.strip().splitlines()[-1])
            print(
                f"  {name:<36} {row['rate']:>6.2f} passages/s  "
                f"CPU {row['cpu_ms']:>4.0f} ms/passage  load {before:.1f}->{os.getloadavg()[0]:.1f}",
                flush=True,
            )
    finally:
        os.unlink(f.name)
    return 0


def _run_strategy(name: str, texts_file: Path) -> int:
    """In a fresh process: embed the texts the way `name` says, print the figures as JSON."""
    threads, workers, batch = STRATEGIES[name]
    texts = json.loads(texts_file.read_text())
    encoder = E5Encoder(threads=threads, workers=workers)
    # Load the model and start the workers before timing (a run pays that once).
    encoder.embed_passages([f"Aufwärmen {i}" for i in range(4 * workers)])
    cpu0, started = os.times(), time.perf_counter()
    for i in range(0, len(texts), batch):
        encoder.embed_passages(texts[i : i + batch])
    encoder.close()  # waits for the workers, so their CPU time is counted
    wall, cpu1 = time.perf_counter() - started, os.times()
    cpu = sum(cpu1[:4]) - sum(cpu0[:4])
    print(json.dumps({"rate": len(texts) / wall, "cpu_ms": 1000 * cpu / len(texts)}))
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
