"""The one turn pipeline: `Pipeline.run(invocation) -> Outcome`, for every front end.

Chat (bot/teams/handler.py), message-extension invokes (bot/extensions.py), the CLI (`kiw ask`,
`kiw summarise`, `kiw chat`) each translate their input into an `Invocation` and render the
`Outcome`; nothing else decides who the person is, what they may read, or how long a skill may
take. The steps, in order:

1. route: the registered skill for the text (or the skill the front end names: an invoke's
   command, a CLI subcommand);
2. gate (skills/gate.py): the person from the directory, with the request's tenant, and the
   KI-Pass for AI features — fail closed;
3. audience: in a group chat or channel the skill sees the index through the groups every
   member shares, with a watch that says when the asker alone could read more;
4. the skill, within its deadline, stoppable;
5. audit and trace: one audit line per invocation (route, outcome, latency, never content).

Lookups that are not skills (link unfurling, `kiw search`) pass steps 2-3 through `admit`.
No Bot Framework types here. Domain errors (SkillError) become German replies here; anything
else propagates to the front end's error boundary.
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
from bot.services import Services
from graph.principal import Principal
from skills.audience import Audience, WithheldWatch
from skills.context import Skill, SkillContext
from skills.gate import ERROR_CODES, GateDecision, gate
from skills.progress import NO_PROGRESS, Progress
from skills.results import Problem
from skills.router import Route, route
from skills.trace import Trace
from skills.types import Attachment, Scope, SkillError, SkillOptions, SkillRequest, SkillResult
from skills.types import Outcome as ResultOutcome

log = logging.getLogger("kiw.turn")

# Passed to the gate for a Teams user without an Entra object id: the directory does not know
# it, so AI skills are refused (None would mean "local operator" and skip the gate).
UNKNOWN_TEAMS_USER = "urn:kiw:unknown-teams-user"
# The CLI's operator answering for an audience (no --user): reads what the audience may read.
OPERATOR_ID = "urn:kiw:cli-operator"

TIMEOUT_TEXT = (
    "Das hat zu lange gedauert, und ich habe abgebrochen. Bitte versuchen Sie es mit einer "
    "kürzeren Frage oder einem kleineren Dokument noch einmal."
)


STOPPED_TEXT = "Abgebrochen."


def new_correlation_id() -> str:
    """Short enough to read out on the phone to the service desk."""
    return secrets.token_hex(4)


@dataclass
class Invocation:
    """One request of a person to the assistant, whatever the surface it came through."""

    text: str  # normalised: mention stripped, HTML removed
    user_id: str | None  # Entra object id (from.aadObjectId), None if Teams did not send one
    scope: Scope = "personal"
    tenant_id: str | None = None  # the tenant the request came from (gate: foreign principals)
    attachments: tuple[Attachment, ...] = ()
    options: SkillOptions = field(default_factory=SkillOptions)
    correlation_id: str = field(default_factory=new_correlation_id)
    progress: Progress = NO_PROGRESS  # where the skill's progress goes (Teams streaming)
    stop: asyncio.Event | None = None  # set when the user stops the answer (Teams' Stop button)
    # Who reads the reply in a group chat or channel (bot/teams/audience.py); None in a 1:1 chat.
    audience: Audience | None = None
    bot_name: str = ""  # the bot's name in this conversation (bot/teams/normalise.py bot_name)
    # The skill the front end names (an invoke's command, a CLI subcommand) instead of routing
    # the text; `command` is then the command word the skill sees.
    skill: str | None = None
    command: str = ""
    # The CLI without --user: the trusted local operator (no gate, public documents only).
    # Only the CLI sets it; a missing Teams id is UNKNOWN_TEAMS_USER, never the operator.
    operator: bool = False
    deadline_seconds: float | None = None  # a tighter deadline than the pipeline's (invokes)
    # False where the front end audits the invocation by a line of its own (message extensions,
    # through `Pipeline.record`: the outcome is what the pane showed) or not at all.
    audited: bool = True


@dataclass
class Outcome:
    """What one invocation came to; front ends render `result` (bot/replies.py, the CLI)."""

    route: Route
    result: SkillResult
    reason: str | None  # audit reason code (gate reason, error code, "timeout"), None if ok
    latency_ms: float
    # The asker could read more than the conversation's audience: the reply says so, unnamed.
    withheld: bool = False
    principal: Principal | None = None  # the person as the gate resolved them (None: public)
    refused: bool = False  # the gate refused: `result` is the (personal) refusal

    @property
    def skill(self) -> Skill:
        return self.route.skill

    @property
    def error_code(self) -> str | None:
        """The CLI's coarse refusal code ("kipass_required" | "kipass_check_failed" |
        "unknown_user") when the gate refused, else None."""
        if not self.refused:
            return None
        return ERROR_CODES.get(self.reason or "", "kipass_check_failed")


@dataclass(frozen=True)
class Admission:
    """The gate's decision and, when allowed, the request and the audience's view of the index."""

    route: Route
    decision: GateDecision
    request: SkillRequest
    ctx: SkillContext
    watch: WithheldWatch | None

    @property
    def allowed(self) -> bool:
        return self.decision.allowed

    @property
    def withheld(self) -> bool:
        return self.watch is not None and self.watch.withheld


class Pipeline:
    def __init__(
        self,
        ctx: SkillContext,
        audit: AuditLog | None,
        skills: Callable[[], Sequence[Skill]],
        *,
        deadline_seconds: float,
    ) -> None:
        # The help skill lists the registry it runs in (SkillContext.skills).
        self.ctx = replace(ctx, skills=tuple(skills()))
        self.audit = audit  # None: nothing is audited (the CLI: an admin's check is no usage)
        self.skills = skills
        self.deadline_seconds = deadline_seconds

    @classmethod
    def for_services(cls, services: Services, skills: Callable[[], Sequence[Skill]]) -> Pipeline:
        """The pipeline over the app's seams and the registry `skills` (bot/app.py builds it
        once with the registry create_app read; tests and benchmarks that drive a front end
        alone pass theirs)."""
        return cls(
            services.skill_context(),
            services.audit,
            skills,
            deadline_seconds=services.settings.skill_deadline_seconds,
        )

    def skill_named(self, name: str) -> Skill:
        for skill in self.skills():
            if skill.name == name:
                return skill
        raise KeyError(f"skill {name!r} is not registered")

    def route(self, invocation: Invocation) -> Route:
        if invocation.skill is not None:
            skill = self.skill_named(invocation.skill)
            return Route(skill, invocation.command, invocation.text.strip(), "named")
        return route(invocation.text, self.skills())

    async def run(self, invocation: Invocation, trace: Trace | None = None) -> Outcome:
        trace = trace if trace is not None else Trace(invocation.correlation_id)
        started = time.perf_counter()
        with trace.timed("route") as step:
            chosen = self.route(invocation)
            step.update(skill=chosen.skill.name, reason=chosen.reason, command=chosen.command)
        log.debug("turn %s text=%r", invocation.correlation_id, invocation.text)

        admission = await self.admit(invocation, chosen, trace)
        if not admission.allowed:
            return self.refusal(invocation, admission, started)

        reason: str | None = None
        with trace.timed("skill", skill=chosen.skill.name) as step:
            try:
                result = await self._run_skill(
                    chosen.skill, admission, invocation.stop, invocation.deadline_seconds
                )
            except TimeoutError:
                result = SkillResult(Problem("timeout", TIMEOUT_TEXT), outcome="error")
                reason = "timeout"
            except SkillError as exc:
                status: ResultOutcome = "bad_input" if exc.code == "bad_input" else "error"
                result = SkillResult(Problem(exc.code, exc.user_message), outcome=status)
                reason = exc.code
            step.update(outcome=result.outcome, reason=reason, citations=len(result.citations))
        if invocation.audience is not None:
            trace.add(
                "audience_trim", narrowed=admission.watch is not None, withheld=admission.withheld
            )
        return self._finish(invocation, chosen, result, reason, started, admission)

    async def admit(
        self, invocation: Invocation, chosen: Route, trace: Trace | None = None
    ) -> Admission:
        """The gate for `chosen` (with the invocation's tenant, on the text and options the
        skill will get) and the request as the skill receives it, seen by the audience."""
        trace = trace if trace is not None else Trace(invocation.correlation_id)
        gate_user = None if invocation.operator else invocation.user_id or UNKNOWN_TEAMS_USER
        with trace.timed("gate") as step:
            decision = await gate(
                chosen.skill,
                gate_user,
                self.ctx,
                tenant_id=invocation.tenant_id,
                text=chosen.text,
                options=invocation.options,
            )
            step.update(
                allowed=decision.allowed,
                reason=decision.reason,
                known_user=decision.principal is not None,
            )
        user = decision.principal
        if invocation.operator and invocation.audience is not None:
            user = Principal(id=OPERATOR_ID, name="", access_groups=invocation.audience.access)
        request = SkillRequest(
            text=chosen.text,
            command=chosen.command,
            user=user,
            scope=invocation.scope,
            attachments=invocation.attachments,
            options=invocation.options,
            trace=trace,
            progress=invocation.progress,
            audience=invocation.audience.access if invocation.audience else None,
            bot_name=invocation.bot_name,
        )
        if not decision.allowed:
            return Admission(chosen, decision, request, self.ctx, None)
        ctx, watch = self._audience_view(invocation, request)
        return Admission(chosen, decision, request, ctx, watch)

    def refusal(
        self, invocation: Invocation, admission: Admission, started: float | None = None
    ) -> Outcome:
        """The outcome of a refused admission: the gate's (personal) refusal, audited."""
        decision = admission.decision
        result = decision.result or SkillResult(
            Problem("denied", "Zugriff verweigert."), outcome="denied"
        )
        chosen = admission.route
        self._audit(
            invocation, "gate", skill=chosen.skill.name, outcome="denied", reason=decision.reason
        )
        started = time.perf_counter() if started is None else started
        return self._finish(
            invocation, chosen, result, decision.reason, started, admission, refused=True
        )

    def _audience_view(
        self, invocation: Invocation, request: SkillRequest
    ) -> tuple[SkillContext, WithheldWatch | None]:
        """The skill's context in a shared conversation: the index seen through the audience's
        groups (the request already asks with them), watching for what the asker alone may
        read. The audience is audited here: its size and any fallback, never who is in it."""
        if invocation.audience is None:
            return self.ctx, None
        audience = invocation.audience
        self._audit(
            invocation,
            "audience",
            outcome="public_only" if audience.fallback else "intersection",
            reason=audience.fallback,
            roster=audience.roster_size,
        )
        if request.own_access <= request.access:
            return self.ctx, None  # the asker reads nothing the others may not: nothing to hide
        watch = WithheldWatch(self.ctx.index, request.own_access)
        return replace(self.ctx, index=watch), watch

    async def _run_skill(
        self,
        skill: Skill,
        admission: Admission,
        stop: asyncio.Event | None,
        deadline_seconds: float | None,
    ) -> SkillResult:
        """The skill within its deadline; stopped (and its work cancelled) when `stop` is set."""
        deadline = min(self.deadline_seconds, deadline_seconds or self.deadline_seconds)
        work = asyncio.wait_for(skill.run(admission.request, admission.ctx), timeout=deadline)
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
            return SkillResult(Problem("stopped", STOPPED_TEXT), outcome="stopped")
        return running.result()

    def record(self, event: str, *, user_id: str | None, scope: Scope, **fields: Any) -> None:
        """One audit line (bot/audit.py), the one way every front end writes one: the turn's
        own lines below, and a message extension's line per invoke (what the pane showed)."""
        if self.audit is not None:
            self.audit.write(event, user_id=user_id, scope=scope, **fields)

    def _audit(self, invocation: Invocation, event: str, **fields: Any) -> None:
        if invocation.audited:
            self.record(event, user_id=invocation.user_id, scope=invocation.scope, **fields)

    def _finish(
        self,
        invocation: Invocation,
        chosen: Route,
        result: SkillResult,
        reason: str | None,
        started: float,
        admission: Admission,
        *,
        refused: bool = False,
    ) -> Outcome:
        latency_ms = (time.perf_counter() - started) * 1000
        self._audit(
            invocation,
            "turn",
            skill=chosen.skill.name,
            outcome=result.outcome,
            reason=reason,
            latency_ms=latency_ms,
            cited=bool(result.citations),
            ai=result.ai_generated,
        )
        return Outcome(
            chosen,
            result,
            reason,
            latency_ms,
            admission.withheld,
            admission.decision.principal,
            refused,
        )
