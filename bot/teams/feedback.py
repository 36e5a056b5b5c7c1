"""Which skill a 👍/👎 belongs to, so the Werkstatt sees feedback per skill.

Teams' own feedback footer sends `message/submitAction` with the rated message's id in
`replyToId` and nothing about the skill. So the id of every sent answer that asks for feedback
is kept with its skill name (in the state store, shared between instances, for a day), and the
feedback invoke looks it up. The adapter (bot/teams/adapter.py `KiwAdapter.sent_observers`) reports
every send and update, whichever path the answer took (direct reply, stream final, long-work
update, new message). Only the skill name is stored: no content, no user.
"""

from __future__ import annotations

import logging
from typing import Any

from botbuilder.schema import Activity, ResourceResponse

from bot.state import StateStore
from skills.cardkit import CONTENT_TYPE, FEEDBACK_KEY, FEEDBACK_VERB

log = logging.getLogger("kiw.feedback")

_SKILL = "kiw_feedback_skill"  # an attribute on the Activity object, never serialised


def ask_feedback_for(activity: Activity, skill: str) -> None:
    """Mark an outgoing answer: its id will be remembered with `skill`."""
    setattr(activity, _SKILL, skill)


def _key(conversation_id: str, message_id: str) -> str:
    # A channel thread is "19:…@thread.tacv2;messageid=…": the message id alone is enough there.
    return f"feedback:{conversation_id.split(';', 1)[0]}:{message_id}"


def _sent_ids(activity: Activity, response: ResourceResponse | None) -> set[str]:
    """The ids the message may be rated under: Teams' answer, the stream id of a streamed
    final (the same message), the id of an updated one."""
    data = activity.channel_data if isinstance(activity.channel_data, dict) else {}
    ids = {response.id if response else None, data.get("streamId"), activity.id}
    return {str(i) for i in ids if i}


class FeedbackMemory:
    def __init__(self, state: StateStore) -> None:
        self.state = state

    async def observe(self, activity: Activity, response: ResourceResponse | None) -> None:
        """Called by the adapter for every activity it sent or updated."""
        for message_id in _sent_ids(activity, response):
            await self._remember(activity, message_id)

    async def _remember(self, activity: Activity, message_id: str | None) -> None:
        skill = getattr(activity, _SKILL, None)
        if not skill or not message_id or not activity.conversation:
            return
        try:
            await self.state.save_reference(
                _key(activity.conversation.id, message_id), {"skill": skill}
            )
        except Exception:  # cosmetic for the answer: the feedback then counts without a skill
            log.warning("could not keep the skill of message %s for feedback", message_id)

    async def skill_of(self, conversation_id: str | None, message_id: str | None) -> str | None:
        if not conversation_id or not message_id:
            return None
        try:
            stored = await self.state.load_reference(_key(conversation_id, message_id))
        except Exception:
            log.warning("could not look up the skill of message %s", message_id)
            return None
        skill = stored.get("skill") if stored else None
        return skill if isinstance(skill, str) else None


def card_vote(value: object) -> tuple[str | None, str | None] | None:
    """(reaction, named skill) of an `adaptiveCard/action` invoke from a feedback button, None
    for any other card action. Card data is user-forgeable: only "up"/"down" count, and the
    caller checks the skill name against the registry."""
    action = value.get("action") if isinstance(value, dict) else None
    if not isinstance(action, dict) or action.get("verb") != FEEDBACK_VERB:
        return None
    raw = action.get("data")
    data: dict[str, Any] = raw if isinstance(raw, dict) else {}
    reaction = data.get(FEEDBACK_KEY)
    skill = data.get("skill")
    return (
        reaction if reaction in ("up", "down") else None,
        skill if isinstance(skill, str) else None,
    )


def vote_response(card: dict[str, Any]) -> dict[str, Any]:
    """The `adaptiveCard/action` answer that makes Teams replace the clicked card by `card`."""
    return {"statusCode": 200, "type": CONTENT_TYPE, "value": card}
