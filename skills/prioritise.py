"""`priorisieren`: rank an attached process inventory (CSV/XLSX) in a 1:1 chat.

Returns the typed `Ranking` (or `InventoryProblems`); the chat's card of the top candidates, the
quick wins and the first waves of the timeline is drawn in bot/render/chat_cards.py.
The full output (tables, charts, PDF report) comes from `kiw prioritise` or the upload on the
Werkstatt dashboard; a chat card is for a first look.

requires_kipass=False, on purpose: the ranking is plain arithmetic over figures the sender
supplies. No language model sees the file, no document index is searched, nothing leaves the
process. The KI-Pass gates the use of AI tools (Dienstvereinbarung); asking for it here would
keep exactly the process owners the Antrag wants to involve from preparing an inventory.
"""

from __future__ import annotations

import asyncio
import re

from prioritisation import Analysis, Source, analyse
from prioritisation.inventory import InventoryError, parse_inventory, template_headers
from prioritisation.report import de
from prioritisation.schedule import DEFAULT_CAPACITY_PERSON_DAYS
from prioritisation.scoring import Parameters
from skills.context import Skill, SkillContext, Utterance
from skills.results import InventoryProblems, Problem, Ranking
from skills.types import Attachment, SkillRequest, SkillResult

TOP_N = 5
CHAT_PROBLEMS = 15  # problems of an unusable inventory a chat reply lists (then how many more)
FIX_AND_RESEND = "Bitte korrigieren Sie die Datei und senden Sie sie erneut."
PERSONAL_CHAT_ONLY = (
    "Bitte senden Sie die Inventarliste im 1:1-Chat mit dem Assistenten: Dateien aus Kanälen "
    "und Gruppenchats kann ich nicht auswerten."
)
_CAPACITY = re.compile(r"(\d+(?:[.,]\d+)?)")
_SPREADSHEET_TYPES = (
    "text/csv",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.ms-excel",
)


def _inventory_attachment(attachments: tuple[Attachment, ...]) -> Attachment | None:
    for att in attachments:
        name = att.name.lower()
        if name.endswith((".csv", ".xlsx", ".xlsm")) or att.content_type in _SPREADSHEET_TYPES:
            return att
    return None


def _how_to() -> str:
    return (
        "Bitte hängen Sie eine Inventarliste als CSV- oder Excel-Datei (.xlsx) an und schreiben "
        "Sie „priorisieren“ dazu, optional mit der Kapazität in Personentagen pro Quartal "
        "(z. B. „priorisieren 60“). Benötigte Spalten: " + ", ".join(template_headers()) + "."
    )


async def run(request: SkillRequest, ctx: SkillContext) -> SkillResult:
    if request.scope not in ("personal", "cli", "dashboard"):
        return SkillResult(Problem("not_personal_scope", PERSONAL_CHAT_ONLY), outcome="bad_input")
    attachment = _inventory_attachment(request.attachments)
    if attachment is None and request.scope == "dashboard" and request.attachments:
        # The dashboard's upload field holds the inventory whatever its name: a wrong format
        # is then reported by the parser, line by line, like any other problem.
        attachment = request.attachments[0]
    if attachment is None:
        return SkillResult(Problem("no_inventory", _how_to()), outcome="bad_input")
    capacity = _capacity(request.text, request.options.capacity)
    try:
        # Parsing a spreadsheet and ranking are CPU work: off the event loop, which keeps
        # answering other turns meanwhile.
        processes = await asyncio.to_thread(parse_inventory, attachment.data, attachment.name)
    except InventoryError as exc:
        problems = tuple(str(p) for p in exc.problems)
        return SkillResult(InventoryProblems(attachment.name, problems), outcome="bad_input")
    net_hours = request.options.net_hours_per_fte
    params = Parameters(net_hours_per_fte=net_hours) if net_hours else None
    start = request.options.start
    with request.trace.timed("prioritise", processes=len(processes)) as step:
        analysis = await asyncio.to_thread(
            analyse,
            processes,
            Source.of(attachment.name, attachment.data),
            params=params,
            capacity=capacity,
            start=start,
            created=ctx.today(),
        )
        step["quick_wins"] = len(analysis.quick_wins)
    return SkillResult(Ranking(analysis), ai_generated=False)


def _capacity(text: str, given: float | None) -> float:
    """Person-days per quarter: the dashboard's field (`SkillOptions.capacity`), else a number
    in the message ("priorisieren 60"), else the default."""
    if given is not None:
        return float(given)
    match = _CAPACITY.search(text or "")
    if not match:
        return DEFAULT_CAPACITY_PERSON_DAYS
    return float(match.group(1).replace(",", "."))


def ranking_line(rank: int, name: str, potential: float, effort: float) -> str:
    return f"{rank}. {name} – {de(potential)} VZÄ Potenzial, {de(effort, 0)} PT Aufwand"


def plan_line(analysis: Analysis) -> str:
    plan = analysis.plan
    if plan is None:
        return analysis.plan_message or "Kein Zeitplan."
    if not plan.slots:
        return "Zeitplan: kein Vorhaben mit Einsparpotenzial."
    first_wave = [s.candidate.process.name for s in plan.slots if s.wave == 0]
    return (
        f"Zeitplan ab {plan.start} mit {de(plan.capacity, 0)} Personentagen pro Quartal; "
        f"erste Welle: {', '.join(first_wave)}."
    )


_PRIORITISE = re.compile(r"\b(priorisier\w*|quick[- ]?wins?|prioriti[sz]e)\b", re.IGNORECASE)


def asks_to_prioritise(said: Utterance) -> bool:
    return _PRIORITISE.search(said.head) is not None


SKILL = Skill(
    name="prioritise",
    commands=("priorisieren", "prioritise", "prioritize"),
    title="Prozesse priorisieren",
    description="Bewertet eine angehängte Inventarliste (CSV/Excel) von Verwaltungsprozessen: "
    "Rangliste, Quick Wins und Zeitplan.",
    requires_kipass=False,
    run=run,
    intent=asks_to_prioritise,
    intent_rank=20,
)
