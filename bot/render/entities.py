"""The schema.org Message entity of a Teams message: the "KI-generiert" label and citations.

Plain data (no Bot Framework types): the chat renderer (bot/render/chat.py) puts it on a message,
bot/teams/entities.py keeps it intact on the wire.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from kiw_common.citations import page_label
from skills.types import Citation

MESSAGE_ENTITY_TYPE = "https://schema.org/Message"
ABSTRACT_MAX_CHARS = 160  # Teams truncates longer citation abstracts
NAME_MAX_CHARS = 80


def _clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def citation_claims(citations: Sequence[Citation]) -> list[dict[str, Any]]:
    """Teams `Claim` objects; `position` matches the [n] marker in the message text."""
    claims: list[dict[str, Any]] = []
    for citation in citations:
        appearance: dict[str, Any] = {
            "@type": "DigitalDocument",
            "name": _clip(citation.title or citation.doc_id, NAME_MAX_CHARS),
            "abstract": _clip(citation.quote or citation.title, ABSTRACT_MAX_CHARS),
        }
        if citation.url:
            appearance["url"] = citation.url
        keywords = [k for k in (citation.reference, citation.heading) if k]
        if citation.page:
            keywords.append(page_label(citation.page))
        if keywords:
            appearance["keywords"] = keywords[:3]
        claims.append({"@type": "Claim", "position": citation.n, "appearance": appearance})
    return claims


def message_entity(
    *, ai_generated: bool, citations: Sequence[Citation] = ()
) -> dict[str, Any] | None:
    """The schema.org Message entity: AI label and/or citations; None when neither applies."""
    if not ai_generated and not citations:
        return None
    entity: dict[str, Any] = {
        "type": MESSAGE_ENTITY_TYPE,
        "@context": "https://schema.org",
        "@type": "Message",
        "@id": "",
    }
    if ai_generated:
        entity["additionalType"] = ["AIGeneratedContent"]
    if citations:
        entity["citation"] = citation_claims(citations)
    return entity
