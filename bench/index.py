"""Indexing benchmark: the whole Karlsruhe corpus through the real OParl crawler.

The local OParl server (tests/indexer/oparl_server.py) runs in a child process and serves
../shared/data/karlsruhe as an OParl 1.1 API with PDFs generated from the real texts (rendered
once into bench/out/pdf-cache before timing starts). This process crawls it into the embedded
index and prints: full index time, papers/files/chunks, the incremental re-run time with no
changes (target < 5 s), index size on disk and peak memory of the indexer process.

The index stays in bench/out/karlsruhe/index (ids are the real Karlsruhe OParl ids), so
bench/search.py can reuse it.

`--scale 1,3,10` measures how time and memory grow with the corpus instead: the server lists
the Karlsruhe papers 1, 3 and 10 times under new ids (3,012 / 9,036 / 30,120 papers; every
file served as text with a line naming its copy, so nothing is folded as a duplicate and each
size costs the same per paper), and each size is indexed by a fresh indexer process, whose
peak RSS (and its parser worker's) is reported with the time.

    .venv/bin/python bench/index.py [--papers N] [--data-dir DIR] [--keep] [--json]
    .venv/bin/python bench/index.py --embed    # with vectors, as `kiw index oparl` runs it

`--embed` gives the index the production e5 encoder with `kiw index`'s embedding workers
(indexer/encoder_pool.py): each run writes the keyword index, then embeds what is chosen and
not yet embedded (a line of progress every 30 s on stderr). The figures then include the
passages embedded, the vectors afterwards, the embedding step's time, and the CPU time of each
run (the indexer, its parser and embedding workers; not the OParl server).
`--touch-one` (with an existing index, like --keep) serves the newest paper with a file as
changed (a new name: its overview and every passage change their embedded text) and reports
what the run embedded beside the number of that paper's chosen passages.
    .venv/bin/python bench/index.py --scale 1,3,10 [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from indexer.embedded import EmbeddedIndex  # noqa: E402
from indexer.encoders import E5Encoder  # noqa: E402
from indexer.jobs import index_oparl  # noqa: E402
from indexer.workers import embedding_workers  # noqa: E402
from tests.indexer.oparl_server import loopback_only_session  # noqa: E402


def _dir_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def _start_server(args: argparse.Namespace, copies: int = 0) -> tuple[subprocess.Popen[str], str]:
    cmd = [
        sys.executable,
        "-m",
        "tests.indexer.oparl_server",
        "--emit-origin",
        "--page-size",
        str(args.page_size),
        "--cache",
        str(args.cache),
        "--port",
        str(args.port),
    ]
    cmd += ["--copies", str(copies)] if copies else ["--prerender"]
    if args.papers:
        cmd += ["--papers", str(args.papers)]
    if getattr(args, "touch_one", False):
        cmd += ["--touch-paper"]
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    line = proc.stdout.readline().strip()  # printed once the PDFs are rendered
    if line.startswith("touched "):
        args.touched = line.removeprefix("touched ")
        line = proc.stdout.readline().strip()
    if not line.startswith("http://127.0.0.1:"):
        proc.kill()
        raise SystemExit(f"the OParl test server did not start (got {line!r})")
    return proc, line


async def _run(
    url: str, data_dir: Path, workers: int, embed: bool = False
) -> tuple[Any, float, int, int]:
    """One `kiw index oparl` as the CLI runs it; the time includes closing the index (the
    embedded backend finishes its writer session there)."""
    encoder = E5Encoder(workers=embedding_workers()) if embed else None
    index = EmbeddedIndex(data_dir / "index", encoder=encoder)
    started = time.perf_counter()
    try:
        async with loopback_only_session() as session:
            summary = await index_oparl(
                url,
                index,
                data_dir,
                session=session,
                concurrency=4,
                parse_workers=workers,
                progress_lines=embed,
            )
    finally:
        await index.close()
        if encoder is not None:
            encoder.close()  # its workers end here, so their CPU time is counted
    elapsed = time.perf_counter() - started
    reader = EmbeddedIndex(data_dir / "index")
    try:
        papers = sum(1 for d in await reader.document_ids() if "/papers/" in d)
        return summary, elapsed, papers, reader.count_chunks()
    finally:
        await reader.close()


def _chosen_texts(data_dir: Path, doc_id: str) -> dict[str, int]:
    """How many passages a document has, and how many distinct texts of it are chosen for
    embedding (read from the vector store's chunk rows)."""
    db = sqlite3.connect(f"file:{data_dir / 'index' / 'vectors.sqlite'}?mode=ro", uri=True)
    try:
        chunks, chosen = db.execute(
            "SELECT count(*), count(DISTINCT CASE WHEN chosen_for_embedding = 1 "
            "THEN text_hash END) FROM chunks WHERE doc_id = ?",
            (doc_id,),
        ).fetchone()
    finally:
        db.close()
    return {"chunks": int(chunks), "chosen_texts": int(chosen)}


def _cpu_seconds() -> float:
    """CPU time of this process and its reaped children (parser and embedding workers)."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def _crawl_once(url: str, data_dir: Path, workers: int) -> int:
    """The child side of --scale: one full run in this fresh process, figures as JSON."""
    summary, elapsed, papers, chunks = asyncio.run(_run(url, data_dir, workers))
    figures = {
        "seconds": round(elapsed, 1),
        "papers_indexed": papers,
        "chunks": chunks,
        "files_parsed": summary.files,
        "failures": summary.failure_count,
        "peak_rss_mb_indexer": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "peak_rss_mb_worker": round(
            resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1
        ),
        "checkpoint_mb": round(
            sum(f.stat().st_size for f in (data_dir / "index-state").glob("*.json")) / 1e6, 1
        ),
    }
    print(json.dumps(figures))
    return 0


def _scale(args: argparse.Namespace) -> int:
    """Index the synthetic corpus at each size with a fresh indexer process per size."""
    rows = []
    for copies in [int(c) for c in args.scale.split(",")]:
        data_dir = args.data_dir.parent / f"scale-{copies}"
        shutil.rmtree(data_dir, ignore_errors=True)
        data_dir.mkdir(parents=True)
        proc, url = _start_server(args, copies)
        try:
            child = subprocess.run(
                [
                    *(sys.executable, __file__, "--crawl-once", url),
                    *("--data-dir", str(data_dir), "--parse-workers", str(args.parse_workers)),
                ],
                cwd=REPO,
                capture_output=True,
                text=True,
                check=True,
            )
        finally:
            proc.terminate()
            proc.wait(timeout=30)
        row = {"copies": copies, **json.loads(child.stdout.strip().splitlines()[-1])}
        rows.append(row)
        if not args.keep:
            shutil.rmtree(data_dir, ignore_errors=True)
        if not args.json:
            print(
                f"  {row['papers_indexed']:>6} papers  {row['seconds']:>7.1f} s  "
                f"({row['seconds'] / max(row['papers_indexed'], 1) * 1000:.1f} ms/paper)  "
                f"chunks {row['chunks']:>7}  peak RSS {row['peak_rss_mb_indexer']:>6.1f} MB "
                f"indexer, {row['peak_rss_mb_worker']:>5.1f} MB parser worker  "
                f"checkpoint {row['checkpoint_mb']} MB  failures {row['failures']}",
                flush=True,
            )
    if args.json:
        print(json.dumps(rows, indent=2))
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data-dir", type=Path, default=REPO / "bench" / "out" / "karlsruhe")
    parser.add_argument("--cache", type=Path, default=REPO / "bench" / "out" / "pdf-cache")
    parser.add_argument("--papers", type=int, default=None, help="only the N newest papers")
    parser.add_argument("--page-size", type=int, default=50)
    # A fixed port keeps the System URL, and so the checkpoint, the same across runs (--keep).
    parser.add_argument("--port", type=int, default=18765, help="loopback port of the server")
    parser.add_argument("--keep", action="store_true", help="keep the existing index (no full run)")
    parser.add_argument("--parse-workers", type=int, default=1, help="parser processes (0: thread)")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--embed", action="store_true", help="with vectors (e5), as kiw index")
    parser.add_argument(
        "--touch-one", action="store_true", help="one changed paper on an existing index"
    )
    parser.add_argument(
        "--scale",
        default=None,
        metavar="COPIES",
        help="synthetic corpus sizes as copies of the Karlsruhe papers, e.g. 1,3,10",
    )
    parser.add_argument("--crawl-once", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.crawl_once:
        return _crawl_once(args.crawl_once, args.data_dir, args.parse_workers)
    if args.scale:
        print(
            f"synthetic corpus, a fresh indexer process per size, {os.cpu_count()} CPUs",
            file=sys.stderr,
        )
        return _scale(args)

    args.keep = args.keep or args.touch_one
    if not args.keep:
        shutil.rmtree(args.data_dir / "index", ignore_errors=True)
        shutil.rmtree(args.data_dir / "index-state", ignore_errors=True)
    args.data_dir.mkdir(parents=True, exist_ok=True)
    print("starting the local OParl server (renders missing PDFs first) …", file=sys.stderr)
    proc, url = _start_server(args)
    figures: dict[str, Any] = {"url": url, "data_dir": str(args.data_dir)}
    try:
        if not args.keep:
            cpu = _cpu_seconds()
            summary, elapsed, papers, chunks = asyncio.run(
                _run(url, args.data_dir, args.parse_workers, args.embed)
            )
            figures["full"] = {
                "seconds": round(elapsed, 1),
                "cpu_seconds": round(_cpu_seconds() - cpu, 1),
                "embedded": summary.embedded,
                "vectors": summary.vectors,
                "embed_seconds": round(summary.embed_seconds, 1),
                "failures": summary.failure_count,
                "papers_indexed": papers,
                "documents": summary.changed,
                "files_parsed": summary.files,
                "file_bytes": summary.bytes,
                "chunks": chunks,
                "deleted": summary.deleted,
                "skipped": summary.skip_count,
                "skip_reasons": summary.skip_reasons(),
            }
        cpu = _cpu_seconds()
        summary, elapsed, papers, chunks = asyncio.run(
            _run(url, args.data_dir, args.parse_workers, args.embed)
        )
        figures["incremental_no_changes"] = {
            "seconds": round(elapsed, 2),
            "cpu_seconds": round(_cpu_seconds() - cpu, 1),
            "embedded": summary.embedded,
            "vectors": summary.vectors,
            "fetched": summary.fetched,
            "changed": summary.changed,
            "files": summary.files,
        }
        touched = getattr(args, "touched", None)
        if touched:
            figures["touched"] = {"paper": touched, **_chosen_texts(args.data_dir, touched)}
        figures["index_bytes_on_disk"] = _dir_size(args.data_dir / "index")
        figures["peak_rss_mb_indexer"] = round(
            resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1
        )
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    figures["peak_rss_mb_server"] = round(
        resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1
    )
    if args.json:
        print(json.dumps(figures, indent=2, ensure_ascii=False))
        return 0
    print(f"Karlsruhe corpus via local OParl server ({url}), {os.cpu_count()} CPUs")
    full = figures.get("full")
    if full:
        print(
            f"  full index:     {full['seconds']:>8.1f} s  papers {full['papers_indexed']}, "
            f"documents {full['documents']}, files parsed {full['files_parsed']} "
            f"({full['file_bytes'] / 1e6:.0f} MB PDF), chunks {full['chunks']}"
        )
        print(f"  skipped:        {full['skipped']} {full['skip_reasons']}")
        print(
            f"  CPU time:       {full['cpu_seconds']:>8.1f} s  (indexer and its workers); "
            f"embedded {full['embedded']} passages in {full['embed_seconds']:.1f} s, "
            f"vectors {full['vectors']}, failures {full['failures']}"
        )
    inc = figures["incremental_no_changes"]
    print(
        f"  incremental:    {inc['seconds']:>8.2f} s  "
        f"({'one paper changed' if 'touched' in figures else 'no changes'}; "
        f"fetched {inc['fetched']}, "
        f"changed {inc['changed']}, files {inc['files']}; target < 5 s; "
        f"CPU {inc['cpu_seconds']} s, embedded {inc['embedded']}, vectors {inc['vectors']})"
    )
    if "touched" in figures:
        t = figures["touched"]
        print(
            f"  changed paper:  {t['paper']}: {t['chunks']} passages, {t['chosen_texts']} "
            f"distinct texts chosen for embedding (the run above embedded {inc['embedded']})"
        )
    print(
        f"  index on disk:  {figures['index_bytes_on_disk'] / 1e6:>8.1f} MB  ({args.data_dir / 'index'})"
    )
    print(
        f"  peak memory:    {figures['peak_rss_mb_indexer']:>8.1f} MB indexer, "
        f"{figures['peak_rss_mb_server']:.1f} MB largest child (OParl server, parser worker)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
