"""The notice that some results stayed out of a shared conversation, and the way to the 1:1 chat.

SDK-free: the Teams handler (bot/teams/handler.py), the message extensions and the personal-chat
line (bot/teams/personal.py) all draw the same card and link. The rule that decides what is
withheld is skills/audience.py.
"""

from __future__ import annotations

from typing import Any

from bot import cards
from skills.audience import PERSONAL_CHAT_ACTION, WITHHELD_NOTICE


def personal_chat_url(bot_app_id: str) -> str | None:
    """Teams' deep link to the bot's 1:1 chat (None without an app id: local mode)."""
    return f"https://teams.microsoft.com/l/chat/0/0?users=28:{bot_app_id}" if bot_app_id else None


def withheld_card(bot_app_id: str) -> dict[str, Any]:
    """The notice that some results stayed out, naming none of them, with the way to the 1:1
    chat. Adaptive Card 1.4 with Action.OpenUrl only, so it renders where an extension inserts
    it (Outlook) as well as in Teams."""
    url = personal_chat_url(bot_app_id)
    actions = [{"type": "Action.OpenUrl", "title": PERSONAL_CHAT_ACTION, "url": url}] if url else []
    return cards.fill("withheld", notice=WITHHELD_NOTICE, actions=actions)
