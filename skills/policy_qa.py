"""`frage …`: questions about the Dienstvereinbarung, the KI-Leitlinien and related rules.

A short answer that stands on numbered passages of the `policies` collection, or the plain
statement that the rules say nothing about it, with whom to ask. It never invents a rule.
"""

from __future__ import annotations

import re

from indexer.model import POLICIES
from skills.context import Skill, SkillConfig, SkillContext, Utterance
from skills.grounded_answer import MAX_QUESTION_CHARS, GroundedAnswer, answer_question
from skills.results import Answer, Problem
from skills.types import SkillRequest, SkillResult

NAME = "policy_qa"

EMPTY_QUESTION = (
    "Bitte stellen Sie Ihre Frage nach dem Befehl, zum Beispiel: "
    "„frage Darf ich personenbezogene Daten in ChatGPT eingeben?“"
)


def too_long(chars: int) -> str:
    return (
        f"Ihre Frage ist mit {chars:,} Zeichen zu lang (höchstens {MAX_QUESTION_CHARS:,}). "
        "Bitte fassen Sie sie in wenigen Sätzen zusammen. Einen langen Text fasse ich mit "
        "„zusammenfassen“ zusammen."
    ).replace(",", ".")


PRIVACY_NOTE = (
    "Hinweis: Ihre Frage enthielt personenbezogene Daten (z. B. E-Mail-Adresse, Name). "
    "Diese wurden vor der Übermittlung an das externe Sprachmodell unkenntlich gemacht."
)


# A question about personal data or data protection: the data protection office answers it.
_PRIVACY_QUESTION = re.compile(
    r"datenschutz|personenbezogen|personendaten|dsgvo|gdpr|privacy|personal data|"
    r"\bdaten\s+(von|über)\s+(bürger|personen|kolleg|beschäftigt|mitarbeit)",
    re.IGNORECASE,
)


def contact_for(question: str, config: SkillConfig) -> str:
    """Whom the "no answer" names: the data protection office for a data protection question,
    else the keepers of the AI rules (never "den Datenschutz" for a question about, say, the
    KI-Pass)."""
    return config.privacy_contact if _PRIVACY_QUESTION.search(question) else config.policy_contact


def no_answer_text(contact: str, language: str) -> str:
    if language == "en":
        return (
            "The regulations contain no statement on this (Dazu enthalten die Regelungen keine "
            f"Aussage). Please contact: {contact}."
        )
    return f"Dazu enthalten die Regelungen keine Aussage. Bitte wenden Sie sich an {contact}."


def unsure_text(contact: str, language: str) -> str:
    """The "no answer" when retrieval found places near the question (the renderers list them
    below, labelled as places to check, not as an answer): no *sure* answer, and whom to ask."""
    if language == "en":
        return (
            "I find no reliable answer in the regulations (Eine sichere Antwort finde ich in den "
            f"Regelungen nicht). Please contact: {contact}."
        )
    return (
        "Eine sichere Antwort finde ich in den Regelungen nicht. "
        f"Bitte wenden Sie sich an {contact}."
    )


def with_privacy_note(answer: Answer) -> str:
    """The answer's words, and below them the note when personal data was masked."""
    return f"{answer.text}\n\n{PRIVACY_NOTE}" if answer.masked_personal_data else answer.text


def bad_input(message: str) -> SkillResult:
    return SkillResult(Problem("bad_input", message), outcome="bad_input", grounded=False)


def check_question(text: str) -> SkillResult | None:
    """A German message for an empty or oversized question, else None."""
    question = text.strip()
    if not question:
        return bad_input(EMPTY_QUESTION)
    if len(question) > MAX_QUESTION_CHARS:
        return bad_input(too_long(len(question)))
    return None


def result_from_answer(answer: GroundedAnswer, *, no_answer: str, unsure: str = "") -> SkillResult:
    """The typed `Answer` with its sources (or the plain "no answer" with whom to ask — `unsure`
    instead when there are places to point to). With pointers it is still "no answer"
    (outcome, dashboard, audit)."""
    if not answer.grounded:
        pointers = answer.pointers if unsure else ()
        words = unsure if pointers else no_answer
        said = Answer(words, grounded=False, language=answer.language, pointers=pointers)
        return SkillResult(said, grounded=False, outcome="no_answer")
    typed = Answer(answer.text, True, answer.language, answer.masked_personal_data)
    return SkillResult(
        typed,
        citations=answer.citations,
        ai_generated=answer.ai_generated,
        grounded=True,
        outcome="ok",
    )


async def run(request: SkillRequest, ctx: SkillContext) -> SkillResult:
    refused = check_question(request.text)
    if refused:
        return refused
    question = request.text.strip()
    answer = await answer_question(question, request, ctx, collection=POLICIES)
    contact = contact_for(question, ctx.config)
    return result_from_answer(
        answer,
        no_answer=no_answer_text(contact, answer.language),
        unsure=unsure_text(contact, answer.language),
    )


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


def asks_a_question(said: Utterance) -> bool:
    """A question, or words of the AI rules: the last intent asked (council words go first)."""
    return bool(
        said.ends_with_question
        or _QUESTION_WORDS.search(said.head)
        or _POLICY_WORDS.search(said.head)
    )


SKILL = Skill(
    name=NAME,
    commands=("frage", "ask"),
    title="Fragen zu den KI-Regeln",
    description=(
        "Beantwortet Fragen zur Dienstvereinbarung, zu den KI-Leitlinien und zum KI-Pass – "
        "mit den Textstellen, auf denen die Antwort steht."
    ),
    requires_kipass=True,
    run=run,
    aliases=("question",),
    intent=asks_a_question,
    intent_rank=50,
)
