"""`kiw chat "MESSAGE"`: any message through the same turn pipeline as Teams, printing what Teams
would show — for admins checking a user's view, and for tests.

    kiw chat "suche Radverkehr" [--user ID] [--audience ID…] [--json] [--data-dir DIR]

- `--user ID` (object id or UPN): the person writing, resolved in the directory with the KI-Pass
  gate and the bot's home tenant, as Teams would send them. Without it: the local operator
  (public documents only, no KI-Pass gate).
- `--audience ID…`: the message is written in a group chat of these members: the reply draws only
  on what all of them may read and says when the asker alone could read more. A personal result
  (KI-Pass status, a refusal) then goes to the person's 1:1 chat and the group gets one neutral
  line — shown as two messages, assuming the 1:1 message could be delivered.
- `--json`: the messages as the Bot Framework activity carries them (`text`, `summary`,
  `attachments` with the Adaptive Cards, `entities` with the AI label and citations,
  `channelData`), under `messages`, each with `to`: "conversation" or "personal_chat".
  Without it: what each message shows, as text — each result kind's plain text
  (bot/render/text.py: a cited answer with its sources, a page of papers with their facts, a
  card's content as lines), and the withheld notice where it applies.

Differences from Teams, on purpose: no streaming and no "Ich arbeite daran …" placeholder (the
final message is what counts), nothing is audited (an admin's check is no usage), and the text
is taken as typed (no @mention or HTML to strip).
Exit codes: 0 a reply was produced (also a refusal: it is what Teams shows), 2 configuration.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from dataclasses import dataclass, replace

from bot.cli import common
from bot.cli.audience import add_audience_option
from bot.cli.gate import add_user_option
from bot.cli.turns import cli_invocation, cli_pipeline
from bot.pipeline import Outcome
from bot.render.chat import ChatMessage, chat_reply
from bot.render.text import result_text
from bot.withheld import private_notice
from skills.audience import WITHHELD_NOTICE
from skills.types import Scope, SkillResult


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("chat", help="send a message as Teams would, print the bot's reply")
    p.add_argument("message", help='what the user writes, e.g. "suche Radverkehr" or "hilfe"')
    add_user_option(p)
    add_audience_option(p)
    common.add_common(p)
    p.set_defaults(func=run)


@dataclass(frozen=True)
class Reply:
    """One message the conversation (or the 1:1 chat) would show, and the result it shows."""

    to: str  # "conversation" | "personal_chat"
    message: ChatMessage
    result: SkillResult
    withheld: bool = False  # the withheld notice follows the answer

    def as_text(self) -> str:
        """The result's plain text (bot/render/text.py: a cited answer with its sources, a page
        of papers with their facts, a card's content as lines) and the withheld notice."""
        text = result_text(self.result)
        return f"{text}\n{WITHHELD_NOTICE}" if self.withheld else text


async def replies(args: argparse.Namespace) -> list[Reply]:
    """What the conversation (and the 1:1 chat) would show."""
    settings = common.settings_from_args(args)
    scope: Scope = "groupChat" if args.audience else "personal"
    needs_directory = bool(args.user or args.audience)
    async with cli_pipeline(settings, needs_directory=needs_directory) as pipeline:
        invocation = await cli_invocation(args, settings, pipeline, args.message, scope=scope)
        outcome = await pipeline.run(invocation)
    skills = pipeline.skills()
    app_id = settings.microsoft_app_id
    style = settings.citation_style

    def render(scope: Scope, shown: Outcome = outcome) -> ChatMessage:
        return chat_reply(shown, scope, skills, citation_style=style, bot_app_id=app_id)

    result = outcome.result
    if scope == "personal" or not result.personal:
        return [Reply("conversation", render(scope), result, outcome.withheld)]
    # As the Teams handler does (bot/teams/personal.py): the person's own message goes to the
    # 1:1 chat, the shared conversation gets a line that names nothing about them.
    shared = replace(outcome, result=private_notice(True, app_id), withheld=False)
    return [
        Reply("conversation", render(scope, shared), shared.result),
        Reply("personal_chat", render("personal"), result),
    ]


def as_text(messages: list[Reply]) -> str:
    parts: list[str] = []
    for reply in messages:
        if len(messages) > 1:
            parts.append(f"--- {'1:1 chat' if reply.to == 'personal_chat' else 'conversation'} ---")
        parts.append(reply.as_text())
    return "\n".join(parts)


def run(args: argparse.Namespace) -> int:
    messages = asyncio.run(replies(args))
    if args.json:
        shown = [{"to": reply.to, **reply.message.as_json()} for reply in messages]
        common.emit_json({"messages": shown})
    else:
        print(as_text(messages), file=sys.stdout)
    return 0
