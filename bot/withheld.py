"""The notice that some results stayed out of a shared conversation, and the way to the 1:1 chat.

SDK-free: the Teams handler (bot/teams/handler.py), the message extensions and the personal-chat
line (bot/teams/personal.py) all draw the same card and link. The rule that decides what is
withheld is skills/audience.py.
"""

from __future__ import annotations

from typing import Any, Final

from bot import cards
from skills.audience import PERSONAL_CHAT_ACTION, WITHHELD_NOTICE
from skills.results import Notice
from skills.types import SkillResult


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


SENT_PRIVATELY: Final = "Ich habe Ihnen die Details im persönlichen Chat geschickt."
OPEN_PERSONAL_CHAT: Final = (
    "Die Antwort betrifft nur Sie, deshalb schreibe ich sie nicht hier hinein. Bitte öffnen Sie "
    "den persönlichen Chat mit mir (in Teams unter „Apps“ → „KI-Werkstatt Assistent“) und "
    "schreiben Sie mir dort noch einmal."
)
OPEN_PERSONAL_CHAT_LINK: Final = (
    "Die Antwort betrifft nur Sie, deshalb schreibe ich sie nicht hier hinein. Bitte öffnen Sie "
    "den [persönlichen Chat mit mir]({url}) und schreiben Sie mir dort noch einmal."
)


def open_personal_chat_line(bot_app_id: str) -> str:
    """The shared line when the 1:1 message could not be sent: the way there, a deep link to
    the bot's chat where the app id is known (not in local mode)."""
    url = personal_chat_url(bot_app_id)
    return OPEN_PERSONAL_CHAT_LINK.format(url=url) if url else OPEN_PERSONAL_CHAT


def private_notice(sent: bool, bot_app_id: str) -> SkillResult:
    """What a shared conversation gets instead of a personal result (KI-Pass status, a refusal):
    one neutral line, chat text, no card and no feedback — nothing in it is about the person."""
    line = SENT_PRIVATELY if sent else open_personal_chat_line(bot_app_id)
    return SkillResult(Notice(line), outcome="ok")
