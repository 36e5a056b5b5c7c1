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
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import resource
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from indexer.embedded import EmbeddedIndex  # noqa: E402
from indexer.embedding import EmbedReport  # noqa: E402
from indexer.encoders import E5Encoder  # noqa: E402
from indexer.vectors import STORE_FILE, VectorStore  # noqa: E402


class Stop(Exception):
    """The time budget is used up (the step itself keeps every finished batch)."""


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, default=REPO / "bench" / "out" / "karlsruhe")
    parser.add_argument("--seconds", type=float, default=300.0, help="budget; 0: to the end")
    args = parser.parse_args()
    path = args.data_dir / "index"
    if not (path / "meta.json").exists():
        print(f"No index at {path}: run bench/index.py first.", file=sys.stderr)
        return 1
    encoder = E5Encoder()
    index = EmbeddedIndex(path, encoder=encoder)
    store = VectorStore(path, encoder.name)
    chunks = index.count_chunks()
    started = time.perf_counter()
    first_batch: list[float] = []
    done_at_start = store.vector_count()

    def progress(done: int, total: int) -> None:
        elapsed = time.perf_counter() - started
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
    vectors = store.vector_count()
    pending = store.pending_count()
    chosen = vectors + pending
    embedded = vectors - done_at_start
    rate = embedded / max(elapsed - (first_batch[0] if first_batch else 0.0), 1e-9)
    store_mb = sum(f.stat().st_size for f in path.glob(STORE_FILE + "*")) / 1e6
    print(f"chunks in the index             {chunks}")
    print(f"chosen for embedding            {chosen} ({100 * chosen / max(chunks, 1):.0f} %)")
    print(f"embedded now / in the store     {embedded} / {vectors}; still pending {pending}")
    print(f"rate                            {rate:.1f} passages/s (e5, one thread)")
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


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
