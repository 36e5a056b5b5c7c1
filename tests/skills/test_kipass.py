"""`kipass`: the user's own status, the 30-day reminder, steps; works without a KI-Pass."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

import pytest

from bot.render.chat_cards import result_card
from bot.render.text import result_text
from graph.principal import NO_EXPIRY, Principal
from skills import kipass
from skills.context import SkillConfig, SkillContext
from skills.gate import gate
from skills.results import KipassStatus
from skills.types import SkillRequest, SkillResult
from tests.bot.card_schema import assert_valid_card

TODAY = date(2026, 11, 27)
CONFIG = SkillConfig(
    kipass_training_url="https://intranet.example/ki-pass", kipass_contact="Frau X"
)
ALL_DONE = {"schulung": True, "dienstvereinbarung": True, "leitlinien": True, "checkliste": True}


def ctx() -> SkillContext:
    return SkillContext(
        index=None,  # type: ignore[arg-type]
        generator=None,  # type: ignore[arg-type]
        directory=None,  # type: ignore[arg-type]
        config=CONFIG,
        today=lambda: TODAY,
    )


async def status(principal: Principal | None) -> SkillResult:
    return await kipass.run(SkillRequest(text="", command="kipass", user=principal), ctx())


def person(until: date | None, steps: dict[str, bool] | None = None, **kw: Any) -> Principal:
    return Principal(id="u", name="U", kipass_valid_until=until, kipass_steps=steps or {}, **kw)


def drawn(result: SkillResult) -> dict[str, Any]:
    """The status card as the chat draws it from the typed result (bot/render/chat_cards.py)."""
    assert isinstance(result.payload, KipassStatus)
    card, feedback = result_card(result)
    assert card is not None and not feedback
    return card


async def test_valid_far_from_expiry_no_reminder() -> None:
    result = await status(
        person(date(2027, 6, 30), ALL_DONE, access_groups=frozenset({"fraktion-cdu"}))
    )
    assert result_text(result).startswith("Ihr KI-Pass ist gültig bis 30.06.2027.")
    assert result.as_json()["kipass"] == "valid" and result.as_json()["reminder"] is False
    assert result.as_json()["access_groups"] == ["fraktion-cdu", "public"]
    assert "Ihre Dokumentzugänge: Fraktion CDU, öffentliche Dokumente." in result_text(result)
    assert_valid_card(drawn(result))
    assert "actions" not in drawn(result)  # nothing to book


@pytest.mark.parametrize(
    ("days", "phrase"),
    [(30, "in 30 Tagen"), (12, "in 12 Tagen"), (1, "morgen"), (0, "heute")],
)
async def test_reminder_within_30_days(days: int, phrase: str) -> None:
    until = TODAY + timedelta(days=days)
    result = await status(person(until, ALL_DONE))
    assert result.as_json()["reminder"] is True and result.as_json()["days_left"] == days
    assert f"Ihr KI-Pass läuft {phrase} ab" in result_text(result)
    assert_valid_card(drawn(result))
    assert drawn(result)["actions"][0]["title"] == "Auffrischung buchen"


async def test_no_reminder_at_31_days_or_without_end_date() -> None:
    assert (await status(person(TODAY + timedelta(days=31)))).as_json()["reminder"] is False
    unlimited = await status(person(NO_EXPIRY))
    assert unlimited.as_json()["reminder"] is False
    assert "ohne Ablaufdatum" in result_text(unlimited)
    assert unlimited.as_json()["valid_until"] is None


async def test_expired_shows_date_and_booking() -> None:
    result = await status(person(date(2025, 12, 31), ALL_DONE))
    assert result_text(result).startswith("Ihr KI-Pass ist am 31.12.2025 abgelaufen.")
    assert result.as_json()["kipass"] == "expired"
    assert {
        "type": "Action.OpenUrl",
        "title": "Auffrischung buchen",
        "url": CONFIG.kipass_training_url,
    } in drawn(result)["actions"]


async def test_none_lists_steps_done_and_open() -> None:
    steps = {"schulung": True, "dienstvereinbarung": True, "leitlinien": False, "checkliste": False}
    result = await status(person(None, steps))
    assert result.as_json()["kipass"] == "none"
    assert result.as_json()["open_steps"] == ["leitlinien", "checkliste"]
    assert "- Schulung besucht: ✓ erledigt" in result_text(result)
    assert "- KI-Leitlinien zur Kenntnis genommen: offen" in result_text(result)
    assert (
        "Noch offen: KI-Leitlinien zur Kenntnis genommen; Digitale Checkliste abgeschlossen."
        in result_text(result)
    )
    assert_valid_card(drawn(result))
    # The training is done: the next step is the KI-Leitlinien, not another booking.
    assert "Ihr nächster Schritt: Nehmen Sie die KI-Leitlinien zur Kenntnis." in result_text(result)
    assert drawn(result)["actions"][0]["title"] == "Zum KI-Pass im Intranet"


async def test_without_principal_says_status_unknown() -> None:
    result = await status(None)
    assert result.outcome == "not_found"
    assert "konnte nicht ermittelt werden" in result_text(result)


async def test_kipass_skill_passes_the_gate_without_kipass() -> None:
    from pathlib import Path

    from graph.local import LocalDirectory, parse_directory

    directory = LocalDirectory(parse_directory("users:\n  - {id: x, name: X}\n", Path("d.yaml")))
    c = ctx()
    c.directory = directory
    decision = await gate(kipass.SKILL, "x", c)
    assert decision.allowed and decision.principal is not None
    result = await kipass.SKILL.run(SkillRequest(text="", user=decision.principal), c)
    assert result.as_json()["kipass"] == "none"


async def test_groups_are_shown_by_display_name_never_by_raw_id() -> None:
    groups = frozenset({"fraktion-gruene", "ki-werkstatt-admins", "intern-xyz", "public"})
    names = {"fraktion-gruene": "Grüne im Rathaus", "ki-werkstatt-admins": "KI-Werkstatt"}
    result = await status(
        person(date(2027, 6, 30), ALL_DONE, access_groups=groups, access_group_names=names)
    )
    shown = result_text(result) + json.dumps(drawn(result), ensure_ascii=False)
    assert "Grüne im Rathaus, KI-Werkstatt, öffentliche Dokumente, eine weitere Gruppe" in shown
    for raw in ("fraktion-gruene", "ki-werkstatt-admins", "intern-xyz"):
        assert raw not in shown
    assert result.personal  # the bot shows it only in the 1:1 chat
