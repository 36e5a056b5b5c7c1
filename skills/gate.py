"""The KI-Pass gate: declared per skill (Skill.requires_kipass), enforced here, before any skill runs.

Contract:
    decision = await gate(skill, user_id, ctx)
    if not decision.allowed: reply decision.result (a SkillResult of the typed `Refusal`)
    else: run the skill with SkillRequest(user=decision.principal, ...)

- user_id None = the local operator (CLI without --user): public documents only, no gate.
  Only the CLI may pass None; the bot passes the Entra object id, or an id starting with
  "urn:kiw:" (e.g. "urn:kiw:unknown-teams-user") when Teams sent none: that is refused for AI
  skills with reason "no_identity" without asking the directory.
- What needs the KI-Pass is what a skill does, not which skill it is: `Skill.requires_kipass`
  (always: questions, summaries) or `Skill.needs_kipass_for(text, options)` (allris_search: a
  question the generator answers; a plain search is a lookup and needs none).
- Fail closed: a directory error, a timeout or an unexpected exception means no AI feature.
  Requests without a KI-Pass requirement (help, kipass, a search) still run, with the principal
  if the lookup worked (for access groups), else with none (public documents only).
- The tenant: a principal of another tenant than the request's is refused for AI features and
  gets public documents only otherwise (principal None), on every path (chat, invokes, CLI).
- Refusals are personal (`SkillResult.personal`): the bot sends them to the 1:1 chat.
- `decision.reason` is the audit reason code; `decision.error_code` the coarser code the CLI
  prints with --json ("kipass_required" | "kipass_check_failed" | "unknown_user").
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Final

from graph.principal import DirectoryError, Principal, UnknownUser
from skills.context import Skill, SkillContext
from skills.kipass import german_date, next_step, step_facts
from skills.results import Refusal
from skills.types import SkillOptions, SkillResult

log = logging.getLogger(__name__)

KIPASS_CHECK_FAILED = "KI-Pass konnte nicht geprüft werden, bitte versuchen Sie es später erneut."

# A safety net on top of the directory's own timeouts: the gate never hangs a turn.
LOOKUP_TIMEOUT_SECONDS: Final = 8.0
NO_IDENTITY_PREFIX: Final = "urn:kiw:"

# Audit reason codes (GateDecision.reason).
OK: Final = "ok"  # AI skill, valid KI-Pass
NOT_REQUIRED: Final = "not_required"  # skill needs no KI-Pass
LOCAL_OPERATOR: Final = "local_operator"  # CLI without --user
KIPASS_REQUIRED: Final = "kipass_required"  # known user, no KI-Pass at all
KIPASS_EXPIRED: Final = "kipass_expired"  # known user, KI-Pass past its end date
KIPASS_CHECK_FAILED_REASON: Final = "kipass_check_failed"  # directory down/slow/nonsense
UNKNOWN_USER: Final = "unknown_user"  # directory does not know the id
NO_IDENTITY: Final = "no_identity"  # no Entra object id (guest, emulator)
FOREIGN_TENANT: Final = "foreign_tenant"  # user belongs to another tenant (non-AI: public only)

# What the CLI prints as "error" for each refusal reason.
ERROR_CODES: Final = {
    KIPASS_REQUIRED: "kipass_required",
    KIPASS_EXPIRED: "kipass_required",
    KIPASS_CHECK_FAILED_REASON: "kipass_check_failed",
    UNKNOWN_USER: "unknown_user",
    NO_IDENTITY: "unknown_user",
    FOREIGN_TENANT: "unknown_user",
}


@dataclass(frozen=True)
class GateDecision:
    allowed: bool
    reason: str  # one of the reason codes above; goes to the audit log as is
    principal: Principal | None = None
    result: SkillResult | None = None  # the refusal reply when not allowed

    @property
    def error_code(self) -> str | None:
        """ "kipass_required" | "kipass_check_failed" | "unknown_user" when refused, else None."""
        return None if self.allowed else ERROR_CODES.get(self.reason, "kipass_check_failed")


def needs_kipass(skill: Skill, text: str = "", options: SkillOptions | None = None) -> bool:
    """Whether this request of `skill` is an AI feature (a model writes) and needs the KI-Pass."""
    if skill.requires_kipass:
        return True
    return skill.needs_kipass_for is not None and skill.needs_kipass_for(
        text, options or SkillOptions()
    )


async def gate(
    skill: Skill,
    user_id: str | None,
    ctx: SkillContext,
    *,
    tenant_id: str | None = None,
    text: str = "",
    options: SkillOptions | None = None,
) -> GateDecision:
    """Decide whether `user_id` may run `skill` on `text`/`options` (what the skill receives).
    `tenant_id`: the tenant the request came from; a principal of another tenant is refused
    for AI features and passed without a principal (public documents only) otherwise."""
    if user_id is None:
        return GateDecision(True, LOCAL_OPERATOR)
    ai = needs_kipass(skill, text, options)
    if not user_id.strip() or user_id.startswith(NO_IDENTITY_PREFIX):
        return _refuse_or_pass(ai, skill, NO_IDENTITY, ctx)
    try:
        async with asyncio.timeout(LOOKUP_TIMEOUT_SECONDS):
            principal = await ctx.directory.lookup(user_id)
    except UnknownUser:
        return _refuse_or_pass(ai, skill, UNKNOWN_USER, ctx)
    except DirectoryError as exc:
        log.warning("directory lookup failed, failing closed: %s", exc)
        return _refuse_or_pass(ai, skill, KIPASS_CHECK_FAILED_REASON, ctx)
    except TimeoutError:
        log.warning("directory lookup took over %.0f s, failing closed", LOOKUP_TIMEOUT_SECONDS)
        return _refuse_or_pass(ai, skill, KIPASS_CHECK_FAILED_REASON, ctx)
    except Exception:  # a bug in a backend must never open the gate
        log.exception("directory lookup raised unexpectedly, failing closed")
        return _refuse_or_pass(ai, skill, KIPASS_CHECK_FAILED_REASON, ctx)

    if tenant_id and principal.tenant_id and principal.tenant_id.lower() != tenant_id.lower():
        # The directory's groups are the home tenant's: someone of another tenant reads public
        # documents at most, whatever groups an entry of the same id holds here.
        return _refuse_or_pass(ai, skill, FOREIGN_TENANT, ctx)
    if not ai:
        return GateDecision(True, NOT_REQUIRED, principal)
    today = ctx.today()
    if principal.kipass_valid(today):
        return GateDecision(True, OK, principal)
    reason = KIPASS_EXPIRED if principal.kipass_state(today) == "expired" else KIPASS_REQUIRED
    log.debug("gate refused %s for %s: %s", skill.name, principal.id, reason)
    return _deny(reason, skill, ctx, principal)


def _refuse_or_pass(ai: bool, skill: Skill, reason: str, ctx: SkillContext) -> GateDecision:
    """No usable principal: non-AI requests still run (public only), AI requests are refused."""
    if not ai:
        return GateDecision(True, reason if reason == FOREIGN_TENANT else NOT_REQUIRED)
    return _deny(reason, skill, ctx)


# ---------------------------------------------------------------- the refusal card

_MESSAGES = {
    KIPASS_CHECK_FAILED_REASON: ("KI-Pass konnte nicht geprüft werden", KIPASS_CHECK_FAILED),
    UNKNOWN_USER: (
        "Konto nicht gefunden",
        "Ihr Benutzerkonto ist im Verzeichnis der Hansestadt Lübeck nicht bekannt. "
        "KI-Funktionen stehen nur Beschäftigten mit gültigem KI-Pass zur Verfügung.",
    ),
    NO_IDENTITY: (
        "Anmeldung nicht erkannt",
        "Ihr Konto konnte nicht erkannt werden (es fehlt die Kennung aus Microsoft Entra, "
        "z. B. bei einem Gastzugang oder im Emulator). KI-Funktionen stehen nur angemeldeten "
        "Beschäftigten mit gültigem KI-Pass zur Verfügung.",
    ),
    FOREIGN_TENANT: (
        "Konto einer anderen Organisation",
        "Ihr Konto gehört nicht zur Organisation der Hansestadt Lübeck. KI-Funktionen stehen "
        "nur Beschäftigten der Hansestadt mit gültigem KI-Pass zur Verfügung.",
    ),
}


def refusal_message(
    reason: str, skill: Skill, principal: Principal | None, ctx: SkillContext
) -> str:
    """The German sentence that says why; the card and the CLI both use it."""
    if reason in _MESSAGES:
        return _MESSAGES[reason][1]
    # A skill gated only for some requests (allris_search) is gated for its answers.
    feature = f"„{skill.title}“" if skill.requires_kipass else "Antworten auf Fragen"
    if reason == KIPASS_EXPIRED and principal and principal.kipass_valid_until:
        return (
            f"Für {feature} brauchen Sie einen gültigen KI-Pass. Ihr KI-Pass ist am "
            f"{german_date(principal.kipass_valid_until)} abgelaufen."
        )
    return f"Für {feature} brauchen Sie einen gültigen KI-Pass. Sie haben noch keinen."


def _deny(
    reason: str, skill: Skill, ctx: SkillContext, principal: Principal | None = None
) -> GateDecision:
    config = ctx.config
    message = refusal_message(reason, skill, principal, ctx)
    title = _MESSAGES.get(reason, ("KI-Pass erforderlich", ""))[0]
    steps = step_facts(principal) if principal and reason == KIPASS_REQUIRED else []
    # KI-Pass refusals always have a principal: the next step follows from its steps.
    about_kipass = reason in (KIPASS_REQUIRED, KIPASS_EXPIRED)
    step = next_step(principal, ctx.today(), config) if principal and about_kipass else None
    next_text, button = (step.sentence, step.button) if step else ("", "")
    if reason == KIPASS_CHECK_FAILED_REASON:
        next_text = "Das liegt nicht an Ihnen. Wenn es länger dauert, melden Sie sich bitte."
    url = config.kipass_training_url if button else ""
    refusal = Refusal(
        title=title,
        message=message,
        steps=tuple((s["title"], s["value"]) for s in steps),
        next_step=next_text,
        contact=config.kipass_contact,
        link=(button, url) if button and url else None,
        offer_status=principal is not None,
        reason=reason,
        error=ERROR_CODES[reason],
        open_steps=(
            tuple(principal.open_kipass_steps()) if reason == KIPASS_REQUIRED and principal else ()
        ),
        next_step_code=step.step if step is not None else "",
    )
    result = SkillResult(refusal, outcome="denied", personal=True)
    return GateDecision(False, reason, principal, result)
