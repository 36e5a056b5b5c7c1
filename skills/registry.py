"""The one explicit, ordered list of skills. The router matches commands in this order.

Read once by each composition root — `create_app` (bot/app.py) for the bot, each CLI command
for itself — which passes the list on to the router, the help skill (`SkillContext.skills`)
and the message extensions. Nothing looks skills up through a global.
"""

from __future__ import annotations

from collections.abc import Sequence

from skills.context import Skill


def all_skills() -> tuple[Skill, ...]:
    # Imported here, not at the top: some skills pull in heavy libraries, and a caller that only
    # needs the Skill type must not pay for them.
    from skills import allris_search, kipass, policy_qa, prioritise, summarise
    from skills import help as help_skill

    return (
        help_skill.SKILL,
        policy_qa.SKILL,
        allris_search.SKILL,
        summarise.SKILL,
        kipass.SKILL,
        prioritise.SKILL,
    )


def skill_named(skills: Sequence[Skill], name: str) -> Skill:
    """The registered skill called `name`; KeyError if it is not registered."""
    for skill in skills:
        if skill.name == name:
            return skill
    raise KeyError(name)
