"""Invokes: Teams asks and waits for the answer in the HTTP reply (a few seconds at most).

- `composeExtension/*`: the message extensions (search, message action, card submit) go to
  bot/extensions.py with the audience of the conversation the result is inserted into;
- `adaptiveCard/action` from a 👍/👎 button: audited, and the buttons become the vote in place;
- `message/submitAction` "feedback": Teams' own feedback footer, audited with the skill the rated
  answer came from (bot/teams/feedback.py);
- anything else: 501.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Sequence
from http import HTTPStatus
from typing import Any

from botbuilder.core import TurnContext
from botbuilder.schema import Activity, ActivityTypes, InvokeResponse

from bot import extensions
from bot.cards import voted_card
from bot.pipeline import Pipeline
from bot.services import Services
from bot.teams.activity import aad_object_id, conversation_scope, tenant_id
from bot.teams.audience import AudienceResolver
from bot.teams.feedback import FeedbackMemory, card_vote, vote_response
from skills.audience import Audience
from skills.context import Skill
from skills.types import Scope

log = logging.getLogger("kiw.handler")

# How long a message-extension invoke waits for the conversation's roster (public only after).
INVOKE_ROSTER_SECONDS = 1.5


class Invokes:
    """Answers one invoke activity (see the module docstring)."""

    def __init__(
        self,
        *,
        services: Services,
        pipeline: Pipeline,
        skills: Callable[[], Sequence[Skill]],
        audiences: AudienceResolver,
        feedback: FeedbackMemory,
    ) -> None:
        self.services = services
        self.pipeline = pipeline
        self.skills = skills
        self.audiences = audiences
        self.feedback = feedback

    async def answer(self, turn_context: TurnContext) -> InvokeResponse:
        activity = turn_context.activity
        name = activity.name or ""
        value = activity.value if isinstance(activity.value, dict) else {}
        if name.startswith("composeExtension/"):
            return await self._extension(turn_context, name, value)
        vote = card_vote(value) if name == "adaptiveCard/action" else None
        if vote is not None:
            reaction, named = vote
            audit_feedback(self.pipeline, activity, reaction, self.known_skill(named))
            return InvokeResponse(
                status=int(HTTPStatus.OK), body=vote_response(voted_card(reaction))
            )
        if name == "message/submitAction" and value.get("actionName") == "feedback":
            raw_action = value.get("actionValue")
            action: dict[str, Any] = raw_action if isinstance(raw_action, dict) else {}
            reaction = {"like": "up", "dislike": "down"}.get(str(action.get("reaction")))
            conversation = activity.conversation.id if activity.conversation else None
            skill = await self.feedback.skill_of(conversation, activity.reply_to_id)
            audit_feedback(self.pipeline, activity, reaction, skill, commented=_has_comment(action))
            return InvokeResponse(status=int(HTTPStatus.OK), body={})
        log.info("unknown invoke %r answered with 501", name)
        return InvokeResponse(
            status=int(HTTPStatus.NOT_IMPLEMENTED),
            body={"error": f"invoke '{name}' is not supported by this bot"},
        )

    def known_skill(self, named: object) -> str | None:
        """A skill name from card data (user-forgeable): only a registered one is kept."""
        return (
            named if isinstance(named, str) and named in {s.name for s in self.skills()} else None
        )

    async def _extension(
        self, turn_context: TurnContext, name: str, value: dict[str, Any]
    ) -> InvokeResponse:
        activity = turn_context.activity
        status, body = await extensions.handle_invoke(
            name,
            value,
            aad_object_id(activity),
            tenant_id(activity),
            self.services,
            audience=await self._audience(turn_context),
            pipeline=self.pipeline,
        )
        return InvokeResponse(status=int(status), body=body)

    async def _audience(self, turn_context: TurnContext) -> Audience | None:
        """Who reads what a message extension inserts. None only in the bot's own 1:1 chat
        (its conversation ids start with "a:"); a chat between people is asked for its roster
        like a group chat (the bot is no member there, so that fails closed); Outlook and
        anything else without a roster: public documents only."""
        conversation = turn_context.activity.conversation
        kind = conversation.conversation_type if conversation else None
        if kind == "personal" and str(conversation.id or "").startswith("a:"):
            return None
        if kind not in ("channel", "groupChat", "personal"):
            return Audience.public_only("no_roster")
        scope: Scope = "team" if kind == "channel" else "groupChat"
        try:
            # Teams waits only seconds for an invoke, and the extension needs its own budget
            # after this; a roster still being read keeps going (and is cached) for later.
            async with asyncio.timeout(INVOKE_ROSTER_SECONDS):
                lookup = await self.audiences.resolve(turn_context, scope)
        except TimeoutError:
            return Audience.public_only("roster_unreadable")
        return lookup.audience if lookup else Audience.public_only("no_roster")


def error_body(activity: Activity, message: str, correlation_id: str) -> dict[str, Any]:
    """What a failed invoke answers (with HTTP 200, so Teams shows the message)."""
    if (activity.name or "").startswith("composeExtension/"):
        return {"composeExtension": {"type": "message", "text": message}}
    return {"error": message, "correlationId": correlation_id}


async def send_invoke_response(
    turn_context: TurnContext, status: int, body: dict[str, Any]
) -> None:
    """An invoke's answer sent from outside `on_invoke_activity` (refusals, the error boundary)."""
    await turn_context.send_activity(
        Activity(
            type=ActivityTypes.invoke_response,
            value=InvokeResponse(status=int(status), body=body),
        )
    )


def audit_feedback(
    pipeline: Pipeline,
    activity: Activity,
    reaction: str | None,
    skill: str | None = None,
    *,
    commented: bool = False,
) -> None:
    """The audit line of a 👍/👎 (a button, Teams' footer, or a card submit in a message),
    through the pipeline's one audit path."""
    if reaction is None:
        log.info("feedback without a known reaction ignored (activity %s)", activity.id)
        return
    pipeline.record(
        "feedback",
        skill=skill,
        outcome=reaction,
        reason="with_comment" if commented else None,
        user_id=aad_object_id(activity),
        scope=conversation_scope(activity),
    )


def _has_comment(action: dict[str, Any]) -> bool:
    """Whether Teams' feedback form carried a comment (`feedback` is a JSON string with
    `feedbackText`). Only that fact is audited, never the words."""
    raw = action.get("feedback")
    try:
        form = json.loads(raw) if isinstance(raw, str) else raw
    except ValueError:
        return False
    return isinstance(form, dict) and bool(str(form.get("feedbackText") or "").strip())
