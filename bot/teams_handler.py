"""The Teams activity handler: activity in, replies out, one error boundary around it all.

Per turn: tenant allow-list -> dedupe by activity id -> dispatch (message, conversationUpdate,
invoke). Messages are normalised (bot mention and HTML removed) and run through the turn
pipeline (bot/turn.py) with a budget: a skill slower than KIW_LONG_WORK_BUDGET_SECONDS gets an
immediate "Ich arbeite daran …" reply that is updated in place when the result is there.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
from collections.abc import Callable, Sequence
from http import HTTPStatus
from typing import Any

from botbuilder.core import BotAdapter, CardFactory, MessageFactory, TurnContext
from botbuilder.core.teams import TeamsActivityHandler
from botbuilder.schema import Activity, ActivityTypes, ConversationReference, InvokeResponse

from bot import cards
from bot.cards.entities import message_entities
from bot.normalise import message_text
from bot.services import Services
from bot.settings import Settings
from bot.state import DEDUPE_TTL_SECONDS, StateStore, dedupe_key, welcomed_key
from bot.teams_files import download_attachments
from bot.turn import TurnInput, TurnOutput, TurnPipeline, new_correlation_id
from skills.cardkit import FEEDBACK_KEY
from skills.context import Skill
from skills.trace import Trace
from skills.types import Attachment, Scope, SkillResult

log = logging.getLogger("kiw.handler")

CORRELATION_KEY = "kiw.correlation_id"
# New members joining a team in a burst get one short welcome per conversation in this window.
MEMBER_WELCOME_WINDOW_SECONDS = 600.0

ERROR_TEXT = (
    "Bei der Bearbeitung ist ein Fehler aufgetreten. Bitte versuchen Sie es in einigen Minuten "
    "erneut. Wenn der Fehler bleibt, wenden Sie sich mit der Fehler-ID an die KI-Werkstatt."
)
TOO_LONG_TEXT = (
    "Ihre Nachricht ist zu lang ({chars} Zeichen). Bitte kürzen Sie sie auf höchstens {limit} "
    "Zeichen oder senden Sie längere Texte als Datei."
)
EXTENSION_UNAVAILABLE = "Diese Funktion ist noch nicht verfügbar. Bitte schreiben Sie mir im Chat."
UNAVAILABLE_NOTICE = (
    "Diese Funktion steht noch nicht zur Verfügung. Das kann ich im Moment für Sie tun:"
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


def tenant_id(activity: Activity) -> str | None:
    if activity.conversation and activity.conversation.tenant_id:
        return str(activity.conversation.tenant_id)
    data = activity.channel_data if isinstance(activity.channel_data, dict) else {}
    tenant = data.get("tenant") if isinstance(data.get("tenant"), dict) else {}
    return str(tenant["id"]) if tenant and tenant.get("id") else None


def card_activity(card: dict[str, Any], text: str) -> Activity:
    activity = MessageFactory.attachment(CardFactory.adaptive_card(card), text=text)
    activity.text = text
    return activity


def error_activity(correlation_id: str) -> Activity:
    return card_activity(
        cards.error_card(ERROR_TEXT, correlation_id),
        f"Das hat nicht geklappt (Fehler-ID: {correlation_id}).",
    )


class KiwTeamsHandler(TeamsActivityHandler):
    def __init__(
        self,
        *,
        settings: Settings,
        services: Services,
        state: StateStore,
        adapter: BotAdapter,
        pipeline: TurnPipeline,
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
        self._background: set[asyncio.Task[None]] = set()
        self.allowed_tenants = self._allowed_tenants(settings)

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
                    tenant_id(activity) or "(none)",
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
        # Files sent in a 1:1 chat arrive as download links (bot/teams_files.py).
        files: tuple[Attachment, ...] = ()
        if scope == "personal" and activity.attachments:
            with trace.timed("attachments") as step:
                files = await download_attachments(activity.attachments)
                step.update(count=len(files), bytes=sum(len(f.data) for f in files))
        if files and not text:
            text = _command_for_files(files)  # a file sent without words
        options: dict[str, Any] = {}
        submitted = activity.value if isinstance(activity.value, dict) else {}
        if not text and isinstance(submitted.get("command"), str):
            # A card button (Action.Submit) of a skill: {"command": "suche", "page": 1, ...}.
            # Routed like the typed command; the rest reaches the skill as (untrusted) options.
            text = submitted["command"].strip()[:50]
            options = {k: v for k, v in submitted.items() if k != "command"}
            trace.add("card_submit", command=text, keys=sorted(options))
        turn = TurnInput(
            text,
            user_id,
            scope,
            tenant_id(activity),
            attachments=files,
            options=options,
            correlation_id=correlation_id,
        )
        work = asyncio.ensure_future(self.pipeline.run(turn, trace))
        done, _ = await asyncio.wait({work}, timeout=self.settings.long_work_budget_seconds)
        if work in done:
            output = work.result()  # re-raises into the turn boundary
            await turn_context.send_activity(self.reply_activity(output, scope))
            trace.add("reply", long_work=False)
            self._emit(trace)
            return
        await self._start_long_work(turn_context, work, trace, scope)

    def reply_activity(self, output: TurnOutput, scope: Scope = "personal") -> Activity:
        """The card carries the content; `text` is the plain-text fallback (notifications,
        clients without cards) and is kept short so Teams does not show everything twice —
        except for cited answers: Teams renders [n] citation markers only in `text`."""
        skill, result = output.skill, output.result
        if skill.name == "help" and not result.card and not result.data.get("focused"):
            notice = UNAVAILABLE_NOTICE if output.route.reason == "unavailable" else ""
            activity = card_activity(
                cards.help_card(self.skills(), notice=notice),
                cards.help_summary(self.skills(), notice=notice),
            )
        elif result.card:
            # With citations the full text goes along: Teams attaches the citation entity to
            # the [n] markers in `text` (and shows nothing for markers that are not there).
            fallback = result.text if result.citations else cards.summary_line(result.text)
            activity = card_activity(result.card, fallback)
        elif result.citations or result.ai_generated:
            # Teams' own 👍/👎 footer (feedbackLoopEnabled) exists in chats, not in channels;
            # there the card carries the buttons. Either way the bot records only up/down.
            native_feedback = _wants_feedback(result) and scope != "team"
            card = cards.result_card(
                skill,
                result,
                feedback=_wants_feedback(result) and not native_feedback,
                include_text=False,
            )
            activity = card_activity(card, result.text)
            if native_feedback:
                activity.channel_data = {"feedbackLoopEnabled": True}
        elif cards.summary_line(result.text) == result.text.strip():
            activity = MessageFactory.text(result.text)  # one short line: no card needed
        else:
            card = cards.result_card(skill, result, feedback=False)
            activity = card_activity(card, cards.summary_line(result.text))
        entities = message_entities(ai_generated=result.ai_generated, citations=result.citations)
        if entities:
            activity.entities = entities
        return activity

    def _emit(self, trace: Trace) -> None:
        if self.trace_sink is not None:
            self.trace_sink(trace)

    # ---- long work: reply now, update in place later ----
    async def _start_long_work(
        self,
        turn_context: TurnContext,
        work: asyncio.Future[TurnOutput],
        trace: Trace,
        scope: Scope,
    ) -> None:
        activity = turn_context.activity
        try:
            await turn_context.send_activity(Activity(type=ActivityTypes.typing))
            sent = await turn_context.send_activity(
                card_activity(cards.working_card(), "Ich arbeite daran …")
            )
        except BaseException:
            work.cancel()  # nobody could see the result: stop the skill, report the error
            raise
        reference = TurnContext.get_conversation_reference(activity).serialize()
        key = f"reference:{trace.correlation_id}"
        try:
            # Kept in the shared store so another instance (or a restart) can still reach the
            # conversation; this process also keeps its own copy below.
            await self.state.save_reference(key, reference)
        except Exception:
            log.warning("could not store conversation reference %s", key, exc_info=True)
        trace.add("reply", long_work=True, placeholder=bool(sent and sent.id))
        task = asyncio.create_task(
            self._finish_long_work(work, key, reference, sent.id if sent else None, trace, scope)
        )
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _finish_long_work(
        self,
        work: asyncio.Future[TurnOutput],
        reference_key: str,
        local_reference: dict[str, Any],
        message_id: str | None,
        trace: Trace,
        scope: Scope,
    ) -> None:
        try:
            reply = self.reply_activity(await work, scope)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("long-running turn failed: correlation=%s", trace.correlation_id)
            reply = error_activity(trace.correlation_id)
        try:
            try:
                stored = await self.state.load_reference(reference_key)
            except Exception:
                log.warning("could not load %s; using the local copy", reference_key)
                stored = None
            reference = ConversationReference().deserialize(stored or local_reference)

            async def deliver(context: TurnContext) -> None:
                if message_id:
                    reply.id = message_id
                    try:
                        await context.update_activity(reply)
                        trace.add("update", in_place=True)
                        return
                    except Exception:
                        log.warning(
                            "update in place failed (correlation=%s); sending a new message",
                            trace.correlation_id,
                            exc_info=True,
                        )
                        reply.id = None
                await context.send_activity(reply)
                trace.add("update", in_place=False)

            await self.adapter.continue_conversation(
                reference, deliver, bot_app_id=self.settings.microsoft_app_id
            )
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("could not deliver the long-running result: %s", trace.correlation_id)
        finally:
            self._emit(trace)

    async def drain(self) -> None:
        """Wait for long-running replies (tests, graceful shutdown); wrap in asyncio.timeout."""
        while self._background:
            await asyncio.wait(set(self._background))

    async def aclose(self) -> None:
        for task in list(self._background):
            task.cancel()
        if self._background:
            await asyncio.gather(*self._background, return_exceptions=True)

    # ---- welcome ----
    async def on_conversation_update_activity(self, turn_context: TurnContext) -> None:
        activity = turn_context.activity
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
            await turn_context.send_activity(
                card_activity(cards.welcome_card(self.skills()), cards.WELCOME_TITLE)
            )
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
        if name == "message/submitAction" and value.get("actionName") == "feedback":
            raw_action = value.get("actionValue")
            action: dict[str, Any] = raw_action if isinstance(raw_action, dict) else {}
            reaction = {"like": "up", "dislike": "down"}.get(str(action.get("reaction")))
            self._audit_feedback(turn_context, reaction)
            return InvokeResponse(status=int(HTTPStatus.OK), body={})
        log.info("unknown invoke %r answered with 501", name)
        return InvokeResponse(
            status=int(HTTPStatus.NOT_IMPLEMENTED),
            body={"error": f"invoke '{name}' is not supported by this bot"},
        )

    async def _extension_invoke(
        self, turn_context: TurnContext, name: str, value: dict[str, Any]
    ) -> InvokeResponse:
        try:
            extensions = importlib.import_module("bot.extensions")
        except ModuleNotFoundError as exc:
            if exc.name != "bot.extensions":
                raise
            return InvokeResponse(
                status=int(HTTPStatus.OK), body=_extension_message(EXTENSION_UNAVAILABLE)
            )
        activity = turn_context.activity
        status, body = await extensions.handle_invoke(
            name, value, aad_object_id(activity), tenant_id(activity), self.services
        )
        return InvokeResponse(status=int(status), body=body)

    # ---- feedback ----
    async def _feedback(self, turn_context: TurnContext, raw: Any) -> None:
        reaction = raw if raw in ("up", "down") else None
        self._audit_feedback(turn_context, reaction)
        await turn_context.send_activity(MessageFactory.text(FEEDBACK_THANKS))

    def _audit_feedback(self, turn_context: TurnContext, reaction: str | None) -> None:
        activity = turn_context.activity
        if reaction is None:
            log.info("feedback without a known reaction ignored (activity %s)", activity.id)
            return
        self.services.audit.write(
            "feedback",
            outcome=reaction,
            user_id=aad_object_id(activity),
            scope=conversation_scope(activity),
        )


def _command_for_files(files: Sequence[Attachment]) -> str:
    """A spreadsheet is most likely a process inventory, anything else a document to summarise."""
    spreadsheet = any(f.name.lower().endswith((".csv", ".xlsx", ".xlsm")) for f in files)
    return "priorisieren" if spreadsheet else "zusammenfassen"


def _wants_feedback(result: SkillResult) -> bool:
    return result.outcome in ("ok", "no_answer") and (result.ai_generated or bool(result.citations))


def _extension_message(text: str) -> dict[str, Any]:
    return {"composeExtension": {"type": "message", "text": text}}
