"""The cards the bot itself sends, filled from JSON templates beside this file.

Templates are data (`*.json`): a string leaf that is exactly `${name}` is replaced by
the value (which may be a list or object); `${name}` inside a longer string is replaced by text;
an element with `"$when": "name"` stays only when that value is truthy (the Adaptive Card
templating syntax). Values are never re-read as templates, so user text cannot inject
placeholders. After filling,
empty text blocks, empty containers and empty action lists are dropped (Teams renders them as
gaps).
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Sequence
from functools import cache, lru_cache
from importlib import resources
from typing import Any

from bot.render.cardkit import (
    CONTENT_TYPE,
    card,
    feedback_actions,
    is_feedback_action,
    text_block,
)
from skills.context import Skill
from skills.help import kipass_note, mention_hint

__all__ = [
    "CONTENT_TYPE",
    "error_card",
    "feedback_card",
    "fill",
    "help_card",
    "help_summary",
    "result_card",
    "summary_line",
    "template",
    "welcome_card",
    "working_card",
]

_PLACEHOLDER = re.compile(r"\$\{([a-z_]+)\}")
_WHOLE = re.compile(r"^\$\{([a-z_]+)\}$")

WELCOME_TITLE = "Willkommen beim KI-Werkstatt Assistenten der Hansestadt Lübeck"
HELP_TITLE = "Das kann ich für Sie tun"


@cache
def _template_text(name: str) -> str:
    return resources.files("bot.cards").joinpath(f"{name}.json").read_text("utf-8")


def template(name: str) -> dict[str, Any]:
    """A fresh copy of one template (callers may mutate it)."""
    loaded: dict[str, Any] = json.loads(_template_text(name))
    return loaded


def _substitute(node: Any, values: dict[str, Any]) -> Any:
    if isinstance(node, str):
        whole = _WHOLE.match(node)
        if whole and whole.group(1) in values:
            return copy.deepcopy(values[whole.group(1)])
        return _PLACEHOLDER.sub(lambda m: str(values.get(m.group(1), m.group(0))), node)
    if isinstance(node, list):
        return [_substitute(item, values) for item in node if _wanted(item, values)]
    if isinstance(node, dict):
        return {key: _substitute(value, values) for key, value in node.items() if key != "$when"}
    return node


def _wanted(element: Any, values: dict[str, Any]) -> bool:
    """False for an element whose `$when` names a value that is missing or falsy."""
    return not (isinstance(element, dict) and "$when" in element) or bool(
        values.get(element["$when"])
    )


def _is_empty(element: Any) -> bool:
    if not isinstance(element, dict):
        return False
    if element.get("type") == "TextBlock":
        return not str(element.get("text", "")).strip()
    if element.get("type") == "Container":
        return not element.get("items")
    if element.get("type") == "FactSet":
        return not element.get("facts")
    return False


def _prune(card: dict[str, Any]) -> dict[str, Any]:
    card["body"] = [el for el in card.get("body", []) if not _is_empty(el)]
    for el in card["body"]:
        if isinstance(el, dict) and el.get("type") == "Container":
            el["items"] = [item for item in el["items"] if not _is_empty(item)]
    if not card.get("actions"):
        card.pop("actions", None)
    return card


def fill(name: str, **values: Any) -> dict[str, Any]:
    filled: dict[str, Any] = _substitute(template(name), values)
    return _prune(filled)


def _skill_facts(skills: Sequence[Skill]) -> list[dict[str, str]]:
    return [
        {
            "title": skill.commands[0] if skill.commands else skill.name,
            "value": f"{skill.description} ({kipass_note(skill)})",
        }
        for skill in skills
    ]


def summary_line(text: str, limit: int = 200) -> str:
    """The first line of `text`, clipped: a plain-text fallback beside a card."""
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    if len(first) <= limit:
        return first
    cut = first[:limit].rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:") + " …"


def help_summary(skills: Sequence[Skill]) -> str:
    commands = ", ".join(s.commands[0] for s in skills if s.commands)
    return f"Befehle: {commands}."


def help_card(skills: Sequence[Skill], bot_name: str = "") -> dict[str, Any]:
    """`bot_name`: the name Teams sends for the bot in this conversation (the mention example)."""
    # Built on every `hilfe`; the skills are fixed per process, so build once per name.
    loaded: dict[str, Any] = json.loads(_help_card_json(tuple(skills), bot_name))
    return loaded


@lru_cache(maxsize=32)
def _help_card_json(skills: tuple[Skill, ...], bot_name: str) -> str:
    return json.dumps(
        fill(
            "help",
            title=HELP_TITLE,
            intro="Schreiben Sie einen Befehl und danach Ihr Anliegen, zum Beispiel "
            "„frage Darf ich ChatGPT für Bürgeranfragen nutzen?“ oder „suche Radverkehr“.",
            facts=_skill_facts(skills),
            hint=mention_hint(bot_name),
        ),
        ensure_ascii=False,
    )


def welcome_card(skills: Sequence[Skill]) -> dict[str, Any]:
    """Short on purpose: the manifest's prompt starters show what to try (Microsoft: prompt
    starters or a long welcome, not both); „hilfe“ lists every command of `skills`."""
    return fill(
        "help",
        title=WELCOME_TITLE,
        intro="Ich beantworte Fragen zu den KI-Regelungen der Stadt, durchsuche ALLRIS und "
        "fasse Vorlagen zusammen. Beispiele zum Ausprobieren schlägt Teams Ihnen vor; "
        "„hilfe“ zeigt alle Befehle.",
        facts=[],
        hint="KI-Funktionen (Fragen, Zusammenfassungen) brauchen einen gültigen KI-Pass; "
        "die Suche in Ratsdokumenten, „hilfe“ und „kipass“ gehen ohne.",
    )


def working_card(detail: str = "") -> dict[str, Any]:
    return fill(
        "working",
        detail=detail
        or "Das dauert etwas länger. Ich aktualisiere diese Nachricht, sobald das Ergebnis da ist.",
    )


def error_card(
    message: str, correlation_id: str, title: str = "Das hat nicht geklappt"
) -> dict[str, Any]:
    return fill("error", title=title, message=message, correlation_id=correlation_id)


FEEDBACK_QUESTION = "War diese Antwort hilfreich?"


def feedback_card(skill: str) -> dict[str, Any]:
    """Only the 👍/👎 buttons, a card of its own below the answer (channels have no feedback
    footer; card answers carry no footer anywhere). A click replaces it with `voted_card`."""
    return card([text_block(FEEDBACK_QUESTION, subtle=True, size="Small")], feedback_actions(skill))


FEEDBACK_VOTES = {"up": "hilfreich", "down": "nicht hilfreich"}


def voted_card(reaction: str | None) -> dict[str, Any]:
    """What the feedback card becomes after a click: the vote, no buttons (one vote per card)."""
    vote = FEEDBACK_VOTES.get(reaction or "")
    said = f"Danke für Ihre Rückmeldung: „{vote}“." if vote else "Danke für Ihre Rückmeldung."
    return card([text_block(said, subtle=True, size="Small")])


def without_feedback(answer: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """(the card without its 👍/👎 buttons, whether it had any): the bot moves them onto a
    `feedback_card` of their own, so a vote replaces the buttons and never the answer."""
    actions = answer.get("actions") or []
    kept = [a for a in actions if not is_feedback_action(a)]
    if len(kept) == len(actions):
        return answer, False
    stripped = dict(answer)
    if kept:
        stripped["actions"] = kept
    else:
        stripped.pop("actions", None)
    return stripped, True


def result_card(skill: Skill, text: str) -> dict[str, Any]:
    """The generic card for a result of no card of its own that is longer than a line (focused
    help, a problem of several lines): the skill's title and the result's `text`
    (bot/render/text.py). Results that cite (answers, summaries) have cards of their own
    (bot/render/chat_cards.py); feedback buttons, where wanted, come on a card of their own."""
    return fill("result", title=skill.title, text=text)
