"""One turn, as data: route -> gate -> skill (with a deadline) -> result, audited and traced.

No Bot Framework types here: the Teams handler (bot/teams/handler.py) turns an activity into a
`TurnInput` and a `TurnOutput` into activities. Domain errors (SkillError) become German replies
here; anything else propagates to the handler's turn-level error boundary.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from bot.audit import AuditLog
from skills.audience import Audience, WithheldWatch
from skills.context import Skill, SkillContext
from skills.gate import gate
from skills.progress import NO_PROGRESS, Progress
from skills.router import Route, route
from skills.trace import Trace
from skills.types import Attachment, Outcome, Scope, SkillError, SkillRequest, SkillResult

log = logging.getLogger("kiw.turn")

# Passed to the gate for a Teams user without an Entra object id: the directory does not know
# it, so AI skills are refused (None would mean "local operator" and skip the gate).
UNKNOWN_TEAMS_USER = "urn:kiw:unknown-teams-user"

TIMEOUT_TEXT = (
    "Das hat zu lange gedauert, und ich habe abgebrochen. Bitte versuchen Sie es mit einer "
    "kürzeren Frage oder einem kleineren Dokument noch einmal."
)


STOPPED_TEXT = "Abgebrochen."


def new_correlation_id() -> str:
    """Short enough to read out on the phone to the service desk."""
    return secrets.token_hex(4)


@dataclass
class TurnInput:
    text: str  # normalised: mention stripped, HTML removed
    user_id: str | None  # Entra object id (from.aadObjectId), None if Teams did not send one
    scope: Scope = "personal"
    tenant_id: str | None = None  # the tenant the activity came from (gate: foreign principals)
    attachments: tuple[Attachment, ...] = ()
    options: dict[str, Any] = field(default_factory=dict)
    correlation_id: str = field(default_factory=new_correlation_id)
    progress: Progress = NO_PROGRESS  # where the skill's progress goes (Teams streaming)
    stop: asyncio.Event | None = None  # set when the user stops the answer (Teams' Stop button)
    # Who reads the reply in a group chat or channel (bot/teams/audience.py); None in a 1:1 chat.
    audience: Audience | None = None
    bot_name: str = ""  # the bot's name in this conversation (bot/teams/normalise.py bot_name)


@dataclass
class TurnOutput:
    route: Route
    result: SkillResult
    reason: str | None  # audit reason code (gate reason, error code, "timeout"), None if ok
    latency_ms: float
    # The asker could read more than the conversation's audience: the reply says so, unnamed.
    withheld: bool = False

    @property
    def skill(self) -> Skill:
        return self.route.skill


class TurnPipeline:
    def __init__(
        self,
        ctx: SkillContext,
        audit: AuditLog,
        skills: Callable[[], Sequence[Skill]],
        *,
        deadline_seconds: float,
    ) -> None:
        self.ctx = ctx
        self.audit = audit
        self.skills = skills
        self.deadline_seconds = deadline_seconds

    async def run(self, turn: TurnInput, trace: Trace) -> TurnOutput:
        started = time.perf_counter()
        with trace.timed("route") as step:
            chosen = route(turn.text, self.skills())
            step.update(skill=chosen.skill.name, reason=chosen.reason, command=chosen.command)
        log.debug("turn %s text=%r", turn.correlation_id, turn.text)

        gate_user = turn.user_id or UNKNOWN_TEAMS_USER
        with trace.timed("gate") as step:
            decision = await gate(
                chosen.skill,
                gate_user,
                self.ctx,
                tenant_id=turn.tenant_id,
                text=chosen.text,
                options=turn.options,
            )
            step.update(
                allowed=decision.allowed,
                reason=decision.reason,
                known_user=decision.principal is not None,
            )
        if not decision.allowed:
            result = decision.result or SkillResult(text="Zugriff verweigert.", outcome="denied")
            self.audit.write(
                "gate",
                skill=chosen.skill.name,
                outcome="denied",
                reason=decision.reason,
                user_id=turn.user_id,
                scope=turn.scope,
            )
            return self._finish(turn, chosen, result, decision.reason, started)

        request = SkillRequest(
            text=chosen.text,
            command=chosen.command,
            user=decision.principal,
            scope=turn.scope,
            attachments=turn.attachments,
            options=dict(turn.options),
            trace=trace,
            progress=turn.progress,
            audience=turn.audience.access if turn.audience else None,
            bot_name=turn.bot_name,
        )
        ctx, watch = self._audience_view(turn, request)
        reason: str | None = None
        with trace.timed("skill", skill=chosen.skill.name) as step:
            try:
                result = await self._run_skill(chosen.skill, request, ctx, turn.stop)
            except TimeoutError:
                result, reason = SkillResult(text=TIMEOUT_TEXT, outcome="error"), "timeout"
            except SkillError as exc:
                outcome: Outcome = "bad_input" if exc.code == "bad_input" else "error"
                result, reason = SkillResult(text=exc.user_message, outcome=outcome), exc.code
            step.update(outcome=result.outcome, reason=reason, citations=len(result.citations))
        withheld = watch is not None and watch.withheld
        if turn.audience is not None:
            trace.add("audience_trim", narrowed=watch is not None, withheld=withheld)
        return self._finish(turn, chosen, result, reason, started, withheld=withheld)

    def _audience_view(
        self, turn: TurnInput, request: SkillRequest
    ) -> tuple[SkillContext, WithheldWatch | None]:
        """The skill's context in a shared conversation: the index seen through the audience's
        groups (the request already asks with them), watching for what the asker alone may
        read. The audience is audited here: its size and any fallback, never who is in it."""
        if turn.audience is None:
            return self.ctx, None
        audience = turn.audience
        self.audit.write(
            "audience",
            outcome="public_only" if audience.fallback else "intersection",
            reason=audience.fallback,
            user_id=turn.user_id,
            scope=turn.scope,
            roster=audience.roster_size,
        )
        if request.own_access <= request.access:
            return self.ctx, None  # the asker reads nothing the others may not: nothing to hide
        watch = WithheldWatch(self.ctx.index, request.own_access)
        return replace(self.ctx, index=watch), watch

    async def _run_skill(
        self,
        skill: Skill,
        request: SkillRequest,
        ctx: SkillContext,
        stop: asyncio.Event | None,
    ) -> SkillResult:
        """The skill within its deadline; stopped (and its work cancelled) when `stop` is set."""
        work = asyncio.wait_for(skill.run(request, ctx), timeout=self.deadline_seconds)
        if stop is None:
            return await work
        running = asyncio.ensure_future(work)
        stopping = asyncio.ensure_future(stop.wait())
        try:
            await asyncio.wait({running, stopping}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stopping.cancel()
            if not running.done():
                running.cancel()
                await asyncio.gather(running, return_exceptions=True)
        if running.cancelled():
            return SkillResult(text=STOPPED_TEXT, outcome="stopped")
        return running.result()

    def _finish(
        self,
        turn: TurnInput,
        chosen: Route,
        result: SkillResult,
        reason: str | None,
        started: float,
        *,
        withheld: bool = False,
    ) -> TurnOutput:
        latency_ms = (time.perf_counter() - started) * 1000
        self.audit.write(
            "turn",
            skill=chosen.skill.name,
            outcome=result.outcome,
            reason=reason,
            latency_ms=latency_ms,
            user_id=turn.user_id,
            scope=turn.scope,
            cited=bool(result.citations),
            ai=result.ai_generated,
        )
        return TurnOutput(chosen, result, reason, latency_ms, withheld)
