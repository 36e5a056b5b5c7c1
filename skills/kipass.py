"""`kipass`: the user's own KI-Pass status, and the wording the gate's refusal shares with it.

Works without a KI-Pass (that is the point: it tells the user how to get one). Returns the
typed `KipassStatus` (the gate's refusal is a `Refusal`); their chat cards are drawn in
bot/render/chat_cards.py from the templates bot/cards/kipass_*.json.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from graph.principal import KIPASS_STEPS, NO_EXPIRY, Principal
from indexer.model import PUBLIC
from skills.context import Skill, SkillConfig, SkillContext, Utterance
from skills.results import KipassStatus, Problem
from skills.types import SkillRequest, SkillResult

REMINDER_DAYS = 30  # a KI-Pass ending within this many days gets a reminder

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


# ---------------------------------------------------------------- wording


def german_date(day: date) -> str:
    return day.strftime("%d.%m.%Y")


def group_label(group: str, names: Mapping[str, str] | None = None) -> str | None:
    """The German name of an access group for users: the directory's display name, else a name
    built from the city's naming scheme (fraktion-…, ausschuss-…), else None: a raw group id
    ("ki-werkstatt-admins") is never shown to users."""
    named = (names or {}).get(group)
    if named:
        return named
    if group in GROUP_LABELS:
        return GROUP_LABELS[group]
    if group.startswith("fraktion-"):
        short = group.removeprefix("fraktion-")
        return f"Fraktion {FACTION_LABELS.get(short, short.replace('-', ' ').title())}"
    if group.startswith("ausschuss-"):
        return f"Ausschuss {group.removeprefix('ausschuss-').replace('-', ' ').title()}"
    return None


def access_labels(principal: Principal) -> list[str]:
    """The person's document access as users read it; groups without a name are counted."""
    labels, unnamed = [], 0
    for group in sorted(principal.access_groups):
        label = group_label(group, principal.access_group_names)
        if label:
            labels.append(label)
        else:
            unnamed += 1
    if unnamed:
        labels.append("eine weitere Gruppe" if unnamed == 1 else f"{unnamed} weitere Gruppen")
    return labels


def step_facts(principal: Principal) -> list[dict[str, str]]:
    """One fact per known step: done or open, in the city's order."""
    facts = []
    for step, label in KIPASS_STEPS.items():
        if step in principal.kipass_steps:
            done = principal.kipass_steps[step]
            facts.append({"title": label, "value": "✓ erledigt" if done else "offen"})
    return facts


def open_steps_sentence(steps: Iterable[str]) -> str:
    """ "Noch offen: KI-Pass-Schulung; ….": the open steps (KIPASS_STEPS keys) by their German
    names, "" for none. The status's next step and the refusal's text both say it so."""
    named = [KIPASS_STEPS.get(s, s) for s in steps]
    return "Noch offen: " + "; ".join(named) + "." if named else ""


def contact_sentence(contact: str) -> str:
    """Whom to ask, as the KI-Pass cards and texts end (bot/cards/kipass_*.json get it filled)."""
    return f"Fragen beantwortet {contact}."


ACCESS_FACT = "Ihre Dokumentzugänge"  # the status's fact the text repeats below the steps


# The next step as an instruction, per step of KIPASS_STEPS (same order).
STEP_ACTIONS = {
    "schulung": "Besuchen Sie die KI-Pass-Schulung.",
    "dienstvereinbarung": "Nehmen Sie die Dienstvereinbarung zur KI-Nutzung zur Kenntnis.",
    "leitlinien": "Nehmen Sie die KI-Leitlinien zur Kenntnis.",
    "checkliste": "Schließen Sie die digitale Checkliste ab.",
}


@dataclass(frozen=True)
class NextStep:
    """What the person should do next to (re)gain the KI-Pass, and the link button for it."""

    step: str  # a KIPASS_STEPS key, "auffrischung", "eintragung" (all done, not entered) or ""
    sentence: str  # German, for cards and text; "" when nothing is to do
    button: str  # title of the button to the KI-Pass page; "" = no button


