"""`kiw search "QUERY"`: ranked documents from the search index, as a user with `--user` would
see them: one row per paper with its best passages beneath, as Teams groups them (`--top N`
papers; `--json`: one object per paper, its best passage's fields plus `passages`).

    kiw search "Radverkehrsförderung" [--collection council|policies] [--user ID] [--type Antrag]
               [--from DATE] [--to DATE] [--organization NAME] [--top N] [--json] [--data-dir DIR]

Without --user: public documents only (the local operator). With --user the user is resolved
through the directory and the KI-Pass gate (`Pipeline.admit`, the same gate as Teams); a refusal
exits 3 with the JSON error. `--audience USER…`: only what a group chat or channel of these
members would be shown (bot/cli/audience.py). Bad dates or --top exit 2 with a plain-words
message.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import sys
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from bot.cli.audience import add_audience_option, report_withheld
from bot.cli.common import add_common, emit_json, settings_from_args
from bot.cli.gate import add_user_option, print_refusal
from bot.render.text import paper_lines
from indexer.model import COLLECTIONS, PUBLIC, Hit, SearchQuery, SearchResults
from kiw_common.citations import page_label
from skills.allris_papers import paper_of

MAX_TOP = 100
_BOLD = re.compile(r"\*\*(.+?)\*\*")


class UsageError(Exception):
    """Bad command-line input; the message says what to type instead (exit 2)."""


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("search", help="search the index (council papers, policies)")
    p.add_argument("query", help='what to look for, e.g. "Radverkehr Innenstadt" or "2025/0123"')
    p.add_argument("--collection", choices=COLLECTIONS, default=None)
    add_user_option(p)
    add_audience_option(p)
    p.add_argument("--type", dest="paper_type", default=None, help="paper type, e.g. Antrag")
    p.add_argument("--from", dest="date_from", default=None, help="from date (YYYY-MM-DD)")
    p.add_argument("--to", dest="date_to", default=None, help="to date (YYYY-MM-DD)")
    p.add_argument("--organization", default=None, help="committee or faction, e.g. Gemeinderat")
    p.add_argument("--top", type=int, default=10, help=f"number of hits (1–{MAX_TOP})")
    add_common(p)
    p.set_defaults(func=run)


def parse_date(value: str | None, option: str) -> date | None:
    """ISO (2025-03-31) or German (31.03.2025) dates; anything else is a usage error."""
    if value is None:
        return None
    text = value.strip()
    for fmt in ("%Y-%m-%d", "%d.%m.%Y"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise UsageError(
        f"{option} {value!r} is not a date. Use YYYY-MM-DD (e.g. 2025-03-31) or DD.MM.YYYY."
    )


def build_query(args: argparse.Namespace, access: frozenset[str]) -> SearchQuery:
    date_from = parse_date(args.date_from, "--from")
    date_to = parse_date(args.date_to, "--to")
    if date_from and date_to and date_from > date_to:
        raise UsageError(f"--from {date_from} is after --to {date_to}: swap them.")
    if not 1 <= args.top <= MAX_TOP:
        raise UsageError(f"--top must be between 1 and {MAX_TOP}, not {args.top}.")
    return SearchQuery(
        text=args.query,
        access=access,
        collection=args.collection,
        paper_type=args.paper_type,
        date_from=date_from,
        date_to=date_to,
        organization=args.organization,
        top=min(args.top * CHUNKS_PER_PAPER, 200),  # grouped into args.top papers below
    )


def hit_json(hit: Hit) -> dict[str, Any]:
    c = hit.chunk
    return {
        "id": c.id,
        "doc_id": c.doc_id,
        "title": c.title,
        "reference": c.reference,
        "paper_type": c.paper_type,
        "date": c.date.isoformat() if c.date else None,
        "organizations": list(c.organizations),
        "url": c.url,
        "page": c.page,
        "heading": c.heading,
        "file_name": c.file_name,
        "collection": c.collection,
        "paper_id": c.paper_id,
        "score": round(hit.score, 4),
        "snippet": hit.snippet,
    }


PASSAGES_PER_PAPER = 3
CHUNKS_PER_PAPER = 10  # chunks fetched per paper asked for, to group into papers


@dataclass(frozen=True)
class PaperRow:
    """One paper as Teams lists it: its best passage first, its next best beneath."""

    hits: tuple[Hit, ...]

    @property
    def best(self) -> Hit:
        return self.hits[0]


def papers_of(results: SearchResults, top: int) -> list[PaperRow]:
    grouped: dict[str, list[Hit]] = {}
    for hit in results.hits:
        grouped.setdefault(hit.chunk.doc_id, []).append(hit)
    return [PaperRow(tuple(hits[:PASSAGES_PER_PAPER])) for hits in grouped.values()][:top]


def paper_json(row: PaperRow) -> dict[str, Any]:
    out = hit_json(row.best)
    out["passages"] = [
        {k: v for k, v in hit_json(h).items() if k in ("id", "page", "heading", "file_name",
                                                         "score", "snippet")}
        for h in row.hits
    ]  # fmt: skip
    return out


def render(results: SearchResults, rows: list[PaperRow], *, color: bool) -> str:
    if not rows:
        return "No hits."
    lines = [f"{results.total} matching passages; best {len(rows)} documents:", ""]
    for n, row in enumerate(rows, 1):
        # The paper's lines as the chat's text shows a paper (bot/render/text.py), its score,
        # then its best passages with where they stand.
        title, *facts = paper_lines(paper_of(row.best.chunk, ""), n)
        lines += [f"{title}  [{row.best.score:.2f}]", *facts]
        for hit in row.hits:
            snippet = _BOLD.sub("\033[1m\\1\033[0m", hit.snippet) if color else hit.snippet
            where = " · ".join(
                x
                for x in (page_label(hit.chunk.page) if hit.chunk.page else None,
                          hit.chunk.file_name)
                if x
            )  # fmt: skip
            lines.append(f"   – {snippet}" + (f"  ({where})" if where else ""))
        lines.append("")
    return "\n".join(lines).rstrip()


async def _run(args: argparse.Namespace) -> int:
    from bot.cli.turns import cli_invocation, cli_pipeline
    from skills.allris_search import NAME as SEARCH_SKILL

    settings = settings_from_args(args)
    try:
        query = build_query(args, frozenset({PUBLIC}))  # validate input before anything else
    except UsageError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    needs_directory = bool(args.user is not None or args.audience)
    async with cli_pipeline(settings, needs_directory=needs_directory) as pipeline:
        # The same gate as the Teams "suche" command (directory lookup, tenant, fail closed) and
        # the same audience rule. A listing is a lookup, never a generated answer: the gate is
        # asked without the text, so a question-like query needs no KI-Pass here.
        invocation = await cli_invocation(
            args, settings, pipeline, "", skill=SEARCH_SKILL, command="suche"
        )
        admission = await pipeline.admit(invocation, pipeline.route(invocation))
        if not admission.allowed:
            outcome = pipeline.refusal(invocation, admission)
            return print_refusal(outcome, as_json=args.json)
        query = replace(query, access=admission.request.access)
        try:
            results = await admission.ctx.index.search(query)
            report_withheld(admission.withheld)
            empty_index = not results.hits and not await pipeline.ctx.index.document_ids()
        except Exception as exc:  # CLI boundary: backends raise plain-words errors
            print(f"Search failed: {exc}", file=sys.stderr)
            return 1
    rows = papers_of(results, args.top)
    if args.json:
        emit_json([paper_json(row) for row in rows])
    else:
        print(render(results, rows, color=sys.stdout.isatty()))
    if empty_index:
        print(
            f"The search index in {settings.data_dir} is empty: run `kiw index samples` "
            "(or `kiw index oparl URL`) first.",
            file=sys.stderr,
        )
    return 0


def run(args: argparse.Namespace) -> int:
    return asyncio.run(_run(args))
