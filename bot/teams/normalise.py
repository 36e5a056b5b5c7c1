"""What the user actually wrote: Teams message text without the bot's @mention and without HTML.

The Teams-specific part (mention entities on an Activity); the SDK-free HTML-to-text and
whitespace rules that other front ends use live in bot/plain_text.py.

Teams sends `<at>Bot name</at>` inside the text plus a `mention` entity (whose `text` may be
missing); some clients send HTML (`<p>`, `<div>`, `&nbsp;`). Bot names may contain regex
characters ("KI-Assistent (Test)+"), so nothing here builds a regex from a name.
"""

from __future__ import annotations

import html
import re
from typing import Any

from botbuilder.schema import Activity

from bot.plain_text import plain_text

# Linear in the text (user input, before any size cap of the router): no pattern may scan to
# the end of the text from each of many start positions ("<at>" × 5,000 took 0.6 s). Hence the
# bounded mention and tags that end at the next "<" (bot/plain_text.py has the same rule).
_AT_TAG = re.compile(r"<at\b[^<>]{0,500}>(.{0,500}?)</at>", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"</?[a-zA-Z][^<>]*>")


def _mention_props(entity: Any) -> dict[str, Any]:
    props = getattr(entity, "additional_properties", None)
    if isinstance(entity, dict):
        props = entity
    return props if isinstance(props, dict) else {}


def bot_mentions(activity: Activity) -> list[tuple[str | None, str | None]]:
    """(mention text, mentioned name) of every mention entity that names the bot."""
    bot_id = activity.recipient.id if activity.recipient else None
    out: list[tuple[str | None, str | None]] = []
    for entity in activity.entities or []:
        kind = entity.get("type") if isinstance(entity, dict) else getattr(entity, "type", None)
        if str(kind or "").lower() != "mention":
            continue
        props = _mention_props(entity)
        mentioned = props.get("mentioned") or {}
        if not isinstance(mentioned, dict):
            continue
        if bot_id and mentioned.get("id") != bot_id:
            continue
        text = props.get("text")
        out.append((text if isinstance(text, str) else None, mentioned.get("name")))
    return out


def strip_bot_mention(text: str, activity: Activity) -> tuple[str, bool]:
    """Remove the bot's @mention(s); other people's mentions keep their (plain) names."""
    mentions = bot_mentions(activity)
    removed = False
    for mention_text, _ in mentions:
        if mention_text and mention_text in text:
            text = text.replace(mention_text, " ")
            removed = True
    names = {name.strip().casefold() for _, name in mentions if name}
    if activity.recipient and activity.recipient.name:
        names.add(activity.recipient.name.strip().casefold())

    def _tag(match: re.Match[str]) -> str:
        nonlocal removed
        inner = html.unescape(_TAG.sub("", match.group(1))).strip()
        if inner.casefold() in names or (mentions and not inner):
            removed = True
            return " "
        return inner

    text = _AT_TAG.sub(_tag, text)
    # A client that dropped the tags: "@KI-Assistent suche …" at the very start.
    stripped = text.lstrip()
    for name in sorted(names, key=len, reverse=True):
        for prefix in (f"@{name}", name if mentions else None):
            if prefix and stripped.casefold().startswith(prefix):
                text, removed = stripped[len(prefix) :], True
                break
        else:
            continue
        break
    return text, removed


def message_text(activity: Activity) -> tuple[str, bool]:
    """(normalised text, whether a bot mention was removed)."""
    raw = activity.text or ""
    text, removed = strip_bot_mention(raw, activity)
    return plain_text(text), removed


def bot_name(activity: Activity) -> str | None:
    """The name people see for the bot in this conversation: the name in their @mention, else
    the recipient's name Teams sends. A tenant may rename the app; the Playground calls it
    "Test Bot". None if Teams sent neither."""
    for _, mentioned in bot_mentions(activity):
        if isinstance(mentioned, str) and mentioned.strip():
            return mentioned.strip()
    recipient = getattr(activity.recipient, "name", None) if activity.recipient else None
    return recipient.strip() if isinstance(recipient, str) and recipient.strip() else None
