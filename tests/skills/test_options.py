"""Typed request options (skills/options.py): defaults, checks with German words, card data."""

from __future__ import annotations

import pytest

from prioritisation.schedule import Quarter
from skills.options import MAX_PAGE, MAX_QUERY_CHARS
from skills.types import BadInput, SkillOptions, SkillRequest


def test_defaults_ask_for_nothing_special() -> None:
    options = SkillRequest(text="x").options
    assert options == SkillOptions()
    assert (options.page, options.query, options.mode, options.budget_seconds) == (0, "", "", None)


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"page": -1}, "Seitenzahl"),
        ({"page": MAX_PAGE + 1}, "Seitenzahl"),
        ({"page": "2"}, "ganze Zahl"),
        ({"page": True}, "ganze Zahl"),
        ({"query": "x" * (MAX_QUERY_CHARS + 1)}, "zu lang"),
        ({"mode": "poem"}, "Art der Antwort"),
        ({"budget_seconds": 0}, "Bearbeitungszeit"),
        ({"budget_seconds": float("nan")}, "Bearbeitungszeit"),
        ({"capacity": -1.0}, "nicht negativ"),
        ({"capacity": float("inf")}, "nicht negativ"),
        ({"net_hours_per_fte": 0.0}, "größer als 0"),
        ({"start": "2027-Q1"}, "2027-Q1"),
    ],
)
def test_a_value_out_of_range_is_bad_input_in_german(fields: dict[str, object], words: str) -> None:
    with pytest.raises(BadInput) as raised:
        SkillOptions(**fields)  # type: ignore[arg-type]
    assert words in raised.value.user_message
    assert raised.value.code == "bad_input"


def test_values_in_range_are_kept() -> None:
    options = SkillOptions(
        page=3, query="Radverkehr", mode="answer", budget_seconds=1.5, capacity=0,
        net_hours_per_fte=1600, start=Quarter(2027, 1),
    )  # fmt: skip
    assert (options.page, options.capacity, options.start) == (3, 0, Quarter(2027, 1))


@pytest.mark.parametrize(
    ("page", "expected"),
    [(1, 1), ("2", 2), ("x", 0), (None, 0), (-3, 0), (1.5, 0), (10**9, MAX_PAGE)],
)
def test_a_cards_page_is_read_defensively(page: object, expected: int) -> None:
    assert SkillOptions.from_card({"command": "suche", "page": page}).page == expected


def test_a_card_sets_only_what_the_skills_buttons_send() -> None:
    """Card data is forgeable: it cannot switch a search to answers, stretch a summary's time
    or set the dashboard's figures."""
    forged = {
        "command": "suche",
        "query": "  Radverkehr  ",
        "page": 1,
        "mode": "answer",
        "budget_seconds": 1e9,
        "capacity": -5,
    }
    assert SkillOptions.from_card(forged) == SkillOptions(page=1, query="Radverkehr")
    assert SkillOptions.from_card({"query": 42}).query == ""
    assert len(SkillOptions.from_card({"query": "x" * 10_000}).query) == MAX_QUERY_CHARS
