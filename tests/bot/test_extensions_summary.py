"""The message action's summary: the same sections as in the chat, the proposal first."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.extensions import handle_invoke
from bot.pipeline import Pipeline
from bot.services import Services
from skills.registry import all_skills
from tests.bot.extension_kit import cards_in, invoke, seeded_services
from tests.bot.kit import USER_WITH_PASS


@pytest.fixture
async def services(data_dir: Path) -> AsyncIterator[Services]:
    built = await seeded_services(data_dir)
    yield built
    await built.aclose()


async def test_the_dialog_shows_proposal_money_and_deadline_first(services: Services) -> None:
    # The recorded message: a committee's recommendation, its cost and a deadline.
    activity = invoke("fetch_task_summarise.json")
    status, body = await handle_invoke(
        activity["name"],
        activity["value"],
        USER_WITH_PASS,
        "tenant",
        services,
        pipeline=Pipeline.for_services(services, all_skills),
    )
    assert status == 200
    [dialog] = cards_in(body)
    lines = [block["text"] for block in dialog["body"][1:4]]
    assert lines == [
        "- Der Ausschuss empfiehlt der Bürgerschaft, das Konzept zu beschließen.",
        "- Die Kosten betragen 2,4 Millionen Euro, verteilt auf die Haushaltsjahre 2027 und 2028.",
        "- Stellungnahmen der Fraktionen bitte bis zum 15.12.2026 an das Büro der Bürgerschaft.",
    ]


def test_a_sentence_in_two_parts_of_the_summary_shows_once() -> None:
    """Issue 15 item 8: a key point that is also the proposal, and money that is both itemised
    and joined, appeared twice in the dialog."""
    from bot.extensions import _summary_points
    from skills.results import CitedPoint, DocumentSummary

    proposal = "Die Bürgerschaft beschließt das Radverkehrskonzept."
    money = "Die Kosten betragen 2,4 Millionen Euro."
    summary = DocumentSummary(
        title="Radverkehrskonzept",
        decision_proposal=CitedPoint(proposal, "Beschlussvorschlag"),
        key_points=(CitedPoint(proposal), CitedPoint("Zwölf neue Fahrradstraßen.")),
        finance=(CitedPoint(money),),
        consultation=(CitedPoint("Bauausschuss, 14.01.2027"),),
        deadlines=(CitedPoint("Bauausschuss, 14.01.2027"),),
    )
    assert _summary_points(summary) == [
        proposal,
        "Zwölf neue Fahrradstraßen.",
        money,
        "Bauausschuss, 14.01.2027",
    ]
