"""Message-extension cards: Adaptive Card 1.4 with `Action.OpenUrl` only, as Outlook renders them.

A card put into an Outlook mail must render there, and Outlook does not run bot actions from a
mail; Teams renders the same cards. Drawn here, once, for the search results, an unfurled
ALLRIS link, the summary dialog and what it inserts (bot/extensions.py calls them).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from bot.withheld import personal_chat_url, withheld_card
from skills.audience import PERSONAL_CHAT_ACTION, WITHHELD_NOTICE
from skills.results import Paper
from skills.wording import clip, committee_label, german_quotes

ADAPTIVE = "application/vnd.microsoft.card.adaptive"
THUMBNAIL = "application/vnd.microsoft.card.thumbnail"
CARD_VERSION = "1.4"  # what Outlook renders for message-extension cards; Teams renders it too
SNIPPET_CHARS = 300
HINT_NOT_FOR_EVERYONE = (
    "Nur für einen Teil dieser Unterhaltung sichtbar – eingefügt wird nur ein Hinweis."
)


def _card(body: list[dict[str, Any]], actions: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": CARD_VERSION,
        "body": body,
    }
    if actions:
        out["actions"] = actions
    return out


def _text(text: str, **style: Any) -> dict[str, Any]:
    return {"type": "TextBlock", "text": text, "wrap": True, **style}


def _open_url(title: str, url: str | None) -> list[dict[str, Any]]:
    if not url or not url.lower().startswith(("https://", "http://")):
        return []
    return [{"type": "Action.OpenUrl", "title": title, "url": url}]


def _german_date(value: date | None) -> str:
    return value.strftime("%d.%m.%Y") if value else ""


def _plain_snippet(snippet: str) -> str:
    return german_quotes(clip(snippet.replace("**", ""), SNIPPET_CHARS))


def paper_card(paper: Paper) -> dict[str, Any]:
    facts = [
        ("Aktenzeichen", paper.reference or ""),
        ("Datum", _german_date(paper.date)),
        (committee_label(len(paper.organizations)), ", ".join(paper.organizations)),
        ("Art", paper.paper_type or ""),
    ]
    body: list[dict[str, Any]] = [
        _text(paper.title or "Ratsdokument", weight="Bolder", size="Medium")
    ]
    shown = [{"title": t, "value": v} for t, v in facts if v]
    if shown:
        body.append({"type": "FactSet", "facts": shown})
    if paper.snippet:
        body.append(_text(_plain_snippet(paper.snippet), isSubtle=True, size="Small"))
    return _card(body, _open_url("In ALLRIS öffnen", paper.url))


def withheld_attachment(paper: Paper, bot_app_id: str) -> dict[str, Any]:
    """A paper only the user may read here: its preview (seen by the user alone) says it stays
    out; picking it inserts the notice, not the paper."""
    return {
        "contentType": ADAPTIVE,
        "content": withheld_card(bot_app_id),
        "preview": {
            "contentType": THUMBNAIL,
            "content": {"title": paper.title, "text": HINT_NOT_FOR_EVERYONE},
        },
    }


def paper_attachment(paper: Paper) -> dict[str, Any]:
    subtitle = " · ".join(
        p for p in (paper.reference, _german_date(paper.date), ", ".join(paper.organizations)) if p
    )
    return {
        "contentType": ADAPTIVE,
        "content": paper_card(paper),
        "preview": {"contentType": THUMBNAIL, "content": {"title": paper.title, "text": subtitle}},
    }


def add_withheld_notice(card: dict[str, Any], bot_app_id: str) -> None:
    """Below an inserted card: some results stayed out here (naming none), the way to the 1:1."""
    card["body"].append(_text(WITHHELD_NOTICE, isSubtle=True, size="Small"))
    chat = personal_chat_url(bot_app_id)
    if chat:
        card.setdefault("actions", []).append(
            {"type": "Action.OpenUrl", "title": PERSONAL_CHAT_ACTION, "url": chat}
        )


def summary_card(
    points: list[str], ai_generated: bool, withheld: bool = False, bot_app_id: str = ""
) -> dict[str, Any]:
    label = (
        "KI-generiert – bitte prüfen Sie die Zusammenfassung."
        if ai_generated
        else "Auszug aus der Nachricht (ohne KI erstellt)."
    )
    body = [_text("Zusammenfassung", weight="Bolder", size="Medium")]
    if points:
        body += [_text(f"- {p}") for p in points]
    else:
        body.append(_text("Ich habe keine Kernaussagen gefunden."))
    body.append(_text(label, isSubtle=True, size="Small"))
    card = _card(body, [])
    if withheld:
        body.append(_text(WITHHELD_NOTICE, isSubtle=True, size="Small"))
        chat = personal_chat_url(bot_app_id)
        if chat:
            card["actions"] = [
                {"type": "Action.OpenUrl", "title": PERSONAL_CHAT_ACTION, "url": chat}
            ]
    return card
