"""The Teams activity handler: activity in, replies out, one error boundary around it all.

Per turn: tenant allow-list (bot/teams/activity.py) -> dedupe by activity id -> dispatch
(message, conversationUpdate, invoke). Messages are normalised (bot mention and HTML removed)
and run through the turn pipeline (bot/pipeline.py); the turn's delivery (bot/teams/delivery.py)
decides how the reply goes out (plain, streamed, or placeholder then update for long work).
Replies are built in bot/teams/replies.py; invokes are answered in bot/teams/invokes.py.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from http import HTTPStatus
from typing import Any

from botbuilder.core import BotAdapter, MessageFactory, TurnContext
from botbuilder.core.teams import TeamsActivityHandler
from botbuilder.schema import Activity, ActivityTypes, InvokeResponse

from bot.pipeline import Invocation, Outcome, Pipeline, new_correlation_id
from bot.render.cardkit import FEEDBACK_KEY
from bot.services import Services
from bot.settings import Settings
from bot.state_store import DEDUPE_TTL_SECONDS, StateStore, dedupe_key, welcomed_key
from bot.teams.activity import (
    aad_object_id,
    allowed_tenants,
    conversation_scope,
    tenant_allowed,
    tenant_claims,
    tenant_id,
)
from bot.teams.audience import AudienceResolver
from bot.teams.clock import Clock
from bot.teams.delivery import Deliveries, Delivery
from bot.teams.feedback import FeedbackMemory
from bot.teams.invokes import Invokes, audit_feedback, error_body, send_invoke_response
from bot.teams.normalise import bot_name, message_text
from bot.teams.personal import PersonalChat
from bot.teams.replies import (
    ERROR_TEXT,
    Reply,
    error_activity,
    reply_activity,
    welcome_activity,
)
from bot.teams_files import DownloadPolicy, download_attachments, file_attachments
from skills.audience import Audience
from skills.context import Skill
from skills.results import Problem
from skills.router import route
from skills.trace import Trace
from skills.types import Scope, SkillOptions, SkillResult

log = logging.getLogger("kiw.handler")

CORRELATION_KEY = "kiw.correlation_id"
DELIVERY_KEY = "kiw.delivery"
# New members joining a team in a burst get one short welcome per conversation in this window.
MEMBER_WELCOME_WINDOW_SECONDS = 600.0

TOO_LONG_TEXT = (
    "Ihre Nachricht ist zu lang ({chars} Zeichen). Bitte kürzen Sie sie auf höchstens {limit} "
    "Zeichen oder senden Sie längere Texte als Datei."
)
FILES_UNAVAILABLE = (
    "Ich konnte {names} nicht abrufen. Bitte senden Sie die Datei in einigen Minuten noch einmal."
)
FEEDBACK_THANKS = "Danke für Ihre Rückmeldung."
MEMBER_WELCOME = (
    "Willkommen! Ich bin der KI-Werkstatt Assistent. Erwähnen Sie mich mit @ und schreiben Sie "
    "„hilfe“, um zu sehen, was ich kann."
)


class KiwTeamsHandler(TeamsActivityHandler):
    def __init__(
        self,
        *,
        settings: Settings,
        services: Services,
        state: StateStore,
        adapter: BotAdapter,
        pipeline: Pipeline,
        skills: Callable[[], Sequence[Skill]],
        trace_sink: Callable[[Trace], None] | None = None,
        clock: Clock | None = None,
    ) -> None:
        """`clock`: what the replies' delivery waits by (the loop's; tests move their own)."""
        super().__init__()
        self.settings = settings
        self.services = services
        self.state = state
        self.adapter = adapter
        self.pipeline = pipeline
        self.skills = skills
        self.trace_sink = trace_sink
        self.feedback = FeedbackMemory(state)
        self.deliveries = Deliveries(
            adapter, state, settings, self.feedback, self._emit, clock=clock
        )
        self.personal_chat = PersonalChat(adapter, settings.microsoft_app_id)
        self.allowed_tenants = allowed_tenants(settings)
        self.audiences = AudienceResolver(services.directory, settings.directory_cache_ttl_seconds)
        self.invokes = Invokes(
            services=services,
            pipeline=pipeline,
            skills=skills,
            audiences=self.audiences,
            feedback=self.feedback,
        )
        self.download_policy = DownloadPolicy(
            hosts=settings.attachment_hosts,
            local_mode=settings.local_mode,
            deadline_seconds=settings.attachment_deadline_seconds,
        )

    # ---- the turn-level boundary ----
    async def on_turn(self, turn_context: TurnContext) -> None:
        activity = turn_context.activity
        correlation_id = new_correlation_id()
        turn_context.turn_state[CORRELATION_KEY] = correlation_id
        try:
            if not tenant_allowed(self.allowed_tenants, activity):
                log.warning(
                    "rejected activity %s (%s): tenant %s is not allowed",
                    activity.id,
                    activity.type,
                    tenant_id(activity)
                    or "(none; conversation / channelData: {} / {})".format(
                        *tenant_claims(activity)
                    ),
                )
                if activity.type == ActivityTypes.invoke:
                    await send_invoke_response(turn_context, HTTPStatus.FORBIDDEN, {})
                return
            if not await self._first_sighting(activity):
                log.info("duplicate activity %s ignored (Teams retry)", activity.id)
                return
            await super().on_turn(turn_context)
        except Exception:
            log.exception(
                "turn failed: activity=%s type=%s correlation=%s",
                activity.id,
                activity.type,
                correlation_id,
            )
            await self._report_error(turn_context, correlation_id)

    async def _first_sighting(self, activity: Activity) -> bool:
        if activity.type not in (ActivityTypes.message, ActivityTypes.conversation_update):
            return True
        if not activity.id or not activity.conversation or not activity.conversation.id:
            return True
        return await self.state.claim(
            dedupe_key(activity.conversation.id, activity.id), DEDUPE_TTL_SECONDS
        )

    async def _report_error(self, turn_context: TurnContext, correlation_id: str) -> None:
        activity = turn_context.activity
        try:
            if activity.type == ActivityTypes.invoke:
                message = f"{ERROR_TEXT} (Fehler-ID: {correlation_id})"
                body = error_body(activity, message, correlation_id)
                await send_invoke_response(turn_context, HTTPStatus.OK, body)
            elif activity.type == ActivityTypes.message and activity.conversation:
                delivery: Delivery | None = turn_context.turn_state.get(DELIVERY_KEY)
                if delivery is not None:
                    await delivery.send_error(correlation_id)
                else:
                    await turn_context.send_activity(error_activity(correlation_id))
        except Exception:
            log.exception("could not send the error reply (correlation=%s)", correlation_id)

    # ---- messages ----
    async def on_message_activity(self, turn_context: TurnContext) -> None:
        activity = turn_context.activity
        if not activity.conversation:
            log.warning("message %s without conversation: cannot reply", activity.id)
            return
        if isinstance(activity.value, dict) and FEEDBACK_KEY in activity.value:
            await self._feedback(turn_context, activity.value.get(FEEDBACK_KEY))
            return
        correlation_id = turn_context.turn_state[CORRELATION_KEY]
        scope = conversation_scope(activity)
        user_id = aad_object_id(activity)
        limit = self.settings.max_message_chars
        raw_chars = len(activity.text or "")
        # Cheap check first: a huge message is refused before any HTML or mention parsing.
        text, mention_removed = ("", False) if raw_chars > 4 * limit else message_text(activity)
        if raw_chars > 4 * limit or len(text) > limit:
            chars = max(len(text), raw_chars)
            reply = TOO_LONG_TEXT.format(
                chars=f"{chars:,}".replace(",", "."), limit=f"{limit:,}".replace(",", ".")
            )
            self.pipeline.record(
                "turn", outcome="bad_input", reason="too_long", user_id=user_id, scope=scope
            )
            await turn_context.send_activity(MessageFactory.text(reply))
            return

        trace = Trace(correlation_id)
        trace.add("normalise", chars=len(text), mention_removed=mention_removed, scope=scope)
        # Files sent in a 1:1 chat arrive as download links (bot/teams_files.py). They are
        # fetched inside the turn's work, so the long-work budget covers a slow file host.
        links = file_attachments(activity.attachments) if scope == "personal" else []
        if links and not text:
            text = _command_for_names([str(getattr(link, "name", "") or "") for link in links])
        options = SkillOptions()
        submitted = activity.value if isinstance(activity.value, dict) else {}
        if not text and isinstance(submitted.get("command"), str):
            # A card button (Action.Submit) of a skill: {"command": "suche", "page": 1, ...}.
            # Routed like the typed command; the rest reaches the skill as (untrusted) options.
            text = submitted["command"].strip()[:50]
            options = SkillOptions.from_card(submitted)
            trace.add(
                "card_submit", command=text, keys=sorted(k for k in submitted if k != "command")
            )
        audience = await self._audience(turn_context, scope, trace)
        delivery = self.deliveries.open(turn_context, scope, trace)
        turn_context.turn_state[DELIVERY_KEY] = delivery  # the error boundary answers through it
        turn = Invocation(
            text,
            user_id,
            scope,
            tenant_id(activity),
            options=options,
            correlation_id=correlation_id,
            progress=delivery.progress,
            stop=delivery.stop,
            audience=audience,
            bot_name=bot_name(activity) or "",
        )
        await delivery.send(
            self._run_turn(turn, trace, links, activity), lambda done: self._reply(done, scope)
        )

    async def _run_turn(
        self, turn: Invocation, trace: Trace, links: list[Any], activity: Activity
    ) -> Outcome:
        """Files, then the pipeline; a personal result (KI-Pass, refusal) asked for in a channel
        or group chat goes to the 1:1 chat instead, the shared conversation gets a neutral line."""
        output = await self._run_with_files(turn, trace, links)
        if turn.scope == "personal" or not output.result.personal:
            return output
        personal_reply = self._reply(output, "personal").activity
        return await self.personal_chat.keep_private(output, activity, personal_reply, trace)

    async def _run_with_files(self, turn: Invocation, trace: Trace, links: list[Any]) -> Outcome:
        if links:
            with trace.timed("attachments") as step:
                downloads = await download_attachments(links, self.download_policy)
                step.update(
                    count=len(downloads.files), bytes=sum(len(f.data) for f in downloads.files)
                )
                if downloads.failed:
                    step.update(failed=len(downloads.failed))
            if downloads.failed and not downloads.files:
                return self._files_unavailable(turn, downloads.failed)
            turn.attachments = downloads.files
        return await self.pipeline.run(turn, trace)

    def _files_unavailable(self, turn: Invocation, names: Sequence[str]) -> Outcome:
        quoted = ", ".join(f"„{name}“" for name in names) or "„datei“"
        text = FILES_UNAVAILABLE.format(names=quoted)
        self.pipeline.record(
            "turn",
            outcome="bad_input",
            reason="attachment_unavailable",
            user_id=turn.user_id,
            scope=turn.scope,
        )
        return Outcome(
            route(turn.text, self.skills()),
            SkillResult(Problem("attachment_unavailable", text), outcome="bad_input"),
            "attachment_unavailable",
            0.0,
        )

    async def _audience(
        self, turn_context: TurnContext, scope: Scope, trace: Trace
    ) -> Audience | None:
        """Who reads the reply: None in a 1:1 chat, else the roster's shared access groups."""
        lookup = await self.audiences.resolve(turn_context, scope)
        if lookup is None:
            return None
        audience = lookup.audience
        trace.add(
            "audience",
            lookup.ms,
            roster_size=audience.roster_size,
            fallback=audience.fallback,
            cached=lookup.cached,
            roster_ms=round(lookup.roster_ms, 3),
            shared_groups=len(audience.access) - 1,  # how many beyond public, never which
        )
        return audience

    def _reply(self, output: Outcome, scope: Scope) -> Reply:
        return reply_activity(
            output,
            scope,
            self.skills(),
            citation_style=self.settings.citation_style,
            bot_app_id=self.settings.microsoft_app_id,
        )

    def _emit(self, trace: Trace) -> None:
        if self.trace_sink is not None:
            self.trace_sink(trace)

    async def drain(self) -> None:
        """Wait for long-running replies (tests, graceful shutdown); wrap in asyncio.timeout."""
        await self.deliveries.drain()

    async def aclose(self) -> None:
        await self.deliveries.aclose()

    # ---- welcome ----
    async def on_conversation_update_activity(self, turn_context: TurnContext) -> None:
        activity = turn_context.activity
        if activity.members_added or activity.members_removed:
            self.audiences.forget(activity)  # the roster changed: read it again next turn
        added = activity.members_added or []
        if not added or not activity.conversation or not activity.conversation.id:
            return
        bot_id = activity.recipient.id if activity.recipient else None
        bot_added = any(member.id == bot_id for member in added)
        people = [member for member in added if member.id != bot_id]
        scope = conversation_scope(activity)
        conversation = activity.conversation.id
        if bot_added or (people and scope == "personal"):
            # The bot joined a team/chat, or a user opened the 1:1: the full welcome, once ever.
            if not await self.state.claim(welcomed_key(conversation), None):
                return
            await turn_context.send_activity(welcome_activity(self.skills()))
        elif people:
            # People joined a team or group chat: one short line per burst, not one per member.
            burst = f"member-welcome:{conversation}"
            if not await self.state.claim(burst, MEMBER_WELCOME_WINDOW_SECONDS):
                return
            await turn_context.send_activity(MessageFactory.text(MEMBER_WELCOME))
        else:
            return
        self.pipeline.record("welcome", outcome="ok", user_id=None, scope=scope)

    # ---- invokes (bot/teams/invokes.py) ----
    async def on_invoke_activity(self, turn_context: TurnContext) -> InvokeResponse:
        return await self.invokes.answer(turn_context)

    # ---- feedback sent as a message (a card's Action.Submit) ----
    async def _feedback(self, turn_context: TurnContext, raw: Any) -> None:
        reaction = raw if raw in ("up", "down") else None
        value = turn_context.activity.value
        named = value.get("skill") if isinstance(value, dict) else None
        # The card's data names the skill; only a registered name reaches the audit log.
        skill = self.invokes.known_skill(named)
        audit_feedback(self.pipeline, turn_context.activity, reaction, skill)
        await turn_context.send_activity(MessageFactory.text(FEEDBACK_THANKS))


def _command_for_names(names: Sequence[str]) -> str:
    """A spreadsheet is most likely a process inventory, anything else a document to summarise."""
    spreadsheet = any(name.lower().endswith((".csv", ".xlsx", ".xlsm")) for name in names)
    return "priorisieren" if spreadsheet else "zusammenfassen"
