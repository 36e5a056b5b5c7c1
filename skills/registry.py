"""The one explicit, ordered list of skills. The router matches commands in this order."""

from __future__ import annotations

from skills.context import Skill


def all_skills() -> list[Skill]:
    from skills import allris_search, kipass, policy_qa, prioritise, summarise
    from skills import help as help_skill

    return [
        help_skill.SKILL,
        policy_qa.SKILL,
        allris_search.SKILL,
        summarise.SKILL,
        kipass.SKILL,
        prioritise.SKILL,
    ]


def skill_by_name(name: str) -> Skill:
    for skill in all_skills():
        if skill.name == name:
            return skill
    raise KeyError(name)
