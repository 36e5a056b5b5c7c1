"""Chat messages (bot/render/chat.py) as Bot Framework activities, for the Teams handler.

What a message shows is decided in the renderer, without the SDK; here it only becomes an
`Activity` (entities kept intact on the wire by `RawEntity`) and a `Reply` that names the skill
Teams' feedback footer counts for.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from botbuilder.core import CardFactory, MessageFactory
from botbuilder.schema import Activity

from bot.pipeline import Outcome
from bot.render.chat import (
    ERROR_TEXT,
    WORKING_TEXT,
    ChatMessage,
    CitationStyle,
    card_message,
    chat_reply,
    error_message,
    welcome_message,
    working_message,
)
from bot.teams.entities import RawEntity
from skills.context import Skill
from skills.types import Scope

__all__ = [
    "ERROR_TEXT",
    "WORKING_TEXT",
    "CitationStyle",
    "Reply",
    "activity_of",
    "card_activity",
    "error_activity",
    "reply_activity",
    "welcome_activity",
    "working_activity",
]


@dataclass(frozen=True)
class Reply:
    """An answer to send, and the skill a 👍/👎 in Teams' own feedback footer counts for (None
    when the message has no such footer or none that needs it). Kept beside the Activity rather
    than on it: the delivery (bot/teams/delivery.py) remembers it under whatever id the message
    is finally sent or updated with."""

    activity: Activity
    feedback_skill: str | None = None


def activity_of(message: ChatMessage) -> Activity:
    """The SDK activity that carries `message` (MessageFactory's defaults, e.g. input hint)."""
    if message.text is not None:
        activity = MessageFactory.text(message.text)
        rest = message.cards
    else:
        activity = MessageFactory.attachment(CardFactory.adaptive_card(message.cards[0]))
        activity.text = None
        rest = message.cards[1:]
    if rest:
        activity.attachments = [
            *(activity.attachments or []),
            *(CardFactory.adaptive_card(card) for card in rest),
        ]
    if message.summary is not None:
        activity.summary = message.summary
    if message.channel_data is not None:
        activity.channel_data = message.channel_data
    if message.entities is not None:
        activity.entities = [RawEntity(entity) for entity in message.entities]
    return activity


def card_activity(card: dict[str, object], summary: str) -> Activity:
    return activity_of(card_message(dict(card), summary))


def error_activity(correlation_id: str) -> Activity:
    return activity_of(error_message(correlation_id))


def working_activity() -> Activity:
    return activity_of(working_message())


def welcome_activity(skills: Sequence[Skill]) -> Activity:
    return activity_of(welcome_message(skills))


def reply_activity(
    output: Outcome,
    scope: Scope,
    skills: Sequence[Skill],
    *,
    citation_style: CitationStyle = "native",
    bot_app_id: str = "",
) -> Reply:
    message = chat_reply(
        output, scope, skills, citation_style=citation_style, bot_app_id=bot_app_id
    )
    return Reply(activity_of(message), message.feedback_skill)
