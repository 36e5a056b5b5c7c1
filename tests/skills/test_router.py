"""The router: explicit commands first (German, English aliases), then intent, then help;
only registered skills are chosen, and what it knows of each skill the skill declares."""

from __future__ import annotations

import dataclasses

import pytest

from skills import help as help_skill
from skills import router
from skills.context import Skill, SkillContext
from skills.registry import all_skills
from skills.results import Notice
from skills.router import detect_intent, route
from skills.types import SkillRequest, SkillResult
from tests.support.linear import ends_in_time, hostile


async def _run(request: SkillRequest, ctx: SkillContext) -> SkillResult:
    return SkillResult(Notice(""))


def _skill(name: str, *commands: str, kipass: bool = True) -> Skill:
    return Skill(name, commands, name, f"{name} description", kipass, _run)


EVERYTHING = all_skills()
ALLRIS = next(s for s in EVERYTHING if s.name == "allris_search")


def _intent(text: str) -> str | None:
    found = detect_intent(text, EVERYTHING)
    return found.name if found else None


@pytest.mark.parametrize(
    ("text", "skill", "command", "rest"),
    [
        ("hilfe", "help", "hilfe", ""),
        ("Help", "help", "help", ""),
        ("frage Darf ich ChatGPT nutzen?", "policy_qa", "frage", "Darf ich ChatGPT nutzen?"),
        ("ask may I use ChatGPT?", "policy_qa", "ask", "may I use ChatGPT?"),
        ("SUCHE Radverkehr", "allris_search", "suche", "Radverkehr"),
        ("search: Radverkehr", "allris_search", "search", "Radverkehr"),
        ("/suche Radverkehr", "allris_search", "suche", "Radverkehr"),
        ("suche:\nRadverkehr Innenstadt", "allris_search", "suche", "Radverkehr Innenstadt"),
        ("zusammenfassen VO/2025/12345", "summarise", "zusammenfassen", "VO/2025/12345"),
        ("summarize VO/2025/12345", "summarise", "summarize", "VO/2025/12345"),
        ("Zusammenfassung VO/2025/12345", "summarise", "zusammenfassung", "VO/2025/12345"),
        ("question Darf ich?", "policy_qa", "question", "Darf ich?"),
        ("allris Radverkehr", "allris_search", "allris", "Radverkehr"),
        ("start", "help", "start", ""),
        ("summarise VO/2025/12345", "summarise", "summarise", "VO/2025/12345"),
        ("kipass", "kipass", "kipass", ""),
        ("KI-Pass", "kipass", "ki-pass", ""),
        ("priorisieren", "prioritise", "priorisieren", ""),
        ("prioritise", "prioritise", "prioritise", ""),
    ],
)
def test_explicit_commands(text: str, skill: str, command: str, rest: str) -> None:
    chosen = route(text, EVERYTHING)
    assert (chosen.skill.name, chosen.command, chosen.text, chosen.reason) == (
        skill,
        command,
        rest,
        "command",
    )


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("Darf ich ChatGPT für Bürgeranfragen nutzen?", "policy_qa"),
        ("Was regelt die Dienstvereinbarung zu personenbezogenen Daten", "policy_qa"),
        ("Copilot und Datenschutz", "policy_qa"),
        ("Was steht in VO/2025/12345?", "allris_search"),  # a reference beats a question word
        ("2026/0541", "allris_search"),
        ("Antrag der Grünen zum Radverkehr", "allris_search"),
        ("Vorlagen im Bauausschuss", "allris_search"),
        ("nächste Sitzung des Hauptausschusses", "allris_search"),
        ("Fasse bitte VO/2025/12345 zusammen", "summarise"),
        ("Bitte eine Zusammenfassung der Beschlussvorlage", "summarise"),
        ("Ist mein KI-Pass noch gültig?", "kipass"),
        ("Welche Prozesse sollten wir priorisieren?", "prioritise"),
        ("Quick Wins bei der Digitalisierung", "prioritise"),
        ("Guten Morgen", None),
        ("Radverkehr", None),
    ],
)
def test_intent_detection(text: str, intent: str | None) -> None:
    assert _intent(text) == intent
    chosen = route(text, EVERYTHING)
    assert chosen.skill.name == (intent or "help")
    assert chosen.reason == ("intent" if intent else "fallback")
    assert chosen.text == text and chosen.command == ""


def test_policy_words_do_not_shadow_a_command() -> None:
    chosen = route("suche Dienstvereinbarung KI", EVERYTHING)
    assert chosen.skill.name == "allris_search" and chosen.text == "Dienstvereinbarung KI"


