"""The Teams activity handler: activity in, replies out, one error boundary around it all.

Per turn: tenant allow-list -> dedupe by activity id -> dispatch (message, conversationUpdate,
invoke). Messages are normalised (bot mention and HTML removed) and run through the turn
pipeline (bot/pipeline.py); the turn's delivery (bot/teams/delivery.py) decides how the reply goes
out (plain, streamed, or placeholder then update for long work). Replies are built in
bot/teams/replies.py.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Sequence
from http import HTTPStatus
from typing import Any

from botbuilder.core import BotAdapter, MessageFactory, TurnContext
from botbuilder.core.teams import TeamsActivityHandler
from botbuilder.schema import Activity, ActivityTypes, InvokeResponse

from bot import extensions
from bot.cards import voted_card
from bot.pipeline import Invocation, Outcome, Pipeline, new_correlation_id
from bot.services import Services
from bot.settings import Settings
from bot.state import DEDUPE_TTL_SECONDS, StateStore, dedupe_key, welcomed_key
from bot.teams.audience import AudienceResolver
from bot.teams.delivery import Deliveries, Delivery
from bot.teams.feedback import FeedbackMemory, card_vote, vote_response
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
from skills.cardkit import FEEDBACK_KEY
from skills.context import Skill
from skills.router import route
from skills.trace import Trace
from skills.types import Scope, SkillOptions, SkillResult

log = logging.getLogger("kiw.handler")

CORRELATION_KEY = "kiw.correlation_id"
DELIVERY_KEY = "kiw.delivery"
# How long a message-extension invoke waits for the conversation's roster (public only after).
INVOKE_ROSTER_SECONDS = 1.5
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


def conversation_scope(activity: Activity) -> Scope:
    kind = activity.conversation.conversation_type if activity.conversation else None
    if kind == "channel":
        return "team"
    if kind == "groupChat":
        return "groupChat"
    return "personal"


def aad_object_id(activity: Activity) -> str | None:
    sender = activity.from_property
    return (sender.aad_object_id or None) if sender else None


def _tenant_claims(activity: Activity) -> tuple[str | None, str | None]:
    """(conversation.tenantId, channelData.tenant.id) as sent.

    botbuilder's ConversationAccount maps the key `tenantID`, but Teams sends `tenantId`, which
    the SDK leaves in `additional_properties`: read both spellings."""
    conversation = None
    if activity.conversation:
        extra = getattr(activity.conversation, "additional_properties", None) or {}
        conversation = activity.conversation.tenant_id or extra.get("tenantId")
    data = activity.channel_data if isinstance(activity.channel_data, dict) else {}
    tenant = data.get("tenant") if isinstance(data.get("tenant"), dict) else {}
    channel_data = tenant.get("id") if tenant else None
    return (
        str(conversation) if conversation else None,
        str(channel_data) if channel_data else None,
    )


def tenant_conflict(activity: Activity) -> bool:
    """Both places name a tenant, and not the same one: a forged or confused activity."""
    conversation, channel_data = _tenant_claims(activity)
    return bool(conversation and channel_data and conversation.lower() != channel_data.lower())


def tenant_id(activity: Activity) -> str | None:
    """The activity's tenant; None if it names none, or two different ones."""
    if tenant_conflict(activity):
        return None
    conversation, channel_data = _tenant_claims(activity)
    return conversation or channel_data


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
    ) -> None:
        super().__init__()
        self.settings = settings
        self.services = services
        self.state = state
        self.adapter = adapter
        self.pipeline = pipeline
        self.skills = skills
        self.trace_sink = trace_sink
        self.feedback = FeedbackMemory(state)
        self.deliveries = Deliveries(adapter, state, settings, self.feedback, self._emit)
        self.personal_chat = PersonalChat(adapter, settings.microsoft_app_id)
        self.allowed_tenants = self._allowed_tenants(settings)
        self.audiences = AudienceResolver(services.directory, settings.directory_cache_ttl_seconds)
        self.download_policy = DownloadPolicy(
            hosts=settings.attachment_hosts,
            local_mode=settings.local_mode,
            deadline_seconds=settings.attachment_deadline_seconds,
        )

    # ---- tenant allow-list ----
    @staticmethod
    def _allowed_tenants(settings: Settings) -> frozenset[str] | None:
        """None = every tenant (local mode only). Outside local mode an empty list falls back to
        the app's own tenant; with neither, nobody is answered (fail closed)."""
        tenants = {t.lower() for t in settings.allowed_tenants}
        if not tenants and settings.local_mode:
            return None
        if not tenants and settings.microsoft_app_tenant_id:
            tenants = {settings.microsoft_app_tenant_id.lower()}
        if not tenants:
            log.error(
                "KIW_ALLOWED_TENANTS is empty and MicrosoftAppTenantId is not set: "
                "every activity will be rejected. Set KIW_ALLOWED_TENANTS."
            )
        return frozenset(tenants)

    def tenant_allowed(self, activity: Activity) -> bool:
        if tenant_conflict(activity):
            return False  # refused even in local mode: no honest client sends two tenants
        if self.allowed_tenants is None:
            return True
        tenant = tenant_id(activity)
        return tenant is not None and tenant.lower() in self.allowed_tenants

    # ---- the turn-level boundary ----
    async def on_turn(self, turn_context: TurnContext) -> None:
        activity = turn_context.activity
        correlation_id = new_correlation_id()
        turn_context.turn_state[CORRELATION_KEY] = correlation_id
        try:
            if not self.tenant_allowed(activity):
                log.warning(
                    "rejected activity %s (%s): tenant %s is not allowed",
                    activity.id,
                    activity.type,
                    tenant_id(activity)
                    or "(none; conversation / channelData: {} / {})".format(
                        *_tenant_claims(activity)
                    ),
                )
                if activity.type == ActivityTypes.invoke:
                    await self._send_invoke_response(turn_context, HTTPStatus.FORBIDDEN, {})
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
                body = (
                    _extension_message(message)
                    if (activity.name or "").startswith("composeExtension/")
                    else {"error": message, "correlationId": correlation_id}
                )
                await self._send_invoke_response(turn_context, HTTPStatus.OK, body)
            elif activity.type == ActivityTypes.message and activity.conversation:
                delivery: Delivery | None = turn_context.turn_state.get(DELIVERY_KEY)
                if delivery is not None:
                    await delivery.send_error(correlation_id)
                else:
                    await turn_context.send_activity(error_activity(correlation_id))
        except Exception:
            log.exception("could not send the error reply (correlation=%s)", correlation_id)

    @staticmethod
    async def _send_invoke_response(
        turn_context: TurnContext, status: int, body: dict[str, Any]
    ) -> None:
        await turn_context.send_activity(
            Activity(
                type=ActivityTypes.invoke_response,
                value=InvokeResponse(status=int(status), body=body),
            )
        )

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
            self.services.audit.write(
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
        self.services.audit.write(
            "turn",
            outcome="bad_input",
            reason="attachment_unavailable",
            user_id=turn.user_id,
            scope=turn.scope,
        )
        return Outcome(
            route(turn.text, self.skills()),
            SkillResult(text=text, outcome="bad_input"),
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
        self.services.audit.write("welcome", outcome="ok", scope=scope)

    # ---- invokes ----
    async def on_invoke_activity(self, turn_context: TurnContext) -> InvokeResponse:
        activity = turn_context.activity
        name = activity.name or ""
        value = activity.value if isinstance(activity.value, dict) else {}
        if name.startswith("composeExtension/"):
            return await self._extension_invoke(turn_context, name, value)
        vote = card_vote(value) if name == "adaptiveCard/action" else None
        if vote is not None:
            # A 👍/👎 button (Action.Execute): audited, and the buttons become the vote in place.
            reaction, named = vote
            skill = named if named in {s.name for s in self.skills()} else None
            self._audit_feedback(turn_context, reaction, skill)
            return InvokeResponse(
                status=int(HTTPStatus.OK), body=vote_response(voted_card(reaction))
            )
        if name == "message/submitAction" and value.get("actionName") == "feedback":
            raw_action = value.get("actionValue")
            action: dict[str, Any] = raw_action if isinstance(raw_action, dict) else {}
            reaction = {"like": "up", "dislike": "down"}.get(str(action.get("reaction")))
            conversation = activity.conversation.id if activity.conversation else None
            skill = await self.feedback.skill_of(conversation, activity.reply_to_id)
            self._audit_feedback(turn_context, reaction, skill, commented=_has_comment(action))
            return InvokeResponse(status=int(HTTPStatus.OK), body={})
        log.info("unknown invoke %r answered with 501", name)
        return InvokeResponse(
            status=int(HTTPStatus.NOT_IMPLEMENTED),
            body={"error": f"invoke '{name}' is not supported by this bot"},
        )

    async def _extension_invoke(
        self, turn_context: TurnContext, name: str, value: dict[str, Any]
    ) -> InvokeResponse:
        activity = turn_context.activity
        status, body = await extensions.handle_invoke(
            name,
            value,
            aad_object_id(activity),
            tenant_id(activity),
            self.services,
            audience=await self._invoke_audience(turn_context),
            pipeline=self.pipeline,
        )
        return InvokeResponse(status=int(status), body=body)

    async def _invoke_audience(self, turn_context: TurnContext) -> Audience | None:
        """Who reads what a message extension inserts. None only in the bot's own 1:1 chat
        (its conversation ids start with "a:"); a chat between people is asked for its roster
        like a group chat (the bot is no member there, so that fails closed); Outlook and
        anything else without a roster: public documents only."""
        conversation = turn_context.activity.conversation
        kind = conversation.conversation_type if conversation else None
        if kind == "personal" and str(conversation.id or "").startswith("a:"):
            return None
        if kind not in ("channel", "groupChat", "personal"):
            return Audience.public_only("no_roster")
        scope: Scope = "team" if kind == "channel" else "groupChat"
        try:
            # Teams waits only seconds for an invoke, and the extension needs its own budget
            # after this; a roster still being read keeps going (and is cached) for later.
            async with asyncio.timeout(INVOKE_ROSTER_SECONDS):
                lookup = await self.audiences.resolve(turn_context, scope)
        except TimeoutError:
            return Audience.public_only("roster_unreadable")
        return lookup.audience if lookup else Audience.public_only("no_roster")

    # ---- feedback ----
    async def _feedback(self, turn_context: TurnContext, raw: Any) -> None:
        reaction = raw if raw in ("up", "down") else None
        value = turn_context.activity.value
        named = value.get("skill") if isinstance(value, dict) else None
        # The card's data names the skill; only a registered name reaches the audit log.
        skill = named if named in {s.name for s in self.skills()} else None
        self._audit_feedback(turn_context, reaction, skill)
        await turn_context.send_activity(MessageFactory.text(FEEDBACK_THANKS))

    def _audit_feedback(
        self,
        turn_context: TurnContext,
        reaction: str | None,
        skill: str | None = None,
        *,
        commented: bool = False,
    ) -> None:
        activity = turn_context.activity
        if reaction is None:
            log.info("feedback without a known reaction ignored (activity %s)", activity.id)
            return
        self.services.audit.write(
            "feedback",
            skill=skill,
            outcome=reaction,
            reason="with_comment" if commented else None,
            user_id=aad_object_id(activity),
            scope=conversation_scope(activity),
        )


def _has_comment(action: dict[str, Any]) -> bool:
    """Whether Teams' feedback form carried a comment (`feedback` is a JSON string with
    `feedbackText`). Only that fact is audited, never the words."""
    raw = action.get("feedback")
    try:
        form = json.loads(raw) if isinstance(raw, str) else raw
    except ValueError:
        return False
    return isinstance(form, dict) and bool(str(form.get("feedbackText") or "").strip())


def _command_for_names(names: Sequence[str]) -> str:
    """A spreadsheet is most likely a process inventory, anything else a document to summarise."""
    spreadsheet = any(name.lower().endswith((".csv", ".xlsx", ".xlsm")) for name in names)
    return "priorisieren" if spreadsheet else "zusammenfassen"


def _extension_message(text: str) -> dict[str, Any]:
    return {"composeExtension": {"type": "message", "text": text}}
