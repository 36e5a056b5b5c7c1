"""The KI-Pass gate, per registered skill and per request: help/kipass (and other non-AI skills)
and a plain council search run without a KI-Pass; every AI feature (a question, a summary)
refuses without one, fails closed when the directory fails, refuses another tenant (which reads
public documents only), and the refusal card names the steps still open and the right next one."""

from __future__ import annotations

import asyncio
from datetime import date
from pathlib import Path
from typing import Any

import pytest

import skills.gate as gate_module
from bot.render.chat_cards import result_card
from bot.render.text import result_text
from graph.local import LocalDirectory, parse_directory
from graph.principal import DirectoryUnavailable, Principal
from skills.context import Skill, SkillConfig, SkillContext
from skills.gate import GateDecision, gate, needs_kipass
from skills.registry import all_skills, skill_named
from skills.results import Refusal
from skills.types import SkillOptions
from tests.bot.card_schema import assert_valid_card

TODAY = date(2026, 11, 27)
TENANT = "t-luebeck"
TRAINING = "https://intranet.luebeck.de/ki-pass/schulung"
CONTACT = "die KI-Werkstatt (Tel. 122-0)"

# Skills that work WITHOUT a KI-Pass, on purpose. Adding a skill here is a policy decision
# (the Dienstvereinbarung: AI tools only with a KI-Pass); every other skill must require it.
NO_KIPASS_SKILLS = {"help", "kipass", "prioritise"}
# Skills whose plain work needs no KI-Pass but whose model-written answers do (needs_kipass_for).
PARTLY_KIPASS_SKILLS = {"allris_search"}

DIRECTORY = f"""
tenant: {TENANT}
users:
  - {{id: valid, name: Anna, upn: anna@luebeck.de, groups: [fraktion-cdu], kipass_valid_until: 2027-06-30}}
  - {{id: expired, name: Bernd, kipass_valid_until: 2025-12-31}}
  - id: open-steps
    name: Clara
    kipass_steps: {{schulung: true, dienstvereinbarung: true, leitlinien: false, checkliste: false}}
  - {{id: last-day, name: Dora, kipass_valid_until: 2026-11-27}}
  - {{id: guest, name: Gast, tenant: t-other, groups: [fraktion-gruene], kipass_valid_until: 2027-06-30}}
  - id: training-only
    name: Tom
    kipass_steps: {{schulung: true, dienstvereinbarung: false, leitlinien: false, checkliste: false}}
  - id: all-but-checklist
    name: Uta
    kipass_steps: {{schulung: true, dienstvereinbarung: true, leitlinien: true, checkliste: false}}
  - id: no-steps
    name: Vera
    kipass_steps: {{schulung: false, dienstvereinbarung: false, leitlinien: false, checkliste: false}}
  - {{id: steps-unknown, name: Willi}}
  - id: all-done
    name: Xaver
    kipass_steps: {{schulung: true, dienstvereinbarung: true, leitlinien: true, checkliste: true}}
"""


class DownDirectory:
    def __init__(self, error: Exception | None = None, delay: float = 0.0) -> None:
        self.error = error or DirectoryUnavailable("Graph is down")
        self.delay = delay

    async def lookup(self, user_id: str) -> Principal:
        if self.delay:
            await asyncio.sleep(self.delay)
        raise self.error

    async def ping(self) -> None:
        raise self.error

    async def close(self) -> None:
        return None


def context(directory: Any = None) -> SkillContext:
    if directory is None:
        directory = LocalDirectory(parse_directory(DIRECTORY, Path("test.yaml")))
    return SkillContext(
        index=None,  # type: ignore[arg-type]  # the gate never touches index or generator
        generator=None,  # type: ignore[arg-type]
        directory=directory,
        config=SkillConfig(kipass_training_url=TRAINING, kipass_contact=CONTACT),
        today=lambda: TODAY,
    )


async def _never(request: Any, ctx: Any) -> Any:
    raise AssertionError("the gate never runs a skill")


# An AI skill of the test's own, so the refusal path is covered whatever the registry holds.
AI_PROBE = Skill(
    name="ai_probe",
    commands=("probe",),
    title="Testfunktion",
    description="Eine KI-Funktion nur für diesen Test.",
    requires_kipass=True,
    run=_never,
)
REGISTERED = all_skills()
SKILLS = [*REGISTERED, AI_PROBE]


