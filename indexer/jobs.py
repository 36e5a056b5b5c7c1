"""Ready-made indexing jobs (used by `kiw index` and bench/index.py): wire a source, the
parser, the splitter and the index sink together with the source's checkpoint."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import aiohttp

from indexer.checkpoint import Checkpoint, checkpoint_path
from indexer.files import FilesSource
from indexer.model import PUBLIC, SearchIndex
from indexer.oparl.client import OParlClient
from indexer.oparl.crawler import MAX_DELETE_SHARE, OParlSource
from indexer.parts import IndexSink
from indexer.pipeline import IndexJob
from indexer.progress import Progress
from indexer.summary import Summary

USER_AGENT = "KI-Werkstatt-Assistent-Indexer/0.1 (+OParl)"


async def index_oparl(
    url: str,
    index: SearchIndex,
    data_dir: Path,
    *,
    max_papers: int | None = None,
    progress: bool = False,
    backoff_seconds: float = 1.0,
    concurrency: int = 4,
    session: aiohttp.ClientSession | None = None,
    rewrites: Sequence[tuple[str, str]] = (),
    full: bool = False,
    parse_workers: int = 0,
    max_delete_share: float = MAX_DELETE_SHARE,
    allow_mass_delete: bool = False,
    progress_lines: bool = False,
) -> Summary:
    """Crawl one OParl System or Body into the index; resumes from / updates its checkpoint.
    `full` ignores modified_since and afterwards removes what the server no longer lists —
    only after every list was read and valid, and (unless `allow_mass_delete`) only when that
    is at most `max_delete_share` of what this source has in the index."""
    checkpoint = Checkpoint.load(checkpoint_path(data_dir, "oparl", url), source=url)
    bar = Progress(enabled=progress, lines=progress_lines)
    own_session = session is None
    http = session or aiohttp.ClientSession(
        headers={"User-Agent": USER_AGENT},
        connector=aiohttp.TCPConnector(limit=concurrency * 2),
    )
    try:
        client = OParlClient(http, backoff_seconds=backoff_seconds, rewrites=rewrites)
        source = OParlSource(
            client,
            url,
            checkpoint,
            max_papers=max_papers,
            progress=bar,
            full=full,
            max_delete_share=max_delete_share,
            allow_mass_delete=allow_mass_delete,
        )
        job = IndexJob(
            source,
            IndexSink(index),
            checkpoint,
            progress=bar,
            concurrency=concurrency,
            parse_workers=parse_workers,
        )
        summary = await job.run()
        summary.complete = not source.truncated and not source.failed_lists
        source_failures = [
            *(f"{reason}; nothing was deleted" for reason in source.failed_lists),
            *(f"could not fetch {reason}" for reason in source.failed_objects),
            *([source.refused_delete] if source.refused_delete else []),
        ]
        for reason in reversed(source_failures):
            summary.add_failure(reason, first=True)
        if source.failed_lists:
            summary.message = (
                f"{len(source.failed_lists)} list(s) failed; nothing was deleted, and the next "
                "run asks for the same changes again"
            )
        elif source.truncated:
            summary.message = (
                f"stopped after {max_papers} papers (--max-papers); the next run starts over"
            )
        elif source.resumed:
            summary.message = "resumed an interrupted run from its checkpoint"
        return summary
    finally:
        checkpoint.close()
        if own_session:
            await http.close()


async def index_files(
    paths: Sequence[Path],
    index: SearchIndex,
    data_dir: Path,
    *,
    collection: str,
    access: tuple[str, ...] = (PUBLIC,),
    root: Path | None = None,
    progress: bool = False,
    parse_workers: int = 0,
    progress_lines: bool = False,
) -> Summary:
    """Index local files into one collection; unchanged files are skipped by content hash.
    `parse_workers` > 0 parses in that many worker processes (crash isolation, parallelism)."""
    root = root or Path.cwd()
    key = f"{collection}|{root.resolve()}"
    checkpoint = Checkpoint.load(checkpoint_path(data_dir, "files", key), source=key)
    bar = Progress(enabled=progress, label="Dateien geprüft", lines=progress_lines)
    source = FilesSource(
        paths, collection=collection, checkpoint=checkpoint, root=root, access=access
    )
    # No dedupe: the same text in two local files (a policy copied into the council folder)
    # is there on purpose.
    job = IndexJob(
        source,
        IndexSink(index),
        checkpoint,
        progress=bar,
        dedupe=False,
        parse_workers=parse_workers,
    )
    try:
        summary = await job.run()
    finally:
        checkpoint.close()
    summary.unchanged = source.unchanged
    if source.considered == 0 and not summary.deleted:
        summary.message = "nothing to index"
    return summary


__all__ = ["index_files", "index_oparl"]
