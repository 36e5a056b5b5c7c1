"""`hilfe`: what the assistant can do. Works without a KI-Pass."""

from __future__ import annotations

from skills.context import Skill, SkillContext
from skills.types import SkillRequest, SkillResult

WELCOME = "Willkommen beim KI-Werkstatt Assistenten der Hansestadt Lübeck."


async def run(request: SkillRequest, ctx: SkillContext) -> SkillResult:
    from skills.registry import all_skills

    lines = [WELCOME, "", "Das kann ich für Sie tun:"]
    for skill in all_skills():
        lines.append(f"- {skill.title} ({skill.commands[0]}): {skill.description}")
    return SkillResult(text="\n".join(lines), data={"skills": [s.name for s in all_skills()]})


SKILL = Skill(
    name="help",
    commands=("hilfe", "help", "?"),
    title="Hilfe",
    description="Zeigt, was der Assistent kann und wie Sie ihn ansprechen.",
    requires_kipass=False,
    run=run,
)
