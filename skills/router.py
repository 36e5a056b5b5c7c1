"""Which skill answers a message: explicit commands first, then intent detection, then help.

Works with whatever skills are registered at the moment (skills/registry.py): a command or an
intent whose skill is not registered falls back to help. Commands are matched in registry order;
a skill's own `commands` win over the aliases below, which only add English/German spellings
other engineers' skills may not list themselves.

Every pattern here runs in time linear in the text (no `.*` between two words, which made
"fass " × 4,000 a 6-second stall of the event loop), and intent detection reads at most
INSPECT_CHARS of a message: commands and intents sit at its start, the skill still gets it all.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from kiw_common.references import mentions_reference
from skills import help as help_skill
from skills.context import Skill

# Extra spellings per skill name (German first). Used only for skills that are registered.
ALIASES: dict[str, tuple[str, ...]] = {
    "help": ("hilfe", "help", "?", "start"),
    "policy_qa": ("frage", "ask", "question"),
    "allris_search": ("suche", "search", "allris"),
    "summarise": ("zusammenfassen", "zusammenfassung", "summarise", "summarize", "summary"),
    "kipass": ("kipass", "ki-pass"),
    "prioritise": ("priorisieren", "prioritise", "prioritize"),
}

_COUNCIL_WORDS = re.compile(
    r"\b(antr[aä]ge?n?|antrag\w*|vorlagen?|beschlussvorlage\w*|ausschu(?:ss|ß)\w*|sitzung\w*|"
    r"bürgerschaft|gremi\w+|fraktion\w*|allris|tagesordnung\w*|drucksache\w*)\b",
    re.IGNORECASE,
)
# Intent detection reads this much of a message (a page of text); the rest is the skill's input.
INSPECT_CHARS = 2_000

_SUMMARISE = re.compile(r"\b(zusammenfass\w*|summari[sz]e|zusammenfassung)\b", re.IGNORECASE)
# "Fass(e) … zusammen" as two searches, the second starting after the first "fass…": the same
# meaning as `fass\w*\b.*\bzusammen\b`, without its quadratic backtracking.
_FASS = re.compile(r"\bfass\w*\b", re.IGNORECASE)
_ZUSAMMEN = re.compile(r"\bzusammen\b", re.IGNORECASE)
_KIPASS = re.compile(r"\bki[- ]?pass\b", re.IGNORECASE)
_KIPASS_STATUS = re.compile(
    r"\b(mein\w*|habe ich|hab ich|status|gültig\w*|abgelaufen|fehlt|schritte?)\b", re.IGNORECASE
)
_PRIORITISE = re.compile(r"\b(priorisier\w*|quick[- ]?wins?|prioriti[sz]e)\b", re.IGNORECASE)
_QUESTION_WORDS = re.compile(
    r"^(wer|wie|was|wann|wo|warum|wieso|weshalb|welche[rsmn]?|wozu|darf|dürfen|muss|müssen|"
    r"kann|können|soll|sollen|ist|sind|gibt|gilt)\b",
    re.IGNORECASE,
)
_POLICY_WORDS = re.compile(
    r"\b(dienstvereinbarung\w*|leitlinie\w*|richtlinie\w*|regel\w*|erlaubt|verboten|"
    r"datenschutz\w*|personenbezogen\w*|chatgpt|copilot|sprachmodell\w*|ki[- ]nutzung|"
    r"ki-tools?|künstliche\w* intelligenz|personalrat\w*|dsgvo)\b",
    re.IGNORECASE,
)
_LEADING_PUNCT = "/!#"
_TRAILING_PUNCT = ":,;.!"


@dataclass(frozen=True)
class Route:
    skill: Skill
    command: str  # the command word the user typed ("suche"), "" for free text
    text: str  # what the skill receives: the words after the command
    reason: str  # "command" | "intent" | "empty" | "fallback" | "unavailable"


def _command_table(skills: Sequence[Skill]) -> dict[str, Skill]:
    table: dict[str, Skill] = {}
    for skill in skills:  # registry order: the first skill to claim a word keeps it
        for word in skill.commands:
            table.setdefault(word.lower(), skill)
    for skill in skills:
        for word in ALIASES.get(skill.name, ()):
            table.setdefault(word.lower(), skill)
    return table


def _help(skills: Sequence[Skill]) -> Skill:
    return next((s for s in skills if s.name == help_skill.SKILL.name), help_skill.SKILL)


def _split_command(text: str) -> tuple[str, str]:
    """First word (lower case, without "/" or a trailing ":") and the rest; any whitespace
    separates them, so "suche:\nRadverkehr" works too."""
    parts = text.split(maxsplit=1)
    word = parts[0].lstrip(_LEADING_PUNCT).rstrip(_TRAILING_PUNCT).lower() if parts else ""
    rest = parts[1].strip() if len(parts) > 1 else ""  # keeps line breaks of pasted text
    return word, rest


def _asks_for_summary(text: str) -> bool:
    if _SUMMARISE.search(text):
        return True
    verb = _FASS.search(text)
    return verb is not None and _ZUSAMMEN.search(text, verb.end()) is not None


def detect_intent(text: str) -> str | None:
    """The skill name free text most likely asks for, or None (reads INSPECT_CHARS of it)."""
    asks_question = text.rstrip().endswith("?")
    text = text[:INSPECT_CHARS]
    if _asks_for_summary(text):
        return "summarise"
    if _PRIORITISE.search(text):
        return "prioritise"
    if _KIPASS.search(text) and _KIPASS_STATUS.search(text):
        return "kipass"
    if mentions_reference(text) or _COUNCIL_WORDS.search(text):
        return "allris_search"
    if asks_question or _QUESTION_WORDS.search(text) or _POLICY_WORDS.search(text):
        return "policy_qa"
    return None


def route(text: str, skills: Sequence[Skill]) -> Route:
    """Pick the skill for `text` (mention already stripped) among the registered `skills`."""
    text = text.strip()
    if not text:
        return Route(_help(skills), "", "", "empty")
    word, rest = _split_command(text)
    table = _command_table(skills)
    if word in table:
        return Route(table[word], word, rest, "command")
    for words in ALIASES.values():
        if word in words:  # a known command whose skill is not registered (yet)
            return Route(_help(skills), word, rest, "unavailable")
    intent = detect_intent(text)
    if intent:
        by_name = {skill.name: skill for skill in skills}
        if intent in by_name:
            return Route(by_name[intent], "", text, "intent")
        return Route(_help(skills), "", text, "unavailable")
    return Route(_help(skills), "", text, "fallback")
