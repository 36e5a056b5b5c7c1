"""`kiw ask "QUESTION"` and `kiw summarise (PATH | REFERENCE | -)`: the skills from the shell.

Same gate and access rules as in Teams: with `--user ID` the user is resolved through the
configured directory and needs a valid KI-Pass (exit 3 otherwise); without it the local
operator sees public documents only. `--audience USER…` answers as the bot would in a group chat
or channel of these members (bot/cli/audience.py).

    kiw ask "Wie lange ist der KI-Pass gültig?" --json
      -> {"answer": str, "citations": [{"n", "title", "url", "doc_id", "page", "quote"}], "grounded": bool}
         not grounded, also "pointers": [{"title", "heading", "page", "reference", "snippet",
         "url", "doc_id"}] (the places to check, maybe none)
    kiw summarise VO/2025/12345 --json
      -> {"summary", "key_points", "decision_proposal", "financial_impact", "deadlines", "citations"}
"""

from __future__ import annotations

import argparse
import asyncio
import mimetypes
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from bot.cli import common
from bot.cli.audience import add_audience_option, report_withheld
from bot.cli.gate import add_user_option, print_refusal
from bot.cli.turns import cli_invocation, cli_pipeline
from bot.render.text import result_text
from indexer.model import COUNCIL, POLICIES
from skills.types import Attachment, SkillOptions, SkillResult

if TYPE_CHECKING:
    from bot.pipeline import Pipeline
    from bot.settings import Settings

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2
MAX_FILE_BYTES = 60_000_000


def register(sub: argparse._SubParsersAction) -> None:
    ask = sub.add_parser("ask", help="ask a question (policies or council documents)")
    ask.add_argument("question", help="the question, in quotes")
    ask.add_argument("--collection", choices=(POLICIES, COUNCIL), default=POLICIES)
    add_user_option(ask)
    add_audience_option(ask)
    common.add_common(ask)
    ask.set_defaults(func=_ask)

    summarise = sub.add_parser("summarise", aliases=["summarize"], help="summarise a document")
    summarise.add_argument(
        "source", help="a file path, a paper reference, an ALLRIS link, or - for stdin"
    )
    add_user_option(summarise)
    add_audience_option(summarise)
    common.add_common(summarise)
    summarise.set_defaults(func=_summarise)


async def _run_skill(
    args: argparse.Namespace,
    skill: str,
    command: str,
    text: str,
    *,
    options: SkillOptions | None = None,
    attachments: tuple[Attachment, ...] = (),
) -> int:
    """`skill` on `text` through the turn pipeline, as `--user` in an `--audience` would get it."""
    settings = common.settings_from_args(args)
    needs_directory = bool(args.user or getattr(args, "audience", None))
    async with cli_pipeline(settings, needs_directory=needs_directory) as pipeline:
        invocation = await cli_invocation(
            args,
            settings,
            pipeline,
            text,
            skill=skill,
            command=command,
            options=options,
            attachments=attachments,
        )
        outcome = await pipeline.run(invocation)
        if outcome.result.outcome == "no_answer" and not outcome.refused:
            await warn_if_empty(pipeline, _collection_of(skill), settings)
    if outcome.refused:
        return print_refusal(outcome, as_json=args.json)
    report_withheld(outcome.withheld)
    result = outcome.result
    error = None
    if result.outcome in ("error", "bad_input") and outcome.reason:
        # A domain error (SkillError) or the deadline: its code for scripts, its German words.
        error = outcome.reason
        result.grounded = False
    return _emit(result, as_json=args.json, error=error)


def _collection_of(skill: str) -> str:
    from skills import allris_search

    return COUNCIL if skill == allris_search.NAME else POLICIES


async def warn_if_empty(pipeline: Pipeline, collection: str, settings: Settings) -> None:
    """A "keine Aussage" from an index with nothing in the asked collection says nothing about
    the rules: tell the operator on stderr (a newcomer's `kiw ask` before `kiw index samples`)."""
    if not await pipeline.ctx.index.document_ids(collection):
        print(
            f"Hinweis: Die Sammlung „{collection}“ im Index ({settings.data_dir}) ist leer – "
            "die Antwort sagt daher nichts über die Regelungen. Bitte zuerst indexieren, "
            "z. B. `kiw index samples` oder `make run`.",
            file=sys.stderr,
        )


def _emit(result: SkillResult, *, as_json: bool, error: str | None = None) -> int:
    if as_json:
        # The typed result's JSON (skills/results.py), or the domain error's code.
        text = result_text(result)
        data = {"error": error, "message": text} if error else result.as_json()
        if result.outcome in ("bad_input", "not_found", "error"):
            data.setdefault("error", result.outcome)
            data.setdefault("message", text)
        common.emit_json(data)
    else:
        stream = sys.stdout if result.outcome in ("ok", "no_answer") else sys.stderr
        print(result_text(result), file=stream)
    if result.outcome == "bad_input":
        return EXIT_USAGE
    if result.outcome in ("not_found", "error"):
        return EXIT_FAILURE
    return EXIT_OK


def _ask(args: argparse.Namespace) -> int:
    from skills import allris_search, policy_qa

    skill = policy_qa.SKILL if args.collection == POLICIES else allris_search.SKILL
    options = SkillOptions(mode="answer") if args.collection == COUNCIL else SkillOptions()
    run = _run_skill(args, skill.name, skill.commands[0], args.question, options=options)
    return asyncio.run(run)


def _summarise(args: argparse.Namespace) -> int:
    from skills import summarise

    source: str = args.source
    text = ""
    attachments: tuple[Attachment, ...] = ()
    if source == "-":
        text = sys.stdin.read()
    elif Path(source).is_file():
        path = Path(source)
        if path.stat().st_size > MAX_FILE_BYTES:
            print(
                f"Die Datei ist zu groß (höchstens {MAX_FILE_BYTES // 1_000_000} MB).",
                file=sys.stderr,
            )
            return EXIT_USAGE
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        attachments = (Attachment(path.name, content_type, path.read_bytes()),)
    else:
        text = source
    run = _run_skill(args, summarise.NAME, "zusammenfassen", text, attachments=attachments)
    return asyncio.run(run)
