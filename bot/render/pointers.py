"""The places to check below a "no sure answer" (`Answer.pointers`, skills/pointers.py), drawn
for each surface: the chat's card, the CLI's lines. One heading and one label per place here, so
the chat and the CLI say the same words.

Labelled as places to read, never as sources of an answer: the chat draws them on a card of
their own (no [n] markers, no Teams citation pills), the plain text under their own heading.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.render import cardkit
from kiw_common.citations import source_label
from skills.results import Pointer
from skills.wording import german_quotes

HEADING = {
    "de": "Diese Stellen kommen Ihrer Frage am nächsten – bitte prüfen Sie selbst:",
    "en": "These passages come closest to your question – please check them yourself:",
}
OPEN_BUTTON = {"de": "Stelle {n} öffnen", "en": "Open passage {n}"}


def heading(language: str) -> str:
    return HEADING.get(language, HEADING["de"])


def label(pointer: Pointer) -> str:
    """ "Dienstvereinbarung KI, § 7 KI-Pass und Qualifizierung, S. 4" (the citations' label)."""
    return source_label(pointer.title, pointer.reference, pointer.heading, pointer.page)


def snippet(pointer: Pointer) -> str:
    return f"„{german_quotes(pointer.snippet)}“" if pointer.snippet else ""


def pointer_lines(pointers: Sequence[Pointer], language: str) -> list[str]:
    """The heading and each place: number, label, the snippet in quotes, the link."""
    if not pointers:
        return []
    lines = [heading(language)]
    for n, pointer in enumerate(pointers, start=1):
        lines.append(f"{n}. {label(pointer)}")
        if pointer.snippet:
            lines.append(f"   {snippet(pointer)}")
        if pointer.url:
            lines.append(f"   {pointer.url}")
    return lines


def pointers_card(pointers: Sequence[Pointer], language: str) -> cardkit.Element:
    """The places as an Adaptive Card 1.5: the heading, each place with its linked label and
    its snippet, a button for each link (once: three sections of one document share it)."""
    body: list[cardkit.Element] = [cardkit.text_block(f"**{heading(language)}**")]
    for n, pointer in enumerate(pointers, start=1):
        name = label(pointer)
        title = f"[{name}]({pointer.url})" if pointer.url else name
        items = [cardkit.text_block(f"{n}. {title}", size="Small")]
        if pointer.snippet:
            items.append(cardkit.text_block(snippet(pointer), subtle=True, size="Small"))
        body.append({"type": "Container", "separator": True, "items": items})
    button = OPEN_BUTTON.get(language, OPEN_BUTTON["de"])
    links: dict[str, str] = {}
    for n, pointer in enumerate(pointers, start=1):
        if pointer.url and pointer.url not in links:
            links[pointer.url] = button.format(n=n)
    return cardkit.card(body, cardkit.action_buttons((t, url) for url, t in links.items()))
