"""`hilfe` lists the registered skills; `hilfe <befehl>` explains one."""

from __future__ import annotations

from typing import cast

from bot.render.text import result_text
from skills import help as help_skill
from skills.context import Skill, SkillContext
from skills.registry import all_skills
from skills.results import Notice
from skills.types import SkillRequest, SkillResult

# Help needs nothing of the context but the registry the composition root passed on.
CTX = cast(SkillContext, type("Ctx", (), {"skills": all_skills()})())


async def test_lists_every_registered_skill() -> None:
    result = await help_skill.run(SkillRequest(text=""), ctx=CTX)
    skills = all_skills()
    assert [e["name"] for e in result.as_json()["skills"]] == [s.name for s in skills]
    for skill in skills:
        assert f"- {skill.commands[0]}: {skill.title}" in result_text(result)
    assert result.outcome == "ok" and not result.ai_generated


async def test_focused_help_for_one_command() -> None:
    result = await help_skill.run(SkillRequest(text="kipass"), ctx=CTX)
    assert result.as_json()["focused"] is True
    [entry] = result.as_json()["skills"]
    assert entry["command"] == "kipass"
    assert result_text(result).startswith("KI-Pass")


async def test_unknown_topic_gets_the_full_list() -> None:
    result = await help_skill.run(SkillRequest(text="wetter"), ctx=CTX)
    assert "focused" not in result.as_json()
    assert len(result.as_json()["skills"]) == len(all_skills())


async def test_help_says_which_commands_need_the_kipass() -> None:
    """As the gate decides (skills/gate.py): questions and summaries yes, a search no."""
    result = await help_skill.run(SkillRequest(text=""), ctx=CTX)
    assert "- frage: " in result_text(result) and "(KI-Pass nötig)" in result_text(result)
    assert "(Suche ohne KI-Pass, Antworten auf Fragen mit KI-Pass)" in result_text(result)
    assert "- kipass: KI-Pass (ohne KI-Pass)." in result_text(result)
    entries = {e["command"]: e["kipass"] for e in result.as_json()["skills"]}
    assert entries["suche"] == "Suche ohne KI-Pass, Antworten auf Fragen mit KI-Pass"
    focused = await help_skill.run(SkillRequest(text="suche"), ctx=CTX)
    assert "Die Suche funktioniert ohne KI-Pass; für Antworten auf Fragen" in result_text(focused)
    focused = await help_skill.run(SkillRequest(text="kipass"), ctx=CTX)
    assert result_text(focused).endswith("Dafür brauchen Sie keinen KI-Pass.")


async def test_lists_the_registry_it_is_given_not_a_global_one() -> None:
    async def run(request: SkillRequest, ctx: SkillContext) -> SkillResult:
        return SkillResult(Notice(""))

    own = Skill("wetter", ("wetter",), "Wetter", "Sagt das Wetter.", False, run)
    ctx = cast(SkillContext, type("Ctx", (), {"skills": (help_skill.SKILL, own)})())
    result = await help_skill.run(SkillRequest(text=""), ctx=ctx)
    assert [e["name"] for e in result.as_json()["skills"]] == ["help", "wetter"]
    focused = await help_skill.run(SkillRequest(text="wetter"), ctx=ctx)
    assert focused.as_json()["focused"] is True
    unknown = await help_skill.run(SkillRequest(text="suche"), ctx=ctx)  # not registered here
    assert "focused" not in unknown.as_json()


async def test_help_is_a_typed_result_the_front_end_draws() -> None:
    """Data, not a card: the chat lists its own registry for `Help()`, and explains one command
    in text for a focused one."""
    from skills.results import Help

    everything = await help_skill.run(SkillRequest(text="", bot_name="Assistent"), ctx=CTX)
    one = await help_skill.run(SkillRequest(text="suche"), ctx=CTX)
    assert isinstance(everything.payload, Help) and isinstance(one.payload, Help)
    assert (everything.payload.bot_name, everything.payload.focused) == ("Assistent", "")
    assert [e.name for e in everything.payload.entries] == [s.name for s in all_skills()]
    assert one.payload.focused == "allris_search" and "suche" in result_text(one)
    assert [e.command for e in one.payload.entries] == ["suche"]
