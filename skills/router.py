"""Which skill answers a message: explicit commands first, then intent detection, then help.

The router knows no skill by name: each skill declares its commands, aliases and intent
predicate (skills/context.py `Skill`), and the router reads them from the skills it is given —
the registry create_app builds (skills/registry.py). Commands are matched in registry order, a
skill's `commands` before any skill's `aliases`; intents are asked in `intent_rank` order.

Intent detection reads at most INSPECT_CHARS of a message: commands and intents sit at its
start, the skill still gets it all. The skills' patterns run in time linear in the text.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from skills import help as help_skill
from skills.context import Skill, Utterance

# Intent detection reads this much of a message (a page of text); the rest is the skill's input.
INSPECT_CHARS = 2_000

_LEADING_PUNCT = "/!#"
_TRAILING_PUNCT = ":,;.!"

# "named": a front end named the skill itself (an invoke, a CLI subcommand; bot/pipeline.py).
RouteReason = Literal["command", "intent", "empty", "fallback", "named"]


@dataclass(frozen=True)
class Route:
    skill: Skill
    command: str  # the command word the user typed ("suche"), "" for free text
    text: str  # what the skill receives: the words after the command
    reason: RouteReason


def _command_table(skills: Sequence[Skill]) -> dict[str, Skill]:
    table: dict[str, Skill] = {}
    for skill in skills:  # registry order: the first skill to claim a word keeps it
        for word in skill.commands:
            table.setdefault(word.lower(), skill)
    for skill in skills:
        for word in skill.aliases:
            table.setdefault(word.lower(), skill)
    return table


def _help(skills: Sequence[Skill]) -> Skill:
    return next((s for s in skills if s.name == help_skill.SKILL.name), help_skill.SKILL)


def _split_command(text: str) -> tuple[str, str]:
    """First word (lower case, without "/" or a trailing ":") and the rest; any whitespace
    separates them, so "suche:\nRadverkehr" works too."""
    parts = text.split(maxsplit=1)
    word = parts[0].lstrip(_LEADING_PUNCT).rstrip(_TRAILING_PUNCT).lower() if parts else ""
    rest = parts[1].strip() if len(parts) > 1 else ""  # keeps line breaks of pasted text
    return word, rest


def detect_intent(text: str, skills: Sequence[Skill]) -> Skill | None:
    """The skill free text most likely asks for, or None (reads INSPECT_CHARS of it)."""
    said = Utterance(head=text[:INSPECT_CHARS], ends_with_question=text.rstrip().endswith("?"))
    asked = sorted((s for s in skills if s.intent is not None), key=lambda s: s.intent_rank)
    return next((s for s in asked if s.intent is not None and s.intent(said)), None)


def route(text: str, skills: Sequence[Skill]) -> Route:
    """Pick the skill for `text` (mention already stripped) among the registered `skills`."""
    text = text.strip()
    if not text:
        return Route(_help(skills), "", "", "empty")
    word, rest = _split_command(text)
    table = _command_table(skills)
    if word in table:
        return Route(table[word], word, rest, "command")
    intended = detect_intent(text, skills)
    if intended is not None:
        return Route(intended, "", text, "intent")
    return Route(_help(skills), "", text, "fallback")
