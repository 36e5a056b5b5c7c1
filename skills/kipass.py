"""`kipass`: the user's own KI-Pass status, and the cards the gate shows when it refuses.

Works without a KI-Pass (that is the point: it tells the user how to get one). Cards are data
files (skills/templates/kipass_*.json) with `${name}` placeholders and `$when` conditions, the
Adaptive Card templating syntax, filled by `render_template` below.
"""

from __future__ import annotations

import copy
import json
import re
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

from graph.principal import KIPASS_STEPS, NO_EXPIRY, Principal
from indexer.model import PUBLIC
from skills.context import Skill, SkillConfig, SkillContext
from skills.types import SkillRequest, SkillResult

TEMPLATES = Path(__file__).resolve().parent / "templates"
REMINDER_DAYS = 30  # a KI-Pass ending within this many days gets a reminder

PLACEHOLDER = re.compile(r"\$\{(\w+)\}")

# German labels of well-known access groups; others are shown as they are named.
GROUP_LABELS = {PUBLIC: "öffentliche Dokumente"}
FACTION_LABELS = {
    "gruene": "Bündnis 90/Die Grünen",
    "cdu": "CDU",
    "spd": "SPD",
    "fdp": "FDP",
    "linke": "Die Linke",
    "afd": "AfD",
    "bfl": "BfL",
    "freie-waehler": "Freie Wähler",
}


# ---------------------------------------------------------------- templates


