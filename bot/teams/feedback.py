"""Which skill a 👍/👎 belongs to, so the Werkstatt sees feedback per skill.

Teams' own feedback footer sends `message/submitAction` with the rated message's id in
`replyToId` and nothing about the skill. So the id of every sent answer that asks for feedback
is kept with its skill name (in the state store, shared between instances, for a day), and the
feedback invoke looks it up. The turn's delivery (bot/teams/delivery.py) reports the ids, whichever
path the answer took (direct reply, stream final, long-work update, new message). Only the skill
name is stored: no content, no user.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from bot.render.cardkit import CONTENT_TYPE, FEEDBACK_KEY, FEEDBACK_VERB
from bot.state_store import StateStore

log = logging.getLogger("kiw.feedback")


def _key(conversation_id: str, message_id: str) -> str:
    # A channel thread is "19:…@thread.tacv2;messageid=…": the message id alone is enough there.
    return f"feedback:{conversation_id.split(';', 1)[0]}:{message_id}"


class FeedbackMemory:
    def __init__(self, state: StateStore) -> None:
        self.state = state

    async def remember(
        self, conversation_id: str | None, message_ids: Iterable[str | None], skill: str
    ) -> None:
        """Keep `skill` under each id the answer may be rated under (Teams' answer to the send,
        the stream id of a streamed final, the id of an updated placeholder)."""
        if not conversation_id:
            return
        for message_id in sorted({str(i) for i in message_ids if i}):
            try:
                await self.state.save_reference(_key(conversation_id, message_id), {"skill": skill})
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
