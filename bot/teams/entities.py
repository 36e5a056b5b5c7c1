"""Teams message entities: the "KI-generiert" label and citations, kept intact on the wire.

botbuilder's `Entity` model (and the msrest serializer behind the connector client) writes only
the `type` field of an entity and silently drops every other key — even when the entity is a plain
dict. `RawEntity` declares its keys in the instance's attribute map, so the serializer writes the
whole dict (`@type`, `additionalType`, `citation`, ...), as Teams' AI-label format requires.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

from botbuilder.schema import Entity

from skills.types import Citation

MESSAGE_ENTITY_TYPE = "https://schema.org/Message"
ABSTRACT_MAX_CHARS = 160  # Teams truncates longer citation abstracts
NAME_MAX_CHARS = 80


class RawEntity(Entity):
    """An entity whose every top-level key reaches the wire unchanged."""

    def __init__(self, data: dict[str, Any]) -> None:
        super().__init__(type=str(data.get("type", "")))
        self.data = copy.deepcopy(data)
        # msrest reads the *instance's* attribute map when serialising; "object" keeps values as-is.
        self._attribute_map = {}
        for i, (key, value) in enumerate(self.data.items()):
            self._attribute_map[f"raw_{i}"] = {"key": key.replace(".", "\\."), "type": "object"}
            setattr(self, f"raw_{i}", value)

    def as_dict(self) -> dict[str, Any]:
        return copy.deepcopy(self.data)


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
            keywords.append(f"S. {citation.page}")
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


def message_entities(*, ai_generated: bool, citations: Sequence[Citation] = ()) -> list[Entity]:
    entity = message_entity(ai_generated=ai_generated, citations=citations)
    return [RawEntity(entity)] if entity else []