def ids(skill: Skill) -> str:
    return skill.name


def test_registry_declares_the_gate_for_every_skill() -> None:
    names = [s.name for s in REGISTERED]
    assert len(names) == len(set(names))
    assert {"help", "kipass"} <= set(names)
    for skill in REGISTERED:
        assert isinstance(skill.requires_kipass, bool)
        if skill.name in PARTLY_KIPASS_SKILLS:
            assert not skill.requires_kipass and skill.needs_kipass_for is not None
        elif skill.name not in NO_KIPASS_SKILLS:
            assert skill.requires_kipass, f"{skill.name} must require a KI-Pass (AI feature)"
    assert not any(s.requires_kipass for s in REGISTERED if s.name in {"help", "kipass"})
    assert all(s.needs_kipass_for is None for s in REGISTERED if s.name in {"help", "kipass"})


def refusal_card_of(decision: GateDecision) -> dict[str, Any]:
    """The refusal card as the chat draws it from the typed result (bot/render/chat_cards.py)."""
    assert decision.result is not None and isinstance(decision.result.payload, Refusal)
    card, feedback = result_card(decision.result)
    assert card is not None and not feedback
    return card


@pytest.mark.parametrize(
    ("text", "options", "ai"),
    [
        ("Radverkehr Innenstadt", SkillOptions(), False),
        ("Anträge der Grünen zum Radverkehr seit 2025", SkillOptions(), False),
        ("VO/2026/1001", SkillOptions(), False),
        ("mehr", SkillOptions(query="Was hat der Bauausschuss beschlossen?", page=1), False),
        ("", SkillOptions(query="Radverkehr", page=2), False),
        ("Was hat der Bauausschuss im Oktober beschlossen?", SkillOptions(), True),
        ("Wie viele Stellplätze braucht der Bahnhof", SkillOptions(), True),
        ("Radverkehr", SkillOptions(mode="answer"), True),
        # A question about one named paper is answered from it on any page.
        ("mehr", SkillOptions(query="Was kostet der Radweg laut VO/2026/1001?", page=1), True),
        ("", SkillOptions(query="Welche Kosten nennt VO/2026/1001?", page=2), True),
    ],
)
def test_council_search_needs_the_kipass_only_for_answers(
    text: str, options: SkillOptions, ai: bool
) -> None:
    """A search is a lookup (no model): no KI-Pass. A question gets a generated answer."""
    search = skill_named(all_skills(), "allris_search")
    assert needs_kipass(search, text, options) is ai
    for name in ("policy_qa", "summarise"):
        assert needs_kipass(skill_named(all_skills(), name), text, options)
    for name in ("help", "kipass"):
        assert not needs_kipass(
            skill_named(all_skills(), name), "Was ist das?", SkillOptions(mode="answer")
        )


@pytest.mark.parametrize("user", ["open-steps", "expired", "nobody-knows-me", "urn:kiw:x"])
async def test_search_without_kipass_runs_and_a_question_is_refused(user: str) -> None:
    search = skill_named(all_skills(), "allris_search")
    listing = await gate(search, user, context(), tenant_id=TENANT, text="Radverkehr")
    assert listing.allowed and listing.reason == "not_required"
    assert listing.principal is None or listing.principal.id == user
    question = await gate(
        search, user, context(), tenant_id=TENANT, text="Was wurde zum Radverkehr beschlossen?"
    )
    assert not question.allowed and question.result is not None
    assert question.result.personal
    if user in ("open-steps", "expired"):
        assert result_text(question.result).startswith(
            "Für Antworten auf Fragen brauchen Sie einen gültigen KI-Pass."
        )
    ok = await gate(search, "valid", context(), tenant_id=TENANT, text="Was wurde beschlossen?")
    assert ok.allowed and ok.reason == "ok"


@pytest.mark.parametrize("skill", SKILLS, ids=ids)
async def test_valid_kipass_opens_every_skill(skill: Skill) -> None:
    decision = await gate(skill, "valid", context())
    assert decision.allowed
    assert decision.principal is not None and decision.principal.id == "valid"
    assert decision.principal.access_groups == {"public", "fraktion-cdu"}
    assert decision.reason == ("ok" if skill.requires_kipass else "not_required")
    assert decision.error_code is None


