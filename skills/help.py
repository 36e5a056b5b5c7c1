"""`hilfe`: what the assistant can do. Works without a KI-Pass.

`hilfe` lists every registered skill; `hilfe suche` explains one command. The bot shows the
list as a card (bot/cards); the CLI prints the text or, with --json, `data`.
"""

from __future__ import annotations

from skills.context import Skill, SkillContext
from skills.types import SkillRequest, SkillResult

WELCOME = "Willkommen beim KI-Werkstatt Assistenten der Hansestadt Lübeck."
KIPASS_NOTE = "KI-Pass nötig"


def _line(skill: Skill) -> str:
    note = f" ({KIPASS_NOTE})" if skill.requires_kipass else ""
    return f"- {skill.commands[0]}: {skill.title}{note}. {skill.description}"


def _entry(skill: Skill) -> dict[str, object]:
    return {
        "name": skill.name,
        "command": skill.commands[0],
        "aliases": list(skill.commands[1:]),
        "title": skill.title,
        "description": skill.description,
        "requires_kipass": skill.requires_kipass,
    }


async def run(request: SkillRequest, ctx: SkillContext) -> SkillResult:
    from skills.registry import all_skills

    skills = [s for s in all_skills() if s.commands]
    asked = request.text.strip().lower().split(" ", 1)[0] if request.text.strip() else ""
    focused = [s for s in skills if asked and asked in (c.lower() for c in s.commands)]
    if focused:
        skill = focused[0]
        aliases = ", ".join(skill.commands[1:])
        text = "\n".join(
            [
                f"{skill.title}: {skill.description}",
                f"So schreiben Sie es: „{skill.commands[0]} …“"
                + (f" (auch: {aliases})" if aliases else ""),
                "Dafür brauchen Sie einen gültigen KI-Pass." if skill.requires_kipass else "",
            ]
        ).strip()
        return SkillResult(text=text, data={"skills": [_entry(skill)], "focused": True})
    lines = [WELCOME, "Das kann ich für Sie tun:", *(_line(s) for s in skills)]
    return SkillResult(text="\n".join(lines), data={"skills": [_entry(s) for s in skills]})


SKILL = Skill(
    name="help",
    commands=("hilfe", "help", "?"),
    title="Hilfe",
    description="Zeigt, was der Assistent kann und wie Sie ihn ansprechen.",
    requires_kipass=False,
    run=run,
)
