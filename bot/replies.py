"""Turn results into Teams activities: a card with the content, `text` as the fallback.

The card carries the content; `text` is the plain-text fallback (notifications, clients without
cards) and is kept short, because Teams shows `text` and the card one after the other. The
exception are cited answers: Teams renders [n] citation markers only in `text`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from botbuilder.core import CardFactory, MessageFactory
from botbuilder.schema import Activity

from bot import cards
from bot.cards.entities import message_entities
from bot.turn import TurnOutput
from skills.context import Skill
from skills.types import Scope, SkillResult

ERROR_TEXT = (
    "Bei der Bearbeitung ist ein Fehler aufgetreten. Bitte versuchen Sie es in einigen Minuten "
    "erneut. Wenn der Fehler bleibt, wenden Sie sich mit der Fehler-ID an die KI-Werkstatt."
)
UNAVAILABLE_NOTICE = (
    "Diese Funktion steht noch nicht zur Verfügung. Das kann ich im Moment für Sie tun:"
)
WORKING_TEXT = "Ich arbeite daran …"


def card_activity(card: dict[str, Any], text: str) -> Activity:
    activity = MessageFactory.attachment(CardFactory.adaptive_card(card), text=text)
    activity.text = text
    return activity


def error_activity(correlation_id: str) -> Activity:
    return card_activity(
        cards.error_card(ERROR_TEXT, correlation_id),
        f"Das hat nicht geklappt (Fehler-ID: {correlation_id}).",
    )


def working_activity() -> Activity:
    return card_activity(cards.working_card(), WORKING_TEXT)


def welcome_activity(skills: Sequence[Skill]) -> Activity:
    return card_activity(cards.welcome_card(skills), cards.WELCOME_TITLE)


def wants_feedback(result: SkillResult) -> bool:
    return result.outcome in ("ok", "no_answer") and (result.ai_generated or bool(result.citations))


def reply_activity(output: TurnOutput, scope: Scope, skills: Sequence[Skill]) -> Activity:
    skill, result = output.skill, output.result
    if skill.name == "help" and not result.card and not result.data.get("focused"):
        notice = UNAVAILABLE_NOTICE if output.route.reason == "unavailable" else ""
        activity = card_activity(
            cards.help_card(skills, notice=notice), cards.help_summary(skills, notice=notice)
        )
    elif result.card:
        # With citations the full text goes along: Teams attaches the citation entity to the
        # [n] markers in `text` (and shows nothing for markers that are not there).
        fallback = result.text if result.citations else cards.summary_line(result.text)
        activity = card_activity(result.card, fallback)
    elif result.citations or result.ai_generated:
        # Teams' own 👍/👎 footer (feedbackLoopEnabled) exists in chats, not in channels; there
        # the card carries the buttons. Either way the bot records only up/down.
        native_feedback = wants_feedback(result) and scope != "team"
        card = cards.result_card(
            skill,
            result,
            feedback=wants_feedback(result) and not native_feedback,
            include_text=False,
        )
        activity = card_activity(card, result.text)
        if native_feedback:
            activity.channel_data = {"feedbackLoopEnabled": True}
    elif cards.summary_line(result.text) == result.text.strip():
        activity = MessageFactory.text(result.text)  # one short line: no card needed
    else:
        card = cards.result_card(skill, result, feedback=False)
        activity = card_activity(card, cards.summary_line(result.text))
    entities = message_entities(ai_generated=result.ai_generated, citations=result.citations)
    if entities:
        activity.entities = entities
    return activity
