"""The Teams skill `priorisieren` with an attached inventory (driven as the bot drives it)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

from bot.render.chat_cards import result_card
from bot.render.text import result_text
from skills.context import SkillContext
from skills.prioritise import SKILL
from skills.registry import all_skills
from skills.types import Attachment, SkillOptions, SkillRequest
from tests.bot.card_schema import assert_valid_card
from tests.conftest import REPO

CSV_TYPE = "text/csv"


class _Unused:
    """The skill must not touch the index, the generator or the directory."""

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"prioritise used {name}")


def ctx() -> SkillContext:
    return SkillContext(
        index=_Unused(),
        generator=_Unused(),
        directory=_Unused(),
        today=lambda: date(2026, 11, 27),
    )


def sample() -> Attachment:
    return Attachment("inventar.csv", CSV_TYPE, (REPO / "samples" / "inventory.csv").read_bytes())


def test_registered_without_kipass() -> None:
    assert SKILL in all_skills()
    assert SKILL.requires_kipass is False
    assert SKILL.commands[0] == "priorisieren"


async def test_attached_inventory_gives_card_with_top_and_quick_wins() -> None:
    result = await SKILL.run(
        SkillRequest(text="60", command="priorisieren", attachments=(sample(),)), ctx()
    )
    assert result.outcome == "ok" and result.ai_generated is False
    assert result.as_json()["parameters"]["capacity_person_days_per_quarter"] == 60
    assert result.as_json()["parameters"]["start"] == "Q1/2027"
    top = [r["name"] for r in result.as_json()["ranking"][:5]]
    assert top[0] in result_text(result)
    card, _ = result_card(result)  # drawn from the typed Ranking (bot/render/chat_cards.py)
    assert card is not None and card["type"] == "AdaptiveCard"
    assert_valid_card(card)
    body = str(card["body"])
    for name in top:
        assert name in body
    quick = [r["name"] for r in result.as_json()["ranking"] if r["quick_win"]]
    assert quick and all(name in body for name in quick)
    assert "Q1/2027" in body


async def test_bad_inventory_lists_problems() -> None:
    bad = Attachment(
        "inventar.csv",
        CSV_TYPE,
        b"Prozess;Organisationseinheit\nWohngeld;Wohngeldstelle\n",
    )
    result = await SKILL.run(SkillRequest(text="", attachments=(bad,)), ctx())
    assert result.outcome == "bad_input"
    assert "Zeile 1, Spalte „Minuten pro Fall“: Spalte fehlt." in result_text(result)
    card, feedback = result_card(result)  # the chat's card of the typed InventoryProblems
    assert card is not None and "Spalte fehlt" in str(card) and not feedback
    assert_valid_card(card)


async def test_without_attachment_explains_what_to_send() -> None:
    result = await SKILL.run(SkillRequest(text=""), ctx())
    assert result.outcome == "bad_input"
    assert "CSV" in result_text(result) and "Datenschutzklasse" in result_text(result)


async def test_only_in_personal_chat() -> None:
    result = await SKILL.run(SkillRequest(text="", scope="team", attachments=(sample(),)), ctx())
    assert result.outcome == "bad_input" and "1:1-Chat" in result_text(result)


async def test_zero_capacity_in_chat() -> None:
    result = await SKILL.run(SkillRequest(text="0", attachments=(sample(),)), ctx())
    assert result.outcome == "ok"
    assert result.as_json()["schedule"] is None
    assert "Kapazität ist 0" in result_text(result)


async def test_teams_turn_with_attached_inventory(data_dir: Path) -> None:
    """The bot's turn pipeline (router, gate, deadline, audit) with the attachment the Teams
    handler hands over: routed by the command, no KI-Pass needed, one audit line, no content."""
    from bot.pipeline import Invocation, Pipeline
    from skills.registry import all_skills
    from skills.trace import Trace
    from tests.bot.kit import make_services, make_settings

    services = make_services(make_settings(data_dir))
    pipeline = Pipeline(services.skill_context(), services.audit, all_skills, deadline_seconds=30)
    turn = Invocation(
        "priorisieren 40", user_id="no-kipass-user", scope="personal", attachments=(sample(),)
    )
    output = await pipeline.run(turn, Trace("t1"))
    assert output.skill.name == "prioritise"
    assert output.result.outcome == "ok"
    assert output.result.as_json()["parameters"]["capacity_person_days_per_quarter"] == 40
    assert result_card(output.result)[0] is not None
    (line,) = [
        json.loads(raw)
        for path in services.audit.files()
        for raw in path.read_text("utf-8").splitlines()
    ]
    assert (line["event"], line["skill"], line["outcome"]) == ("turn", "prioritise", "ok")
    assert "Wohngeld" not in json.dumps(line)


async def test_the_result_is_typed_and_takes_typed_options() -> None:
    """The ranking comes back as data (`Ranking`), not only as a card; the dashboard's fields
    (capacity, net hours per FTE, first quarter) reach the skill as typed options."""
    from prioritisation.schedule import Quarter
    from skills.results import InventoryProblems, Ranking

    options = SkillOptions(capacity=40.0, net_hours_per_fte=1500.0, start=Quarter.parse("2027-Q1"))
    request = SkillRequest(text="", scope="dashboard", attachments=(sample(),), options=options)
    result = await SKILL.run(request, ctx())
    assert isinstance(result.payload, Ranking)
    analysis = result.payload.analysis
    assert analysis.params.net_hours_per_fte == 1500.0
    assert result.as_json()["parameters"]["capacity_person_days_per_quarter"] == 40
    assert result.as_json()["schedule"]["start"] == "Q1/2027"

    # The dashboard's upload is the inventory whatever its name; its problems come back typed.
    broken = Attachment("notizen.txt", "text/plain", b"Prozess;Minuten pro Fall\nA;-3\n")
    request = SkillRequest(text="", scope="dashboard", attachments=(broken,))
    refused = await SKILL.run(request, ctx())
    assert refused.outcome == "bad_input"
    assert isinstance(refused.payload, InventoryProblems)
    assert refused.payload.file_name == "notizen.txt" and refused.payload.problems
