"""Validate Adaptive Cards against the official 1.5 schema (vendored, see fixtures/adaptive-cards)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft6Validator

SCHEMA_PATH = (
    Path(__file__).resolve().parent.parent
    / "fixtures"
    / "adaptive-cards"
    / "adaptive-card-1.5.schema.json"
)


@cache
def validator() -> Draft6Validator:
    schema = json.loads(SCHEMA_PATH.read_text("utf-8"))
    Draft6Validator.check_schema(schema)
    return Draft6Validator(schema)


def card_errors(card: dict[str, Any]) -> list[str]:
    """Every schema violation, with its JSON path; [] for a valid card."""
    errors = sorted(validator().iter_errors(card), key=lambda e: list(e.absolute_path))
    return [f"{'/'.join(map(str, e.absolute_path)) or '<card>'}: {e.message[:300]}" for e in errors]


def assert_valid_card(card: dict[str, Any]) -> None:
    assert card.get("version") == "1.5", card.get("version")
    problems = card_errors(card)
    assert not problems, "card is not valid Adaptive Card 1.5:\n" + "\n".join(problems)
