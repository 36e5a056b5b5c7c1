"""The withheld notice: names nothing, offers the bot's 1:1 chat, renders where it is inserted."""

from __future__ import annotations

from bot.withheld import personal_chat_url, withheld_card
from skills.audience import WITHHELD_NOTICE
from tests.bot.card_schema import card_errors


def test_notice_links_to_the_bots_personal_chat() -> None:
    card = withheld_card("0b0b0b0b-1111-2222-3333-444444444444")
    assert card["version"] == "1.4"  # Outlook renders what an extension inserts up to 1.4
    assert card["body"][0]["text"] == WITHHELD_NOTICE
    [action] = card["actions"]
    assert action["type"] == "Action.OpenUrl"
    assert action["url"] == (
        "https://teams.microsoft.com/l/chat/0/0?users=28:0b0b0b0b-1111-2222-3333-444444444444"
    )
    assert card_errors(card) == []


def test_local_mode_has_no_app_id_to_link_to() -> None:
    assert personal_chat_url("") is None
    card = withheld_card("")
    assert "actions" not in card and card["body"][0]["text"] == WITHHELD_NOTICE