def next_step(principal: Principal, today: date, config: SkillConfig) -> NextStep:
    """The right next step: an expired pass is refreshed; otherwise the first step of the city's
    order not known to be done. Someone who attended the training is never sent to book it
    again, and someone with every step done is sent to the contact, not to a course."""
    state = principal.kipass_state(today)
    if state == "valid":
        return NextStep("", "", "")
    if state == "expired":
        return NextStep(
            "auffrischung",
            "Ihr nächster Schritt: Frischen Sie Ihren KI-Pass mit einer Auffrischung auf.",
            "Auffrischung buchen",
        )
    pending = [s for s in KIPASS_STEPS if not principal.kipass_steps.get(s, False)]
    if not pending:
        return NextStep(
            "eintragung",
            "Sie haben alle Schritte erledigt, Ihr KI-Pass ist aber noch nicht eingetragen. "
            f"Bitte wenden Sie sich an {config.kipass_contact}.",
            "",
        )
    step = pending[0]
    sentence = f"Ihr nächster Schritt: {STEP_ACTIONS[step]}"
    if step == "schulung" and not principal.kipass_steps:
        # Nothing known about the steps: name the whole way once.
        sentence += (
            " Danach nehmen Sie die Dienstvereinbarung und die KI-Leitlinien zur Kenntnis und "
            "schließen die digitale Checkliste ab."
        )
    button = "Schulung buchen" if step == "schulung" else "Zum KI-Pass im Intranet"
    return NextStep(step, sentence, button)


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
    groups = ", ".join(access_labels(principal))
    facts = [
        {
            "title": "Status",
            "value": {"valid": "gültig", "expired": "abgelaufen", "none": "kein KI-Pass"}[state],
        },
        {"title": "Gültig bis", "value": validity},
        {"title": ACCESS_FACT, "value": groups},
    ]
    steps = step_facts(principal)
    step = next_step(principal, today, config)
    open_steps = open_steps_sentence(principal.open_kipass_steps())
    next_text = " ".join(filter(None, [open_steps, step.sentence]))
    button = step.button or ("Auffrischung buchen" if reminder else "")
    url = config.kipass_training_url if button else ""
    status = KipassStatus(
        headline=headline,
        valid=color == "Good",
        facts=tuple((f["title"], f["value"]) for f in facts),
        steps=tuple((s["title"], s["value"]) for s in steps),
        reminder=reminder,
        next_step=next_text,
        contact=config.kipass_contact,
        link=(button, url) if button and url else None,
        state=state,
        valid_until=None if until in (None, NO_EXPIRY) else until,
        days_left=principal.kipass_days_left(today),
        step_codes=tuple(principal.kipass_steps.items()),
        open_steps=tuple(principal.open_kipass_steps()),
        next_step_code=step.step,
        access_groups=tuple(sorted(principal.access_groups)),
    )
    return SkillResult(status, personal=True)


NO_STATUS = (
    "Ihr KI-Pass-Status konnte nicht ermittelt werden: Ihr Konto wurde im Verzeichnis nicht "
    "gefunden oder das Verzeichnis ist gerade nicht erreichbar. Bitte versuchen Sie es später "
    "erneut."
)


async def run(request: SkillRequest, ctx: SkillContext) -> SkillResult:
    if request.user is None:
        # The gate lets this skill run without a principal (lookup failed or no identity).
        text = f"{NO_STATUS} {contact_sentence(ctx.config.kipass_contact)}"
        return SkillResult(Problem("kipass_unknown", text), outcome="not_found", personal=True)
    return status_result(request.user, ctx.today(), ctx.config)


_KIPASS = re.compile(r"\bki[- ]?pass\b", re.IGNORECASE)
_KIPASS_STATUS = re.compile(
    r"\b(mein\w*|habe ich|hab ich|status|gültig\w*|abgelaufen|fehlt|schritte?)\b", re.IGNORECASE
)


def asks_about_own_kipass(said: Utterance) -> bool:
    return bool(_KIPASS.search(said.head) and _KIPASS_STATUS.search(said.head))


SKILL = Skill(
    name="kipass",
    commands=("kipass", "ki-pass"),
    title="KI-Pass",
    description="Zeigt Ihren KI-Pass: gültig bis wann, welche Schritte erledigt sind.",
    requires_kipass=False,
    run=run,
    intent=asks_about_own_kipass,
    intent_rank=30,
)
