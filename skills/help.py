"""`hilfe`: what the assistant can do. Works without a KI-Pass.

`hilfe` lists every registered skill; `hilfe suche` explains one command. The bot shows the
list as a card (bot/cards), the plain text is bot/render/text.py's (with the wording below);
the CLI prints that text or, with --json, the typed `Help`.
"""

from __future__ import annotations

from skills.context import Skill, SkillContext
from skills.results import Help, HelpEntry
from skills.types import SkillRequest, SkillResult

WELCOME = "Willkommen beim KI-Werkstatt Assistenten der Hansestadt Lübeck."
KIPASS_NOTE = "KI-Pass nötig"
# A skill gated only for some requests (Skill.needs_kipass_for): allris_search's answers.
PARTLY_KIPASS_NOTE = "Suche ohne KI-Pass, Antworten auf Fragen mit KI-Pass"
NO_KIPASS_NOTE = "ohne KI-Pass"
# The app's name in the manifest; a tenant may rename it, so Teams' own name wins when sent.
DEFAULT_BOT_NAME = "KI-Assistent"


def mention_hint(bot_name: str = "") -> str:
    """How to address the bot where others read along, with the name this conversation uses."""
    name = bot_name.strip() or DEFAULT_BOT_NAME
    return f"In Kanälen und Gruppenchats erwähnen Sie mich mit @, z. B. „@{name} suche Radverkehr“."


def kipass_note(skill: Skill) -> str:
    """What the help list and card say about the KI-Pass for this skill (skills/gate.py)."""
    if skill.requires_kipass:
        return KIPASS_NOTE
    return PARTLY_KIPASS_NOTE if skill.needs_kipass_for is not None else NO_KIPASS_NOTE


def kipass_sentence(entry: HelpEntry) -> str:
    """The KI-Pass requirement of one command as a sentence (`hilfe suche`)."""
    if entry.requires_kipass:
        return "Dafür brauchen Sie einen gültigen KI-Pass."
    if entry.kipass == PARTLY_KIPASS_NOTE:
        return (
            "Die Suche funktioniert ohne KI-Pass; für Antworten auf Fragen brauchen Sie einen "
            "gültigen KI-Pass."
        )
    return "Dafür brauchen Sie keinen KI-Pass."


def _entry(skill: Skill) -> HelpEntry:
    return HelpEntry(
        skill.name,
        skill.commands[0],
        skill.commands[1:],
        skill.title,
        skill.description,
        skill.requires_kipass,
        kipass_note(skill),
    )


async def run(request: SkillRequest, ctx: SkillContext) -> SkillResult:
    skills = [s for s in ctx.skills if s.commands]
    asked = request.text.strip().lower().split(" ", 1)[0] if request.text.strip() else ""
    focused = [s for s in skills if asked and asked in (c.lower() for c in s.commands)]
    if focused:
        skill = focused[0]
        return SkillResult(Help(request.bot_name, focused=skill.name, entries=(_entry(skill),)))
    everything = tuple(_entry(s) for s in skills)
    return SkillResult(
        Help(request.bot_name, entries=everything, mention_hint=request.scope != "cli")
    )


SKILL = Skill(
    name="help",
    commands=("hilfe", "help", "?"),
    aliases=("start",),
    title="Hilfe",
    description="Zeigt, was der Assistent kann und wie Sie ihn ansprechen.",
    requires_kipass=False,
    run=run,
)