def test_unregistered_skill_falls_back_to_help() -> None:
    # The router knows a skill only from the skill: without it, its command is just words.
    only_help = [help_skill.SKILL]
    for text in ("frage Darf ich?", "Darf ich ChatGPT nutzen?", "suche Radverkehr"):
        chosen = route(text, only_help)
        assert (chosen.skill, chosen.reason) == (help_skill.SKILL, "fallback")


def test_works_with_whatever_is_registered() -> None:
    chosen = route("Darf ich ChatGPT nutzen?", [help_skill.SKILL, ALLRIS])
    assert (chosen.skill.name, chosen.reason) == ("help", "fallback")
    chosen = route("suche Radverkehr", [help_skill.SKILL, ALLRIS])
    assert chosen.skill is ALLRIS
    # Without help registered at all, help is still the fallback.
    assert route("hallo", []).skill is help_skill.SKILL
    # The current registry routes its own commands.
    for skill in all_skills():
        assert route(f"{skill.commands[0]} x", all_skills()).skill is skill


def test_registry_order_decides_a_shared_command() -> None:
    first = _skill("first", "suche")
    second = _skill("allris_search", "suche")
    assert route("suche x", [first, second]).skill is first
    # A command beats another skill's alias, whatever the order.
    claims_alias = dataclasses.replace(_skill("first", "x"), aliases=("search",))
    assert route("search x", [claims_alias, ALLRIS]).skill is ALLRIS


def test_a_skill_declares_its_own_intent_and_rank() -> None:
    says_hallo = dataclasses.replace(
        _skill("greeting", "gruss"), intent=lambda said: "hallo" in said.head.lower()
    )
    assert route("Hallo Welt", [help_skill.SKILL, says_hallo]).skill is says_hallo
    # Ranked before search, it wins a message both would take; ranked after, search does.
    greedy = dataclasses.replace(says_hallo, intent=lambda said: True, intent_rank=1)
    assert route("Antrag Radverkehr", [ALLRIS, greedy]).skill is greedy
    late = dataclasses.replace(greedy, intent_rank=1_000)
    assert route("Antrag Radverkehr", [late, ALLRIS]).skill is ALLRIS
    assert route("Guten Morgen", [late, ALLRIS]).skill is late


def test_every_registered_skill_but_help_has_an_intent() -> None:
    assert {s.name for s in EVERYTHING if s.intent is None} == {"help"}
    ranks = [s.intent_rank for s in EVERYTHING if s.intent is not None]
    assert len(set(ranks)) == len(ranks)  # no tie: the order of intents is declared


def test_empty_text_is_help() -> None:
    chosen = route("   ", EVERYTHING)
    assert (chosen.skill.name, chosen.reason) == ("help", "empty")


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("Fass das bitte zusammen", "summarise"),
        ("fasse\nden folgenden Text kurz zusammen:", "summarise"),
        ("Fassen Sie VO/2025/12345 zusammen", "summarise"),
        ("zusammen fassen wir den Antrag", "allris_search"),  # "zusammen" before the verb
        ("fasst die Zusammenarbeit im Ausschuss", "allris_search"),  # "zusammen" inside a word
    ],
)
def test_summary_phrase_in_two_parts(text: str, intent: str) -> None:
    assert _intent(text) == intent


# Pathological messages: a word the patterns look for, repeated without what would complete it.
PATHOLOGICAL = ["fass ", "fass\n", "fasse ", "zusammen ", "ki-pass ", "mein", "antrag", "a.", "0/"]


@pytest.mark.parametrize("fragment", PATHOLOGICAL)
def test_intent_detection_stays_linear(fragment: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """With the inspection cap lifted, 200 KB of a pathological message are read to the end
    under a far guard ("fass " × 4,000, 20 KB, took 6.4 s when the patterns were quadratic;
    tests/support/linear.py says why a guard and not a timing)."""
    monkeypatch.setattr(router, "INSPECT_CHARS", 10**9, raising=False)
    text = hostile(fragment)
    failure = ends_in_time(lambda: detect_intent(text, EVERYTHING))
    assert not failure, f"{fragment!r} × {len(text) // len(fragment):,}: {failure}"


def test_router_reads_only_the_start_of_a_long_message() -> None:
    text = "fass " * 4_000  # 20 KB
    assert len(text) >= 10 * router.INSPECT_CHARS
    chosen = route(text + "zusammen", EVERYTHING)
    # "zusammen" lies beyond what the router reads (so the patterns never see 20 KB; their
    # cost on long input is test_intent_detection_stays_linear's): no summary intent, the whole
    # text goes on.
    assert chosen.skill.name == "help" and chosen.reason == "fallback"
    assert _intent("fass " * 10 + "zusammen") == "summarise"
