"""Turn results into Teams activities. Each message shows its content once.

- Answers with citations (policy Q&A, council questions) go out as text: Teams turns the [n]
  markers in `text` into citation pills with a reference list (the message entity in
  bot/teams/entities.py). Feedback is Teams' own 👍/👎 footer in chats; channels have none, so
  there a small card carries the buttons. With KIW_CITATION_STYLE=card the skill's card
  (answer + numbered sources) is sent instead, for clients that do not render citations.
- Everything else with structure (search hits, summaries, help, KI-Pass) is a card only;
  the one-line fallback travels in `summary`, never in `text` (Teams would show both).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from botbuilder.core import CardFactory, MessageFactory
from botbuilder.schema import Activity

from bot import cards
from bot.pipeline import Outcome
from bot.teams.entities import message_entities
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

CitationStyle = Literal["native", "card"]


@dataclass(frozen=True)
class Reply:
    """An answer to send, and the skill a 👍/👎 in Teams' own feedback footer counts for (None
    when the message has no such footer or none that needs it). Kept beside the Activity rather
    than on it: the delivery (bot/teams/delivery.py) remembers it under whatever id the message
    is finally sent or updated with."""

    activity: Activity
    feedback_skill: str | None = None


def card_activity(card: dict[str, Any], summary: str) -> Activity:
    """A card-only message. `summary` is the Bot Framework fallback (notifications, clients
    without cards); Teams does not show it beside the card, so nothing appears twice."""
    activity = MessageFactory.attachment(CardFactory.adaptive_card(card))
    activity.text = None
    activity.summary = summary
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


def text_answer_activity(skill: Skill, result: SkillResult, scope: Scope) -> Activity:
    """The answer as chat text with citation entities; feedback in Teams' footer or a card."""
    activity = MessageFactory.text(result.chat_text or result.text)
    if wants_feedback(result) or result.outcome == "no_answer":
        # Teams' own 👍/👎 footer (feedbackLoopEnabled) exists in chats, not in channels; there
        # a card carries the buttons. Either way the bot records only up/down.
        if scope == "team":
            activity.attachments = [CardFactory.adaptive_card(cards.feedback_card(skill.name))]
        else:
            activity.channel_data = {"feedbackLoopEnabled": True}
    activity.entities = message_entities(
        ai_generated=result.ai_generated, citations=result.citations
    )
    return activity


def reply_activity(
    output: Outcome,
    scope: Scope,
    skills: Sequence[Skill],
    *,
    citation_style: CitationStyle = "native",
) -> Reply:
    skill, result = output.skill, output.result
    if skill.name == "help" and not result.card and not result.data.get("focused"):
        notice = UNAVAILABLE_NOTICE if output.route.reason == "unavailable" else ""
        bot_name = str(result.data.get("bot_name") or "")
        return Reply(
            card_activity(
                cards.help_card(skills, notice=notice, bot_name=bot_name),
                cards.help_summary(skills, notice=notice),
            )
        )
    if result.answer_in_text and not (citation_style == "card" and result.card):
        activity = text_answer_activity(skill, result, scope)
        if wants_feedback(result) or result.outcome == "no_answer":
            return Reply(activity, skill.name)  # Teams' footer does not say which skill
        return Reply(activity)
    feedback = False
    if result.card:
        answer, feedback = cards.without_feedback(result.card)
        activity = card_activity(answer, cards.summary_line(result.text))
    elif cards.summary_line(result.text) == result.text.strip():
        activity = MessageFactory.text(result.text)  # one short line: no card needed
    else:
        feedback = wants_feedback(result)
        card = cards.result_card(skill, result, feedback=False)
        activity = card_activity(card, cards.summary_line(result.text))
    if feedback:
        # The buttons on a card of their own, in the same message: a vote replaces that card.
        activity.attachments = [
            *activity.attachments,
            CardFactory.adaptive_card(cards.feedback_card(skill.name)),
        ]
    # No [n] markers outside `text`: a card carries its sources itself, only the AI label stays.
    activity.entities = message_entities(ai_generated=result.ai_generated)
    return Reply(activity)
