"""Adaptive Card 1.5 building blocks the renderers use (bot/render/, bot/cards/).

Plain dicts only (no Bot Framework import: bot/teams/ holds the SDK). The bot
validates every card it sends against the official Adaptive Card 1.5 schema in tests, so the
helpers here only emit elements and properties that schema knows.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from kiw_common.citations import citation_label
from skills.types import Citation
from skills.wording import clip, german_quotes

CARD_VERSION = "1.5"
CARD_SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
# Data of a feedback click (see bot/teams/handler.py). The buttons are Action.Execute with this
# verb: Teams (and the Agents Playground) then replace the card that carried them with the card
# the bot answers, so the buttons give way to the vote instead of a second "Danke" message.
FEEDBACK_KEY = "kiwFeedback"
FEEDBACK_VERB = "kiwFeedback"

Element = dict[str, Any]


def card(body: Sequence[Element], actions: Sequence[Element] = (), *, speak: str = "") -> Element:
    """The Adaptive Card envelope. No `msteams` host extension: the official 1.5 schema forbids
    unknown card properties, and every card we send must validate against it."""
    out: Element = {
        "$schema": CARD_SCHEMA,
        "type": "AdaptiveCard",
        "version": CARD_VERSION,
        "body": list(body),
    }
    if actions:
        out["actions"] = list(actions)
    if speak:
        out["speak"] = speak
    return out


def heading(text: str) -> Element:
    return {
        "type": "TextBlock",
        "text": text,
        "weight": "Bolder",
        "size": "Medium",
        "wrap": True,
        "style": "heading",
    }


def text_block(text: str, *, subtle: bool = False, size: str | None = None) -> Element:
    out: Element = {"type": "TextBlock", "text": text, "wrap": True}
    if subtle:
        out["isSubtle"] = True
    if size:
        out["size"] = size
    return out


def fact_set(facts: Iterable[tuple[str, str]]) -> Element:
    return {
        "type": "FactSet",
        "facts": [{"title": title, "value": value} for title, value in facts],
    }


def open_url_action(title: str, url: str) -> Element:
    return {"type": "Action.OpenUrl", "title": title, "url": url}


def action_buttons(links: Iterable[tuple[str, str]]) -> list[Element]:
    """(title, url) pairs as Action.OpenUrl buttons; links without a URL are left out."""
    return [open_url_action(title, url) for title, url in links if url]


def submit_action(title: str, data: dict[str, Any]) -> Element:
    return {"type": "Action.Submit", "title": title, "data": data}


def feedback_actions(skill: str) -> list[Element]:
    """👍 / 👎. The bot records only the direction (audit event "feedback"), never content. The
    bot sends them on a card of their own below the answer (bot/teams/replies.py), so the vote can
    replace them without touching the answer."""
    return [
        {
            "type": "Action.Execute",
            "title": title,
            "verb": FEEDBACK_VERB,
            "data": {FEEDBACK_KEY: reaction, "skill": skill},
        }
        for title, reaction in (("👍 Hilfreich", "up"), ("👎 Nicht hilfreich", "down"))
    ]


def is_feedback_action(action: Element) -> bool:
    data = action.get("data")
    return isinstance(data, dict) and FEEDBACK_KEY in data


def citation_list(citations: Sequence[Citation], *, max_quote_chars: int = 300) -> list[Element]:
    """Numbered sources, each with its passage; the title links to the document if it has a URL."""
    if not citations:
        return []
    items: list[Element] = [
        {
            "type": "TextBlock",
            "text": "Quellen",
            "weight": "Bolder",
            "wrap": True,
            "separator": True,
            "spacing": "Medium",
        }
    ]
    for citation in citations:
        label = citation_label(citation)
        title = f"[{label}]({citation.url})" if citation.url else label
        items.append(text_block(f"[{citation.n}] {title}", size="Small"))
        # Cut at a word, and the source's own »quotes« as „quotes“ inside our „…“.
        quote = german_quotes(clip(citation.quote, max_quote_chars))
        if quote:
            items.append(
                {
                    "type": "TextBlock",
                    "text": f"„{quote}“",
                    "wrap": True,
                    "isSubtle": True,
                    "size": "Small",
                    "spacing": "None",
                }
            )
    return items
