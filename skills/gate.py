"""The KI-Pass gate: declared per skill (Skill.requires_kipass), enforced here, before any skill runs.

FIRST VERSION (identity work refines the refusal card and steps). Contract:
    decision = await gate(skill, user_id, ctx)
    if not decision.allowed: reply decision.result (a SkillResult with the German refusal)
    else: run the skill with SkillRequest(user=decision.principal, ...)
Fail closed: a directory error means no AI feature.
"""

from __future__ import annotations

from dataclasses import dataclass

from graph.principal import DirectoryError, Principal, UnknownUser
from skills.context import Skill, SkillContext
from skills.types import SkillResult

KIPASS_CHECK_FAILED = "KI-Pass konnte nicht geprüft werden, bitte versuchen Sie es später erneut."


@dataclass(frozen=True)
class GateDecision:
    allowed: bool
    reason: (
        str  # "ok" | "not_required" | "kipass_required" | "kipass_check_failed" | "unknown_user"
    )
    principal: Principal | None = None
    result: SkillResult | None = None  # the refusal reply when not allowed


async def gate(skill: Skill, user_id: str | None, ctx: SkillContext) -> GateDecision:
    """user_id None = local operator (CLI without --user): public documents only, no gate."""
    if user_id is None:
        return GateDecision(True, "not_required")
    try:
        principal = await ctx.directory.lookup(user_id)
    except UnknownUser:
        if not skill.requires_kipass:
            return GateDecision(True, "not_required")
        return _deny("unknown_user", "Ihr Benutzerkonto ist im Verzeichnis nicht bekannt.", ctx)
    except DirectoryError:
        if not skill.requires_kipass:
            return GateDecision(True, "not_required")
        return _deny("kipass_check_failed", KIPASS_CHECK_FAILED, ctx)
    if not skill.requires_kipass:
        return GateDecision(True, "not_required", principal)
    if principal.kipass_valid(ctx.today()):
        return GateDecision(True, "ok", principal)
    return _deny(
        "kipass_required",
        "Für diese Funktion brauchen Sie einen gültigen KI-Pass.",
        ctx,
        principal,
    )


def _deny(
    reason: str, message: str, ctx: SkillContext, principal: Principal | None = None
) -> GateDecision:
    text = (
        f"{message} Den KI-Pass erhalten Sie nach der Schulung: {ctx.config.kipass_training_url}. "
        f"Fragen beantwortet {ctx.config.kipass_contact}."
    )
    return GateDecision(
        False, reason, principal, SkillResult(text=text, outcome="denied", data={"error": reason})
    )
