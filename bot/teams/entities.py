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

from bot.render.entities import message_entity
from skills.types import Citation

__all__ = ["RawEntity", "message_entities", "message_entity"]


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


def message_entities(*, ai_generated: bool, citations: Sequence[Citation] = ()) -> list[Entity]:
    entity = message_entity(ai_generated=ai_generated, citations=citations)
    return [RawEntity(entity)] if entity else []