@cache
def _template(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((TEMPLATES / f"{name}.json").read_text(encoding="utf-8"))
    return data


def render_template(name: str, values: dict[str, Any]) -> dict[str, Any]:
    """Fill `${key}` placeholders; drop objects whose `$when` key names a falsy value.

    A string that is exactly one placeholder takes the value as it is (a list of facts stays a
    list); placeholders inside longer strings are replaced by the value's text.
    """

    def fill(node: Any) -> Any:
        if isinstance(node, dict):
            return {k: fill(v) for k, v in node.items() if k != "$when"}
        if isinstance(node, list):
            return [
                fill(item)
                for item in node
                if not (
                    isinstance(item, dict) and "$when" in item and not values.get(item["$when"])
                )
            ]
        if isinstance(node, str):
            whole = PLACEHOLDER.fullmatch(node)
            if whole:
                return values[whole.group(1)]
            return PLACEHOLDER.sub(lambda m: str(values[m.group(1)]), node)
        return node

    card: dict[str, Any] = fill(copy.deepcopy(_template(name)))
    if card.get("actions") == []:
        del card["actions"]  # every button was conditional and none applies
    return card


# ---------------------------------------------------------------- wording


def german_date(day: date) -> str:
    return day.strftime("%d.%m.%Y")


def group_label(group: str) -> str:
    if group in GROUP_LABELS:
        return GROUP_LABELS[group]
    if group.startswith("fraktion-"):
        short = group.removeprefix("fraktion-")
        return f"Fraktion {FACTION_LABELS.get(short, short.replace('-', ' ').title())}"
    if group.startswith("ausschuss-"):
        return f"Ausschuss {group.removeprefix('ausschuss-').replace('-', ' ').title()}"
    return group


def step_facts(principal: Principal) -> list[dict[str, str]]:
    """One fact per known step: done or open, in the city's order."""
    facts = []
    for step, label in KIPASS_STEPS.items():
        if step in principal.kipass_steps:
            done = principal.kipass_steps[step]
            facts.append({"title": label, "value": "✓ erledigt" if done else "offen"})
    return facts


def _open_steps_sentence(principal: Principal) -> str:
    open_steps = [KIPASS_STEPS.get(s, s) for s in principal.open_kipass_steps()]
    if not open_steps:
        return ""
    return "Noch offen: " + "; ".join(open_steps) + "."


def expiry_reminder(principal: Principal, today: date) -> str:
    """The reminder when a valid KI-Pass ends within REMINDER_DAYS days, else ""."""
    days = principal.kipass_days_left(today)
    if days is None or days < 0 or days > REMINDER_DAYS or principal.kipass_valid_until is None:
        return ""
    end = german_date(principal.kipass_valid_until)
    when = {0: "heute", 1: "morgen"}.get(days, f"in {days} Tagen")
    return (
        f"Ihr KI-Pass läuft {when} ab (gültig bis {end}). "
        "Bitte frischen Sie ihn rechtzeitig auf, damit Sie die KI-Funktionen weiter nutzen können."
    )


# ---------------------------------------------------------------- status (the skill)


def status_result(principal: Principal, today: date, config: SkillConfig) -> SkillResult:
    state = principal.kipass_state(today)
    until = principal.kipass_valid_until
    if state == "valid" and until is not None:
        headline = (
            "Ihr KI-Pass ist gültig (ohne Ablaufdatum)."
            if until == NO_EXPIRY
            else f"Ihr KI-Pass ist gültig bis {german_date(until)}."
        )
        color = "Good"
    elif state == "expired" and until is not None:
        headline = f"Ihr KI-Pass ist am {german_date(until)} abgelaufen."
        color = "Attention"
    else:
        headline = "Sie haben noch keinen gültigen KI-Pass."
        color = "Attention"
    reminder = expiry_reminder(principal, today) if state == "valid" else ""

    validity = "keine Angabe"
    if until == NO_EXPIRY:
        validity = "ohne Ablaufdatum"
    elif until is not None:
        validity = german_date(until)
    groups = ", ".join(group_label(g) for g in sorted(principal.access_groups))
    facts = [
        {
            "title": "Status",
            "value": {"valid": "gültig", "expired": "abgelaufen", "none": "kein KI-Pass"}[state],
        },
        {"title": "Gültig bis", "value": validity},
        {"title": "Ihre Dokumentzugänge", "value": groups},
    ]
    steps = step_facts(principal)
    if state == "valid":
        next_step = ""
    elif state == "expired":
        next_step = "Bitte frischen Sie Ihren KI-Pass mit einer Schulung auf."
    else:
        next_step = _open_steps_sentence(principal) or (
            "Den KI-Pass erhalten Sie nach der Schulung, der Kenntnisnahme der Dienstvereinbarung "
            "und der KI-Leitlinien und der digitalen Checkliste."
        )
    needs_training = state != "valid" or bool(reminder)
    card = render_template(
        "kipass_status",
        {
            "headline": headline,
            "headline_color": color,
            "reminder": reminder,
            "facts": facts,
            "steps": steps,
            "next_step": next_step,
            "contact": config.kipass_contact,
            "training_title": "Auffrischung buchen" if state != "none" else "Schulung buchen",
            "training_url": config.kipass_training_url if needs_training else "",
        },
    )
    lines = [headline]
    if reminder:
        lines.append(reminder)
    lines += [f"- {s['title']}: {s['value']}" for s in steps]
    if next_step:
        lines.append(next_step)
    if needs_training and config.kipass_training_url:
        lines.append(f"Schulung und Auffrischung: {config.kipass_training_url}")
    lines.append(f"Ihre Dokumentzugänge: {groups}.")
    lines.append(f"Fragen beantwortet {config.kipass_contact}.")
    days_left = principal.kipass_days_left(today)
    return SkillResult(
        text="\n".join(lines),
        card=card,
        data={
            "kipass": state,
            "valid_until": None if until in (None, NO_EXPIRY) else until.isoformat(),
            "days_left": days_left,
            "reminder": bool(reminder),
            "steps": dict(principal.kipass_steps),
            "open_steps": principal.open_kipass_steps(),
            "access_groups": sorted(principal.access_groups),
        },
    )


NO_STATUS = (
    "Ihr KI-Pass-Status konnte nicht ermittelt werden: Ihr Konto wurde im Verzeichnis nicht "
    "gefunden oder das Verzeichnis ist gerade nicht erreichbar. Bitte versuchen Sie es später "
    "erneut."
)


async def run(request: SkillRequest, ctx: SkillContext) -> SkillResult:
    if request.user is None:
        # The gate lets this skill run without a principal (lookup failed or no identity).
        text = f"{NO_STATUS} Fragen beantwortet {ctx.config.kipass_contact}."
        return SkillResult(text=text, outcome="not_found", data={"kipass": "unknown"})
    return status_result(request.user, ctx.today(), ctx.config)


SKILL = Skill(
    name="kipass",
    commands=("kipass", "ki-pass"),
    title="KI-Pass",
    description="Zeigt Ihren KI-Pass: gültig bis wann, welche Schritte erledigt sind.",
    requires_kipass=False,
    run=run,
)