@pytest.mark.parametrize("skill", SKILLS, ids=ids)
@pytest.mark.parametrize(
    ("user", "reason", "error"),
    [
        ("expired", "kipass_expired", "kipass_required"),
        ("open-steps", "kipass_required", "kipass_required"),
        ("nobody-knows-me", "unknown_user", "unknown_user"),
        ("urn:kiw:unknown-teams-user", "no_identity", "unknown_user"),
        ("  ", "no_identity", "unknown_user"),
    ],
)
async def test_without_valid_kipass_ai_skills_refuse(
    skill: Skill, user: str, reason: str, error: str
) -> None:
    decision = await gate(skill, user, context())
    if not skill.requires_kipass:
        assert decision.allowed and decision.reason == "not_required"
        return
    assert decision.result is not None and decision.result.personal
    assert not decision.allowed
    assert (decision.reason, decision.error_code) == (reason, error)
    assert decision.result is not None and decision.result.outcome == "denied"
    assert decision.result.as_json()["error"] == error
    assert refusal_card_of(decision) is not None
    assert_valid_card(refusal_card_of(decision))
    assert CONTACT in result_text(decision.result)


@pytest.mark.parametrize("skill", SKILLS, ids=ids)
@pytest.mark.parametrize(
    "directory",
    [
        DownDirectory(),
        DownDirectory(RuntimeError("bug in a backend")),
        DownDirectory(delay=5.0),
    ],
    ids=["unavailable", "unexpected-exception", "slow"],
)
async def test_directory_failure_fails_closed(
    skill: Skill, directory: DownDirectory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(gate_module, "LOOKUP_TIMEOUT_SECONDS", 0.05)
    decision = await gate(skill, "valid", context(directory))
    if not skill.requires_kipass:
        # Runs, but without a principal: public documents only.
        assert decision.allowed and decision.principal is None
        return
    assert not decision.allowed
    assert (decision.reason, decision.error_code) == ("kipass_check_failed", "kipass_check_failed")
    assert decision.result is not None
    assert result_text(decision.result).startswith(
        "KI-Pass konnte nicht geprüft werden, bitte versuchen Sie es später erneut."
    )


@pytest.mark.parametrize("skill", SKILLS, ids=ids)
async def test_other_tenant_is_refused_for_ai_skills_and_reads_public_only(skill: Skill) -> None:
    decision = await gate(skill, "guest", context(), tenant_id=TENANT)
    assert decision.allowed is not skill.requires_kipass
    assert decision.reason == "foreign_tenant"
    if skill.requires_kipass:
        assert decision.result is not None
        assert "nicht zur Organisation der Hansestadt Lübeck" in result_text(decision.result)
    else:
        # The entry's groups (a faction) belong to the home tenant: no principal, public only.
        assert decision.principal is None
    same_tenant = await gate(skill, "valid", context(), tenant_id=TENANT.upper())
    assert same_tenant.allowed


async def test_local_operator_passes_without_lookup() -> None:
    for skill in SKILLS:
        decision = await gate(skill, None, context(DownDirectory()))
        assert decision == GateDecision(True, "local_operator")


async def test_kipass_valid_on_its_last_day() -> None:
    ai = AI_PROBE
    assert (await gate(ai, "last-day", context())).allowed


def _card_texts(card: dict[str, Any]) -> str:
    out: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("text", "title", "value", "url") and isinstance(value, str):
                    out.append(value)
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(card)
    return "\n".join(out)


async def test_refusal_card_lists_open_steps_training_and_contact() -> None:
    ai = AI_PROBE
    decision = await gate(ai, "open-steps", context())
    assert decision.result is not None and refusal_card_of(decision) is not None
    card = refusal_card_of(decision)
    texts = _card_texts(card)
    assert "KI-Pass erforderlich" in texts
    assert "KI-Leitlinien zur Kenntnis genommen" in texts
    assert "Digitale Checkliste abgeschlossen" in texts
    assert CONTACT in texts
    actions = card["actions"]
    # Clara attended the training: the button leads to the KI-Pass page, not to a booking.
    assert {
        "type": "Action.OpenUrl",
        "title": "Zum KI-Pass im Intranet",
        "url": TRAINING,
    } in actions
    assert decision.result.as_json()["open_steps"] == ["leitlinien", "checkliste"]
    assert (
        "Noch offen: KI-Leitlinien zur Kenntnis genommen; Digitale Checkliste abgeschlossen."
        in (result_text(decision.result))
    )


async def test_expired_card_names_the_date() -> None:
    ai = AI_PROBE
    decision = await gate(ai, "expired", context())
    assert decision.result is not None
    assert "am 31.12.2025 abgelaufen" in result_text(decision.result)


async def test_check_failed_card_has_no_training_button() -> None:
    ai = AI_PROBE
    decision = await gate(ai, "valid", context(DownDirectory()))
    assert decision.result is not None and refusal_card_of(decision) is not None
    assert_valid_card(refusal_card_of(decision))
    assert not any(
        a["type"] == "Action.OpenUrl" for a in refusal_card_of(decision).get("actions", [])
    )


async def test_gate_logs_no_names_or_upns_above_debug(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("DEBUG")
    for skill in SKILLS:
        for user in ("valid", "expired", "open-steps", "anna@luebeck.de", "ghost"):
            await gate(skill, user, context())
        await gate(skill, "valid", context(DownDirectory()))
    for record in caplog.records:
        if record.levelno > 10:
            message = record.getMessage()
            for secret in ("Anna", "Bernd", "Clara", "anna@luebeck.de", "valid", "expired"):
                assert secret not in message, (record.levelname, message)


@pytest.mark.parametrize(
    ("user", "next_step", "button", "not_said"),
    [
        # Nothing done: the training first, with the booking button.
        ("no-steps", "Ihr nächster Schritt: Besuchen Sie die KI-Pass-Schulung.", "Schulung buchen", ""),
        # Steps unknown to the directory: the training, and the rest of the way named once.
        ("steps-unknown", "Besuchen Sie die KI-Pass-Schulung. Danach nehmen Sie", "Schulung buchen", ""),
        # Training attended: never "book the training" again; the Dienstvereinbarung is next.
        (
            "training-only",
            "Ihr nächster Schritt: Nehmen Sie die Dienstvereinbarung zur KI-Nutzung zur Kenntnis.",
            "Zum KI-Pass im Intranet",
            "Schulung buchen",
        ),
        (
            "all-but-checklist",
            "Ihr nächster Schritt: Schließen Sie die digitale Checkliste ab.",
            "Zum KI-Pass im Intranet",
            "Schulung buchen",
        ),
        # Every step done but no pass entered: the contact, no course, no button.
        ("all-done", "Bitte wenden Sie sich an die KI-Werkstatt", None, "Schulung buchen"),
        ("expired", "Ihr nächster Schritt: Frischen Sie Ihren KI-Pass mit einer Auffrischung auf.", "Auffrischung buchen", "Schulung buchen"),
    ],
)  # fmt: skip
async def test_refusal_card_names_the_right_next_step(
    user: str, next_step: str, button: str | None, not_said: str
) -> None:
    decision = await gate(AI_PROBE, user, context())
    assert decision.result is not None and refusal_card_of(decision) is not None
    card = refusal_card_of(decision)
    assert_valid_card(card)
    texts = _card_texts(card)
    assert next_step in texts and next_step in result_text(decision.result)
    links = [a for a in card.get("actions", []) if a["type"] == "Action.OpenUrl"]
    if button is None:
        assert links == []
    else:
        assert links == [{"type": "Action.OpenUrl", "title": button, "url": TRAINING}]
    if not_said:
        assert not_said not in texts and not_said not in result_text(decision.result)
        if user != "expired":
            assert "Besuchen Sie die KI-Pass-Schulung" not in texts
    assert decision.result.personal


async def test_refusal_card_lists_done_and_open_steps() -> None:
    decision = await gate(AI_PROBE, "all-but-checklist", context())
    assert decision.result is not None and refusal_card_of(decision) is not None
    facts = next(b for b in refusal_card_of(decision)["body"] if b["type"] == "FactSet")["facts"]
    assert facts == [
        {"title": "Schulung besucht", "value": "✓ erledigt"},
        {"title": "Dienstvereinbarung zur KI-Nutzung zur Kenntnis genommen", "value": "✓ erledigt"},
        {"title": "KI-Leitlinien zur Kenntnis genommen", "value": "✓ erledigt"},
        {"title": "Digitale Checkliste abgeschlossen", "value": "offen"},
    ]
    assert decision.result.as_json()["open_steps"] == ["checkliste"]
    assert decision.result.as_json()["next_step"] == "checkliste"
