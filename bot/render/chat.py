"""The Teams chat message for a turn's outcome, as plain data. Each message shows its content once.

- Answers with citations (policy Q&A, council questions) go out as text: Teams turns the [n]
  markers in `text` into citation pills with a reference list (the message entity in
  bot/render/entities.py). "No sure answer" is text too, with the places to check on a card
  below it (bot/render/pointers.py). Feedback is Teams' own 👍/👎 footer in chats; channels
  have none, so there a small card carries the buttons. With KIW_CITATION_STYLE=card the answer's card
  (answer + numbered sources, bot/render/chat_cards.py) is sent instead, for clients that do not render citations.
- Everything else with structure (search hits, summaries, help, KI-Pass) is a card only;
  the one-line fallback travels in `summary`, never in `text` (Teams would show both).
- In a group chat or channel where the asker could read more than everyone there, the withheld
  notice follows the answer as a card of its own, naming nothing.

No Bot Framework types: the Teams handler turns a `ChatMessage` into an activity
(bot/teams/replies.py), `kiw chat` prints it (bot/cli/chat.py), so both show the same message.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from bot import cards
from bot.pipeline import Outcome
from bot.render.chat_cards import result_card
from bot.render.entities import message_entity
from bot.render.pointers import pointers_card
from bot.render.text import result_text
from bot.withheld import withheld_card
from skills.context import Skill
from skills.policy_qa import with_privacy_note
from skills.results import Answer, Help, Notice
from skills.types import Scope, SkillResult

ADAPTIVE = "application/vnd.microsoft.card.adaptive"

ERROR_TEXT = (
    "Bei der Bearbeitung ist ein Fehler aufgetreten. Bitte versuchen Sie es in einigen Minuten "
    "erneut. Wenn der Fehler bleibt, wenden Sie sich mit der Fehler-ID an die KI-Werkstatt."
)
WORKING_TEXT = "Ich arbeite daran …"

CitationStyle = Literal["native", "card"]


@dataclass
class ChatMessage:
    """One outgoing chat message: what Teams shows, as the Bot Framework activity carries it."""

    text: str | None = None
    summary: str | None = None  # the fallback of a card-only message (notifications)
    cards: list[dict[str, Any]] = field(default_factory=list)  # Adaptive Cards, in order
    # AI label and citations; None on the bot's own cards (error, working, welcome).
    entities: list[dict[str, Any]] | None = None
    channel_data: dict[str, Any] | None = None  # {"feedbackLoopEnabled": True}: Teams' footer
    # Remember the sent message's id with this skill: a 👍/👎 from Teams' footer names no skill.
    feedback_skill: str | None = None

    def as_json(self) -> dict[str, Any]:
        """The message in the Bot Framework activity's JSON shape (the keys Teams reads)."""
        out: dict[str, Any] = {"type": "message"}
        if self.text is not None:
            out["text"] = self.text
        if self.summary is not None:
            out["summary"] = self.summary
        if self.cards:
            out["attachments"] = [{"contentType": ADAPTIVE, "content": c} for c in self.cards]
        if self.entities is not None:
            out["entities"] = self.entities
        if self.channel_data is not None:
            out["channelData"] = self.channel_data
        return out


def card_message(card: dict[str, Any], summary: str) -> ChatMessage:
    """A card-only message. `summary` is the Bot Framework fallback (notifications, clients
    without cards); Teams does not show it beside the card, so nothing appears twice."""
    return ChatMessage(summary=summary, cards=[card])


def error_message(correlation_id: str) -> ChatMessage:
    return card_message(
        cards.error_card(ERROR_TEXT, correlation_id),
        f"Das hat nicht geklappt (Fehler-ID: {correlation_id}).",
    )


def working_message() -> ChatMessage:
    return card_message(cards.working_card(), WORKING_TEXT)


def welcome_message(skills: Sequence[Skill]) -> ChatMessage:
    return card_message(cards.welcome_card(skills), cards.WELCOME_TITLE)


def wants_feedback(result: SkillResult) -> bool:
    return result.outcome in ("ok", "no_answer") and (result.ai_generated or bool(result.citations))


def _entities(result: SkillResult, *, with_citations: bool) -> list[dict[str, Any]]:
    citations = result.citations if with_citations else ()
    entity = message_entity(ai_generated=result.ai_generated, citations=citations)
    return [entity] if entity else []


def text_answer(skill: Skill, result: SkillResult, answer: Answer, scope: Scope) -> ChatMessage:
    """The answer as chat text with citation entities; feedback in Teams' footer or a card. No
    sure answer: the places to check on a card below the text (never as citations)."""
    message = ChatMessage(text=with_privacy_note(answer))
    if not answer.grounded and answer.pointers:
        message.cards = [pointers_card(answer.pointers, answer.language)]
    if wants_feedback(result) or result.outcome == "no_answer":
        # Teams' own 👍/👎 footer (feedbackLoopEnabled) exists in chats, not in channels; there
        # a card carries the buttons. Either way the bot records only up/down.
        if scope == "team":
            message.cards = [*message.cards, cards.feedback_card(skill.name)]
        else:
            message.channel_data = {"feedbackLoopEnabled": True}
        message.feedback_skill = skill.name
    message.entities = _entities(result, with_citations=True)
    return message


def chat_reply(
    outcome: Outcome,
    scope: Scope,
    skills: Sequence[Skill],
    *,
    citation_style: CitationStyle = "native",
    bot_app_id: str = "",
) -> ChatMessage:
    """The message a turn's outcome becomes in a Teams chat of `scope`."""
    message = _reply(outcome, scope, skills, citation_style)
    if outcome.withheld:
        # Said once, below the answer, naming nothing; the way to ask in private beside it.
        message.cards = [*message.cards, withheld_card(bot_app_id)]
    return message


def _reply(
    outcome: Outcome, scope: Scope, skills: Sequence[Skill], citation_style: CitationStyle
) -> ChatMessage:
    skill, result = outcome.skill, outcome.result
    if isinstance(result.payload, Help) and not result.payload.focused:
        return card_message(
            cards.help_card(skills, bot_name=result.payload.bot_name),
            cards.help_summary(skills),
        )
    if isinstance(result.payload, Notice):
        return ChatMessage(text=result.payload.text, entities=[])
    answer = result.payload if isinstance(result.payload, Answer) else None
    if answer is not None and not (citation_style == "card" and answer.grounded):
        return text_answer(skill, result, answer, scope)
    drawn, feedback = result_card(result)
    text = result_text(result)
    if drawn is not None:
        message = card_message(drawn, cards.summary_line(text))
    elif cards.summary_line(text) == text.strip():
        message = ChatMessage(text=text)  # one short line: no card needed
    else:
        feedback = wants_feedback(result)
        card = cards.result_card(skill, text)
        message = card_message(card, cards.summary_line(text))
    if feedback:
        # The buttons on a card of their own, in the same message: a vote replaces that card.
        message.cards = [*message.cards, cards.feedback_card(skill.name)]
    # No [n] markers outside `text`: a card carries its sources itself, only the AI label stays.
    message.entities = _entities(result, with_citations=False)
    return message
