"""`kiw ask "QUESTION"` and `kiw summarise (PATH | REFERENCE | -)`: the skills from the shell.

Same gate and access rules as in Teams: with `--user ID` the user is resolved through the
configured directory and needs a valid KI-Pass (exit 3 otherwise); without it the local
operator sees public documents only. `--audience USER…` answers as the bot would in a group chat
or channel of these members (bot/cli/audience.py).

    kiw ask "Wie lange ist der KI-Pass gültig?" --json
      -> {"answer": str, "citations": [{"n", "title", "url", "doc_id", "page", "quote"}], "grounded": bool}
    kiw summarise VO/2025/12345 --json
      -> {"summary", "key_points", "decision_proposal", "financial_impact", "deadlines", "citations"}
"""

from __future__ import annotations

import argparse
import asyncio
import mimetypes
import sys
from pathlib import Path
from typing import Any

from bot.cli import common
from bot.cli.audience import (
    add_audience_option,
    report_withheld,
    resolve_audience,
    watched,
    with_index,
)
from bot.cli.gate import add_user_option, gate_for_cli, home_tenant
from indexer.model import COUNCIL, POLICIES
from skills.context import Skill, SkillConfig, SkillContext
from skills.types import Attachment, SkillError, SkillRequest, SkillResult

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


class _NoDirectory:
    """Without --user nobody is looked up (the gate lets the local operator through)."""

    async def lookup(self, user_id: str) -> Any:
        from graph.principal import UnknownUser

        raise UnknownUser(user_id)

    async def ping(self) -> None:
        return None

    async def close(self) -> None:
        return None


async def _run_skill(args: argparse.Namespace, skill: Skill, request: SkillRequest) -> int:
    from bot.services import build_directory, build_generator, build_index

    settings = common.settings_from_args(args)
    index = build_index(settings)
    generator = build_generator(settings)
    members: list[str] | None = getattr(args, "audience", None)
    directory = build_directory(settings) if args.user or members else _NoDirectory()
    ctx = SkillContext(
        index=index,
        generator=generator,
        directory=directory,
        config=SkillConfig(
            kipass_training_url=settings.kipass_training_url,
            kipass_contact=settings.kipass_contact,
            policy_contact=settings.policy_contact,
            privacy_contact=settings.privacy_contact,
            council_contact=settings.council_contact,
            allris_host=settings.allris_host,
        ),
    )
    try:
        cli = await gate_for_cli(
            skill,
            args.user,
            ctx,
            as_json=args.json,
            tenant_id=home_tenant(settings),
            text=request.text,
            options=request.options,
        )
        if not cli.allowed:
            return cli.exit_code
        request.user = cli.principal
        watch = None
        if members:
            shared = await resolve_audience(members, directory)
            request.audience = shared.audience.access
            request.user = request.user or shared.operator
            watch = watched(ctx, request.own_access, request.access)
        try:
            result = await skill.run(request, with_index(ctx, watch))
        except SkillError as exc:
            result = SkillResult(text=exc.user_message, outcome="error", grounded=False,
                                 data={"error": exc.code, "message": exc.user_message})  # fmt: skip
        report_withheld(watch)
        return _emit(result, as_json=args.json)
    finally:
        await index.close()
        await generator.close()
        await directory.close()


def _emit(result: SkillResult, *, as_json: bool) -> int:
    if as_json:
        data = dict(result.data)
        if result.outcome in ("bad_input", "not_found", "error"):
            data.setdefault("error", result.outcome)
            data.setdefault("message", result.text)
        common.emit_json(data)
    else:
        stream = sys.stdout if result.outcome in ("ok", "no_answer") else sys.stderr
        print(result.text, file=stream)
    if result.outcome == "bad_input":
        return EXIT_USAGE
    if result.outcome in ("not_found", "error"):
        return EXIT_FAILURE
    return EXIT_OK


def _ask(args: argparse.Namespace) -> int:
    from skills import allris_search, policy_qa

    skill = policy_qa.SKILL if args.collection == POLICIES else allris_search.SKILL
    request = SkillRequest(
        text=args.question,
        command=skill.commands[0],
        scope="cli",
        options={"mode": "answer"} if args.collection == COUNCIL else {},
    )
    return asyncio.run(_run_skill(args, skill, request))


def _summarise(args: argparse.Namespace) -> int:
    from skills import summarise

    source: str = args.source
    request = SkillRequest(text="", command="zusammenfassen", scope="cli")
    if source == "-":
        request.text = sys.stdin.read()
    elif Path(source).is_file():
        path = Path(source)
        if path.stat().st_size > MAX_FILE_BYTES:
            print(
                f"Die Datei ist zu groß (höchstens {MAX_FILE_BYTES // 1_000_000} MB).",
                file=sys.stderr,
            )
            return EXIT_USAGE
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        request.attachments = (Attachment(path.name, content_type, path.read_bytes()),)
    else:
        request.text = source
    return asyncio.run(_run_skill(args, summarise.SKILL, request))
