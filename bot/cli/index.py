"""`kiw index`: fill the search index.

    kiw index oparl URL [--max-papers N]          council documents from an OParl System/Body
    kiw index files PATH… --collection policies   local PDF, DOCX, Markdown, text, HTML
    kiw index samples                              the project's own sample corpus
    kiw index vectors                              only the passage vectors (semantic retrieval)

Every run resumes from / updates its checkpoint under DATA_DIR/index-state/, prints a summary
(fetched, changed, deleted, skipped with reasons, elapsed) and, with --json, that summary as
JSON. Progress bars appear on a terminal only; elsewhere a long embedding step prints a line
every 30 s on stderr. After the documents, each run embeds the passages that are new or changed
(KIW_SEMANTIC=off: none); `kiw index vectors` does only that, and also gives an index built
before vectors its vectors, from the text it stores.

Exit codes (for schedulers): 0 done; 1 could not run (unreachable entry URL, index busy);
2 wrong arguments; 3 ran, but something failed and is tried again next run (a list page, a
document, a file download, a refused mass delete) — the first reason is printed on stderr,
and the checkpoint keeps everything that was written.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from bot.cli.common import add_common, emit_json, settings_from_args
from indexer.model import COLLECTIONS, COUNCIL, POLICIES, PUBLIC, SearchIndex
from indexer.workers import embedding_workers

REPO = Path(__file__).resolve().parents[2]
# Files are parsed in one worker process (started only when a file needs parsing): a PDF that
# crashes pdfium costs that file, not the run, and parsing overlaps the index writer.
PARSE_WORKERS = 1
# Passages are embedded in worker processes, one per core (indexer/encoder_pool.py).
EMBED_WORKERS = embedding_workers()
EXIT_INCOMPLETE = 3


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("index", help="fill the search index (OParl, local files, samples)")
    kinds = p.add_subparsers(dest="index_kind", required=True, metavar="SOURCE")

    oparl = kinds.add_parser(
        "oparl", help="crawl an OParl System or Body URL (ALLRIS, SessionNet, …)"
    )
    oparl.add_argument("url", help="e.g. https://ratsinfo.example.de/bi/oparl/1.0/system.asp")
    oparl.add_argument(
        "--max-papers", type=int, default=None, help="stop after N papers (trial runs)"
    )
    oparl.add_argument(
        "--full",
        action="store_true",
        help="list everything (ignore modified_since) and remove what the server no longer lists",
    )
    oparl.add_argument(
        "--max-delete-share",
        type=float,
        default=None,
        metavar="PERCENT",
        help="a --full run removes at most this share of the source's indexed documents "
        "(default 10)",
    )
    oparl.add_argument(
        "--allow-mass-delete",
        action="store_true",
        help="let a --full run remove more than --max-delete-share (after checking the server)",
    )
    oparl.add_argument("--verbose", action="store_true", help="log every skipped file")
    add_common(oparl)
    oparl.set_defaults(func=_run_oparl)

    files = kinds.add_parser(
        "files", help="index local documents (PDF, DOCX, Markdown, text, HTML)"
    )
    files.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    files.add_argument("--collection", required=True, choices=COLLECTIONS)
    files.add_argument(
        "--access",
        nargs="+",
        default=[PUBLIC],
        metavar="GROUP",
        help="access groups of these documents (default: public; put PATHs before this "
        "option); front matter may override",
    )
    files.add_argument("--verbose", action="store_true", help="log every skipped file")
    add_common(files)
    files.set_defaults(func=_run_files)

    samples = kinds.add_parser("samples", help="index samples/policies and samples/council")
    samples.add_argument("--verbose", action="store_true", help="log every skipped file")
    add_common(samples)
    samples.set_defaults(func=_run_samples)

    vectors = kinds.add_parser(
        "vectors",
        help="embed the passages that have no vector yet (an older index, an interrupted run, "
        "another encoder); nothing is downloaded",
    )
    add_common(vectors)
    vectors.set_defaults(func=_run_vectors)


def _quiet_logs(args: argparse.Namespace) -> None:
    if not getattr(args, "verbose", False):
        # Skips are listed in the summary; per-file log lines would drown the progress bars.
        logging.getLogger("indexer").setLevel(logging.WARNING)


def _run_with_index(
    args: argparse.Namespace, work: Callable[[SearchIndex, Path], Awaitable[Any]]
) -> Any:
    from bot.services import build_index

    settings = settings_from_args(args)
    index = build_index(settings, embed_workers=EMBED_WORKERS)

    async def go() -> Any:
        try:
            return await work(index, settings.data_dir)
        finally:
            await index.close()

    return asyncio.run(go())


def _progress(args: argparse.Namespace) -> bool:
    from indexer.progress import wants_progress

    return wants_progress(bool(args.json))


def _report(args: argparse.Namespace, label: str, summaries: list[tuple[str, Any]]) -> int:
    code = 0
    for name, s in summaries:
        line = s.failure_line()
        if line:  # one line on stderr, with --json too: what a scheduler's mail shows
            print(f"{label} {name} incomplete: {line}", file=sys.stderr)
            code = EXIT_INCOMPLETE
    if args.json:
        if len(summaries) == 1:
            emit_json({"source": summaries[0][0], **summaries[0][1].as_dict()})
        else:
            emit_json([{"source": name, **s.as_dict()} for name, s in summaries])
        return code
    for name, s in summaries:
        d = s.as_dict()
        print(f"{label} {name}")
        if d["message"]:
            print(f"  {d['message']}")
        print(
            f"  fetched {d['fetched']}, changed {d['changed']}, unchanged {d['unchanged']}, "
            f"deleted {d['deleted']}, skipped {d['skipped']}, chunks {d['chunks']}, "
            f"files {d['files']} ({d['bytes'] / 1_000_000:.1f} MB, {d['files_reused']} reused), "
            f"{d['elapsed_seconds']:.1f} s"
        )
        if d["vectors"] is not None:
            print(
                f"  vectors: embedded {d['embedded']} passages in {d['embed_seconds']:.1f} s, "
                f"{d['vectors']} in the index"
            )
        for reason, count in d["skip_reasons"].items():
            print(f"    {count:>5} × {reason}")
    return code


def _errors() -> tuple[type[BaseException], ...]:
    from indexer.embedded import IndexVersionError
    from indexer.embedded_writer import IndexBusyError
    from indexer.oparl.client import OParlError

    return (OParlError, IndexBusyError, IndexVersionError, OSError)


def _run_oparl(args: argparse.Namespace) -> int:
    _quiet_logs(args)
    if not args.url.startswith(("http://", "https://")):
        print(f"Not an http(s) URL: {args.url}", file=sys.stderr)
        return 2
    if args.max_papers is not None and args.max_papers < 1:
        print("--max-papers must be at least 1", file=sys.stderr)
        return 2
    share = args.max_delete_share
    if share is not None and not 0 <= share <= 100:
        print("--max-delete-share must be a percentage from 0 to 100", file=sys.stderr)
        return 2
    from indexer.jobs import index_oparl
    from indexer.oparl.crawler import MAX_DELETE_SHARE

    try:
        summary = _run_with_index(
            args,
            lambda index, data_dir: index_oparl(
                args.url,
                index,
                data_dir,
                max_papers=args.max_papers,
                progress=_progress(args),
                progress_lines=not args.json,
                full=args.full,
                parse_workers=PARSE_WORKERS,
                max_delete_share=MAX_DELETE_SHARE if share is None else share / 100,
                allow_mass_delete=args.allow_mass_delete,
            ),
        )
    except _errors() as exc:
        print(f"Indexing {args.url} failed: {exc}", file=sys.stderr)
        return 1
    return _report(args, "OParl", [(args.url, summary)])


def _run_files(args: argparse.Namespace) -> int:
    _quiet_logs(args)
    from indexer.jobs import index_files

    access = tuple(dict.fromkeys(a.strip() for a in args.access if a.strip())) or (PUBLIC,)
    try:
        summary = _run_with_index(
            args,
            lambda index, data_dir: index_files(
                args.paths,
                index,
                data_dir,
                collection=args.collection,
                access=access,
                progress=_progress(args),
                progress_lines=not args.json,
                parse_workers=PARSE_WORKERS,
            ),
        )
    except _errors() as exc:
        print(f"Indexing files failed: {exc}", file=sys.stderr)
        return 1
    return _report(args, "Files", [(" ".join(str(p) for p in args.paths), summary)])


def samples_root() -> Path:
    """The repository (where samples/ lives); the current folder when installed elsewhere."""
    return REPO if (REPO / "samples").is_dir() else Path.cwd()


def _run_samples(args: argparse.Namespace) -> int:
    _quiet_logs(args)
    from indexer.jobs import index_files

    root = samples_root()

    async def work(index: SearchIndex, data_dir: Path) -> list[tuple[str, Any]]:
        out = []
        for collection in (POLICIES, COUNCIL):
            folder = root / "samples" / collection
            paths = [folder] if folder.is_dir() else []
            summary = await index_files(
                paths,
                index,
                data_dir,
                collection=collection,
                root=root,
                progress=False,
                parse_workers=PARSE_WORKERS,
            )
            out.append((f"samples/{collection}", summary))
        return out

    try:
        summaries = _run_with_index(args, work)
    except _errors() as exc:
        print(f"Indexing the samples failed: {exc}", file=sys.stderr)
        return 1
    return _report(args, "Samples", summaries)


def _run_vectors(args: argparse.Namespace) -> int:
    from bot.services import build_index
    from indexer.pipeline import EmbedsPassages
    from indexer.progress import Progress

    settings = settings_from_args(args)
    if not settings.semantic:
        print(
            "Semantic retrieval is off (KIW_SEMANTIC=off): no vectors to compute.", file=sys.stderr
        )
        return 2
    index = build_index(settings, embed_workers=EMBED_WORKERS)
    if not isinstance(index, EmbedsPassages):
        print(
            f"The {settings.index_backend.value} index backend does not keep vectors here.",
            file=sys.stderr,
        )
        return 2
    bar = Progress(enabled=_progress(args), lines=not args.json)

    async def go() -> Any:
        try:
            return await index.embed_pending(progress=bar.vectors, full_sync=True)
        finally:
            bar.close()
            await index.close()

    try:
        report = asyncio.run(go())
    except _errors() as exc:
        print(f"Computing vectors failed: {exc}", file=sys.stderr)
        return 1
    figures = {
        "encoder": report.encoder,
        "recorded": report.recorded,
        "embedded": report.embedded,
        "pruned": report.pruned,
        "vectors": report.vectors,
        "elapsed_seconds": round(report.seconds, 3),
    }
    if args.json:
        emit_json(figures)
    else:
        print(
            f"Vectors ({report.encoder}): embedded {report.embedded} passages in "
            f"{report.seconds:.1f} s, {report.vectors} in the index; {report.recorded} chunks "
            f"read from the index, {report.pruned} unused vectors removed"
        )
    return 0
