"""One request from the shell through the turn pipeline (bot/pipeline.py), as Teams runs it.

`kiw ask`, `kiw summarise` and `kiw chat` build their seams here and hand the pipeline an
`Invocation`: the gate with `--user` (and the bot's home tenant), the audience of `--audience`
members, the deadline — the same steps as a chat turn. Nothing is audited: an admin checking
what a user would see is not that user's usage.
"""

from __future__ import annotations

import argparse
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from bot.cli.audience import resolve_audience
from bot.cli.gate import home_tenant
from bot.pipeline import Invocation, Pipeline
from bot.settings import Settings
from graph.principal import Directory, UnknownUser
from skills.audience import Audience
from skills.context import SkillContext
from skills.registry import all_skills
from skills.types import Attachment, Scope, SkillOptions


class NoDirectory:
    """Without --user or --audience nobody is looked up (the local operator needs no gate)."""

    async def lookup(self, user_id: str) -> Any:
        raise UnknownUser(user_id)

    async def ping(self) -> None:
        return None

    async def close(self) -> None:
        return None


@asynccontextmanager
async def cli_pipeline(settings: Settings, *, needs_directory: bool) -> AsyncIterator[Pipeline]:
    """The pipeline over the configured seams, closed afterwards. `needs_directory`: a user or
    an audience is to be looked up; otherwise no directory is opened (nor has to exist)."""
    from bot.services import build_directory, build_generator, build_index, skill_config

    index = build_index(settings)
    generator = build_generator(settings)
    directory: Directory = build_directory(settings) if needs_directory else NoDirectory()
    ctx = SkillContext(index, generator, directory, skill_config(settings))
    try:
        yield Pipeline(ctx, None, all_skills, deadline_seconds=settings.skill_deadline_seconds)
    finally:
        await index.close()
        await generator.close()
        await directory.close()


async def cli_invocation(
    args: argparse.Namespace,
    settings: Settings,
    pipeline: Pipeline,
    text: str,
    *,
    skill: str | None = None,
    command: str = "",
    options: SkillOptions | None = None,
    attachments: tuple[Attachment, ...] = (),
    scope: Scope = "cli",
) -> Invocation:
    """`--user` (None: the local operator) and `--audience` as the pipeline takes them."""
    members: list[str] | None = getattr(args, "audience", None)
    audience: Audience | None = None
    if members:
        audience = await resolve_audience(members, pipeline.ctx.directory)
    return Invocation(
        text,
        args.user,
        scope,
        home_tenant(settings),
        attachments=attachments,
        options=options or SkillOptions(),
        audience=audience,
        skill=skill,
        command=command,
        operator=args.user is None,
    )
