"""What a skill may use: the seams, and a few plain settings. Built once by the composition root."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

from indexer.model import SearchIndex

if TYPE_CHECKING:
    from graph.principal import Directory
    from skills.generator.base import Generator
    from skills.options import SkillOptions
    from skills.types import SkillRequest, SkillResult


@dataclass(frozen=True)
class SkillConfig:
    kipass_training_url: str = "https://intranet.luebeck.de/ki-pass"
    kipass_contact: str = "die KI-Werkstatt (ki-werkstatt@luebeck.de)"
    # Whom a "no answer" names, per collection: the KI-Werkstatt keeps the AI rules, data
    # protection questions go to the data protection office, council papers to the council office.
    policy_contact: str = "die KI-Werkstatt (ki-werkstatt@luebeck.de)"
    privacy_contact: str = "den behördlichen Datenschutz"
    council_contact: str = "das Büro der Bürgerschaft"
    allris_host: str = ""


@dataclass
class SkillContext:
    index: SearchIndex
    generator: Generator
    directory: Directory
    config: SkillConfig = field(default_factory=SkillConfig)
    today: Callable[[], date] = date.today
    # The registry (skills/registry.py) as the composition root built it, for the skills that
    # talk about the others (help); empty where no such skill runs.
    skills: Sequence[Skill] = ()


SkillRun = Callable[["SkillRequest", SkillContext], Awaitable["SkillResult"]]


@dataclass(frozen=True)
class Utterance:
    """What intent detection reads of a message without a command (skills/router.py)."""

    head: str  # its start (router.INSPECT_CHARS): commands and intents sit there
    ends_with_question: bool  # the whole message ends with "?"


# Whether free text asks for this skill. Runs on every message without a command: patterns must
# run in time linear in the text (no `.*` between two words).
IntentPredicate = Callable[[Utterance], bool]


@dataclass(frozen=True)
class Skill:
    name: str  # stable id, used in audit lines: "help", "kipass", "policy_qa", ...
    commands: tuple[str, ...]  # German first, English aliases after: ("hilfe", "help")
    title: str  # German label on the help card
    description: str  # one German sentence on the help card
    requires_kipass: bool  # the gate (skills/gate.py) enforces this before run()
    run: SkillRun
    # For a skill that needs no KI-Pass for its plain work but lets a model write for some
    # requests (allris_search: a search is a lookup, a question gets a generated answer): true
    # for (text, options) the gate must treat as an AI feature. See docs/identity.md.
    needs_kipass_for: Callable[[str, SkillOptions], bool] | None = None
    # More spellings the router accepts as the command, not shown on the help card.
    aliases: tuple[str, ...] = ()
    # Free text this skill answers without a command, and in which order the router asks the
    # skills (lower first): a summary request names a paper, so summarise asks before search.
    intent: IntentPredicate | None = None
    intent_rank: int = 100
