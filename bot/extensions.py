"""Message extensions: ALLRIS search (Teams and Outlook), the "Zusammenfassen" message action,
and link unfurling of the city's ALLRIS host.

The Teams handler calls `handle_invoke` for every `composeExtension/*` invoke. Routing is by
invoke NAME, never by channel id: Outlook sends its own channel id for the same invokes. Every
path goes through the KI-Pass gate (skills/gate.py) with the invoke's tenant and the caller's
access groups, exactly as a chat turn does (searching needs no KI-Pass, questions and summaries
do; another tenant's user sees public papers only), and answers with HTTP 200 and either a
result or a German hint — bad input (empty or 2,000-character search, foreign link, missing
commandId, no KI-Pass) never yields a 500.

Cards inserted into a message are Adaptive Cards version 1.4 with `Action.OpenUrl` only (drawn in
bot/render/outlook.py): a card put into an Outlook mail must render in Outlook, which does not run
bot actions from a mail.

About 500 lines on purpose: four invokes, each with its own input checks and German hints, read
best side by side; what they share (the pipeline, the cards) lives elsewhere.

The search runs the `allris_search` skill and the message action the `summarise` skill through
the one turn pipeline (bot/pipeline.py: gate with the tenant, audience, deadline), so the
extension gives the same results, masking and limits as the chat. Link unfurling is a lookup, not
a search: it passes the same gate (`Pipeline.admit`), asks the index for the linked paper
(access-trimmed) and never shows more than its card. This module only translates invokes into
invocations and outcomes into invoke responses; its audit line is one per invoke (what the pane
showed), written through the pipeline's `record` like every other line, so the pipeline runs the
invoke's skill unaudited.

In a group chat or channel (`audience` set by the Teams handler, bot/teams/audience.py) what is
*inserted* into the conversation carries only what every member may read: a search result the
audience may not read keeps its preview (which only the user sees) but inserts the withheld
notice instead of the paper; an unfurled link and an inserted summary are looked up with the
audience's groups, and say so when the user alone would have seen more.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from bot.pipeline import Invocation, Outcome, Pipeline
from bot.plain_text import plain_text
from bot.render.outlook import (
    ADAPTIVE,
    add_withheld_notice,
    paper_attachment,
    summary_card,
    withheld_attachment,
)
from bot.render.text import result_text
from bot.services import Services
from graph.principal import Principal
from indexer.links import chunks_for_link
from indexer.model import PUBLIC
from kiw_common.references import is_link_to_host
from skills.allris_papers import PAGE_SIZE, paper_of
from skills.allris_search import NAME as SEARCH_SKILL
from skills.audience import Audience
from skills.results import DocumentSummary, Paper, PaperList
from skills.summarise import NAME as SUMMARISE_SKILL
from skills.types import SkillError, SkillOptions

log = logging.getLogger("kiw.extensions")

SEARCH_COMMAND = "allrisSearch"  # manifest: composeExtensions[0].commands[0].id
SUMMARISE_COMMAND = "summarise"  # manifest: composeExtensions[0].commands[1].id
INSERT_SUMMARY = "insertSummary"  # Action.Submit data of the summary dialog
MAX_QUERY_CHARS = 200
MAX_SKIP = 40
MAX_HINT_CHARS = 1000

HINT_EMPTY_QUERY = (
    "Bitte geben Sie einen Suchbegriff ein, z. B. „Radverkehr“ oder ein Aktenzeichen."
)
HINT_LONG_QUERY = (
    "Der Suchbegriff ist zu lang ({chars} Zeichen). Bitte verwenden Sie höchstens "
    f"{MAX_QUERY_CHARS} Zeichen."
)
HINT_NO_HITS = "Keine Ratsdokumente zu „{query}“ gefunden. Versuchen Sie andere Suchbegriffe."
HINT_NO_COMMAND = (
    "Diese Anfrage ist unvollständig (es fehlt der Befehl). Bitte versuchen Sie es erneut."
)
HINT_UNKNOWN_COMMAND = "Diesen Befehl kenne ich nicht. Bitte aktualisieren Sie die App in Teams."
HINT_UNSUPPORTED = "Diese Aktion unterstützt der KI-Werkstatt Assistent nicht."
HINT_NO_USER = (
    "Ihr Benutzerkonto konnte nicht erkannt werden. Bitte melden Sie sich in Teams oder Outlook "
    "mit Ihrem Dienstkonto an."
)
HINT_EMPTY_MESSAGE = "Diese Nachricht enthält keinen Text, den ich zusammenfassen kann."
HINT_LONG_MESSAGE = (
    "Die Nachricht ist zu lang für eine Zusammenfassung hier ({chars} Zeichen, höchstens "
    "{limit}). Bitte senden Sie den Text als Datei im Chat mit „zusammenfassen“."
)
HINT_TOO_SLOW = (
    "Das dauert hier zu lange. Bitte schreiben Sie mir im Chat, dort kann ich länger arbeiten."
)

InvokeResult = tuple[int, dict[str, Any]]


@dataclass(frozen=True)
class Invoke:
    name: str
    value: dict[str, Any]
    user_id: str | None  # Entra object id (from.aadObjectId)
    tenant_id: str | None
    # Who reads what is inserted (group chat, channel, mail); None: the bot's 1:1 chat.
    audience: Audience | None = None

    def invocation(self, skill: str, command: str, text: str = "", **fields: Any) -> Invocation:
        """This invoke as the pipeline runs it: the named skill, the caller's tenant, unaudited
        (handle_invoke writes the invoke's own line through `Pipeline.record`)."""
        return Invocation(
            text,
            self.user_id,
            "extension",
            self.tenant_id,
            skill=skill,
            command=command,
            audited=False,
            **fields,
        )


def own_access(user: Principal | None) -> frozenset[str]:
    """The caller's document groups; public only when the gate resolved nobody."""
    return (user.access_groups if user else frozenset()) | {PUBLIC}


def inserted_access(invoke: Invoke, user: Principal | None) -> frozenset[str]:
    """What an inserted card may draw on: the user's groups, narrowed to the audience's."""
    own = own_access(user)
    return own if invoke.audience is None else (own & invoke.audience.access) | {PUBLIC}


@dataclass(frozen=True)
class Extension:
    """What an invoke handler needs: the pipeline and the seams it looks papers up in."""

    pipeline: Pipeline
    services: Services


Handler = Callable[[Invoke, Extension], Awaitable[InvokeResult]]


# ---------------------------------------------------------------- entry point


async def handle_invoke(
    name: str,
    value: dict[str, Any],
    user_id: str | None,
    tenant_id: str | None,
    services: Services,
    *,
    audience: Audience | None = None,
    pipeline: Pipeline,
) -> InvokeResult:
    """(HTTP status, invoke response body) for one `composeExtension/*` invoke. `pipeline`:
    the app's (bot/app.py), with the registry create_app read."""
    invoke = Invoke(name, value if isinstance(value, dict) else {}, user_id, tenant_id, audience)
    handler = _HANDLERS.get(name)
    extension = Extension(pipeline, services)
    # The registry the pipeline runs decides: an invoke of a skill it lacks gets the same hint.
    if handler is None or _SKILL_OF[name] not in {s.name for s in extension.pipeline.skills()}:
        log.info("message-extension invoke %r is not supported", name)
        return _hint(name, HINT_UNSUPPORTED)
    started = time.perf_counter()
    outcome = "error"
    try:
        # Teams gives an invoke a few seconds; past the budget the user gets a hint, not a spinner.
        status, body = await asyncio.wait_for(
            handler(invoke, extension), timeout=services.settings.long_work_budget_seconds
        )
        outcome = _outcome(body)
        return status, body
    except TimeoutError:
        outcome = "timeout"
        return _hint(name, HINT_TOO_SLOW)
    except SkillError as exc:
        outcome = exc.code
        return _hint(name, exc.user_message)
    finally:
        # Usage figures for the Werkstatt: which skill, which entry point, how it ended — never
        # the search text or the message.
        extension.pipeline.record(
            "extension",
            skill=_SKILL_OF.get(name),
            reason=name.removeprefix("composeExtension/"),
            outcome=outcome,
            latency_ms=(time.perf_counter() - started) * 1000,
            user_id=user_id,
            scope="extension",
        )


def _outcome(body: dict[str, Any]) -> str:
    """Audit outcome: "ok" (cards), "empty" (none, e.g. a foreign link) or "hint" (German text)."""
    result = body.get("composeExtension")
    if isinstance(result, dict):
        if result.get("type") == "message":
            return "hint"
        return "ok" if result.get("attachments") else "empty"
    task = body.get("task")
    return "hint" if isinstance(task, dict) and task.get("type") == "message" else "ok"


def _hint(name: str, text: str) -> InvokeResult:
    """A German hint in the shape the invoke expects (dialog for fetchTask, else the ME pane)."""
    if name == "composeExtension/fetchTask":
        return 200, {"task": {"type": "message", "value": text}}
    return 200, {"composeExtension": {"type": "message", "text": text}}


def _results(attachments: list[dict[str, Any]]) -> InvokeResult:
    return 200, {
        "composeExtension": {
            "type": "result",
            "attachmentLayout": "list",
            "attachments": attachments,
        }
    }


def _refusal(invoke: Invoke, outcome: Outcome) -> InvokeResult | None:
    """The hint for a refused or failed run (gate, bad input, timeout), else None."""
    if outcome.reason == "timeout":
        return _hint(invoke.name, HINT_TOO_SLOW)
    if outcome.refused:
        return _hint(invoke.name, result_text(outcome.result))
    return None


# ---------------------------------------------------------------- search (query)


def _query_text(value: dict[str, Any]) -> tuple[str, bool]:
    """(search text, whether this is Teams' initial run without a parameter)."""
    params = value.get("parameters")
    if not isinstance(params, list):
        return "", False
    for param in params:
        if isinstance(param, dict) and param.get("name") == "initialRun":
            return "", True
    for param in params:
        if isinstance(param, dict) and param.get("name") in ("query", None):
            return str(param.get("value") or ""), False
    first = params[0] if params and isinstance(params[0], dict) else {}
    return str(first.get("value") or ""), False


async def _query(invoke: Invoke, ext: Extension) -> InvokeResult:
    command = invoke.value.get("commandId")
    if not command:
        return _hint(invoke.name, HINT_NO_COMMAND)
    if command != SEARCH_COMMAND:
        return _hint(invoke.name, HINT_UNKNOWN_COMMAND)
    text, initial = _query_text(invoke.value)
    text = " ".join(text.split())
    if initial or not text:
        return _hint(invoke.name, HINT_EMPTY_QUERY)
    if len(text) > MAX_QUERY_CHARS:
        return _hint(invoke.name, HINT_LONG_QUERY.format(chars=len(text)))
    if not invoke.user_id:
        return _hint(invoke.name, HINT_NO_USER)
    options = invoke.value.get("queryOptions")
    options = options if isinstance(options, dict) else {}
    page = _bounded(options.get("skip"), 0, MAX_SKIP, 0) // PAGE_SIZE
    # The list is the user's own (only they see it): the skill runs without the audience; what
    # a pick inserts is checked against the audience's groups below.
    invocation = invoke.invocation(SEARCH_SKILL, "suche", text, options=SkillOptions(page=page))
    outcome = await ext.pipeline.run(invocation)
    refused = _refusal(invoke, outcome)
    if refused is not None:
        return refused
    result = outcome.result
    if not isinstance(result.payload, PaperList):
        # Bad input, or a question the skill answered in prose: its words are the hint.
        return _hint(invoke.name, result_text(result)[:MAX_HINT_CHARS])
    papers = result.payload.papers
    if not papers:
        return _hint(invoke.name, HINT_NO_HITS.format(query=text[:60]))
    inserted = inserted_access(invoke, outcome.principal)
    index = ext.services.index
    attachments = []
    for paper in papers:
        if invoke.audience is None or await index.document_chunks(paper.doc_id, inserted):
            attachments.append(paper_attachment(paper))
        else:
            attachments.append(withheld_attachment(paper, ext.services.settings.microsoft_app_id))
    return _results(attachments)


def _bounded(raw: Any, low: int, high: int, default: int) -> int:
    try:
        return max(low, min(high, int(raw)))
    except (TypeError, ValueError):
        return default


# ---------------------------------------------------------------- link unfurling (queryLink)


async def _query_link(invoke: Invoke, ext: Extension) -> InvokeResult:
    services = ext.services
    url = invoke.value.get("url")
    if not isinstance(url, str) or not is_link_to_host(url, services.settings.allris_host):
        return _results([])  # not ours: Teams shows the link as it is
    if not invoke.user_id:
        return _results([])  # no preview without a known caller; the link stays usable
    invocation = invoke.invocation(SEARCH_SKILL, "suche")
    admission = await ext.pipeline.admit(invocation, ext.pipeline.route(invocation))
    if not admission.allowed:
        return _results([])  # no preview without access; the link itself stays usable
    # The unfurled card is posted into the conversation: the audience's groups decide.
    user = admission.decision.principal
    access = inserted_access(invoke, user)
    paper = await _paper_for_url(url, access, services)
    if paper is not None:
        return _results([paper_attachment(paper)])
    neutral = Paper("", "Dokument im Ratsinformationssystem", None, None, (), None, url, "")
    attachment = paper_attachment(neutral)
    own = own_access(user)
    if access != own and await _paper_for_url(url, own, services) is not None:
        add_withheld_notice(attachment["content"], services.settings.microsoft_app_id)
    return _results([attachment])


async def _paper_for_url(url: str, access: frozenset[str], services: Services) -> Paper | None:
    """The visible paper behind an ALLRIS URL (indexer/links.py says how a link names one)."""
    chunks = await chunks_for_link(services.index, url, access)
    return paper_of(chunks[0], chunks[0].text) if chunks else None


# ---------------------------------------------------------------- message action (summarise)


def _message_text(value: dict[str, Any]) -> str:
    payload = value.get("messagePayload")
    body = payload.get("body") if isinstance(payload, dict) else None
    content = body.get("content") if isinstance(body, dict) else None
    if not isinstance(content, str):
        return ""
    return plain_text(content)


@dataclass(frozen=True)
class Summarised:
    points: list[str]
    ai_generated: bool
    withheld: bool = False  # the user alone could have read more than the conversation


async def _summary_for(invoke: Invoke, ext: Extension) -> Summarised | InvokeResult:
    """(summary points, AI-generated?) of the invoked message, or the hint to answer instead."""
    command = invoke.value.get("commandId")
    if not command:
        return _hint(invoke.name, HINT_NO_COMMAND)
    if command != SUMMARISE_COMMAND:
        return _hint(invoke.name, HINT_UNKNOWN_COMMAND)
    text = _message_text(invoke.value)
    if not text:
        return _hint(invoke.name, HINT_EMPTY_MESSAGE)
    settings = ext.services.settings
    limit = settings.max_message_chars
    if len(text) > limit:
        return _hint(invoke.name, HINT_LONG_MESSAGE.format(chars=len(text), limit=limit))
    if not invoke.user_id:
        return _hint(invoke.name, HINT_NO_USER)
    # Leave head-room inside the invoke budget: a partial summary beats a timeout.
    budget = settings.long_work_budget_seconds * 0.7
    # The summary is made to be inserted into the conversation: it draws on the audience's
    # groups (a reference in the message may name a paper not everyone there may read).
    invocation = invoke.invocation(
        SUMMARISE_SKILL,
        "zusammenfassen",
        text,
        options=SkillOptions(budget_seconds=budget),
        audience=invoke.audience,
    )
    outcome = await ext.pipeline.run(invocation)
    refused = _refusal(invoke, outcome)
    if refused is not None:
        return refused
    result, withheld = outcome.result, outcome.withheld
    if result.outcome in ("bad_input", "denied", "error", "not_found") and not withheld:
        return _hint(invoke.name, result_text(result)[:MAX_HINT_CHARS])
    summary = result.payload if isinstance(result.payload, DocumentSummary) else None
    return Summarised(_summary_points(summary), result.ai_generated, withheld)


def _summary_points(summary: DocumentSummary | None) -> list[str]:
    """Beschlussvorschlag, Stellungnahme, Kernaussagen, Finanzen (item by item), Beratung,
    Termine — as plain lines, the proposal first as in the chat's summary."""
    lines: list[str] = []
    seen: set[str] = set()
    for point in summary.points() if summary else []:
        text = point.text
        if not text.strip():
            continue
        # One sentence can stand in two parts (a key point that is also the proposal or a
        # deadline): the dialog shows it once, where it first appears.
        folded = " ".join(text.replace("**", "").split()).casefold().rstrip(".")
        if folded in seen:
            continue
        seen.add(folded)
        lines.append(text.strip())
    return lines[:8]


def _clean_points(raw: Any) -> list[str]:
    if not isinstance(raw, list):
        return []
    return [str(p)[:1000] for p in raw if isinstance(p, str) and p.strip()][:8]


async def _fetch_task(invoke: Invoke, ext: Extension) -> InvokeResult:
    summary = await _summary_for(invoke, ext)
    if not isinstance(summary, Summarised):
        return summary
    points, ai, withheld = summary.points, summary.ai_generated, summary.withheld
    dialog = summary_card(points, ai, withheld)
    dialog["actions"] = [
        {
            "type": "Action.Submit",
            "title": "In die Unterhaltung einfügen",
            "data": {
                "kiwAction": INSERT_SUMMARY,
                "points": points,
                "ai": ai,
                "withheld": withheld,
            },
        }
    ]
    return 200, {
        "task": {
            "type": "continue",
            "value": {
                "title": "Zusammenfassung",
                "width": "medium",
                "height": "medium",
                "card": {"contentType": ADAPTIVE, "content": dialog},
            },
        }
    }


async def _submit_action(invoke: Invoke, ext: Extension) -> InvokeResult:
    services = ext.services
    data = invoke.value.get("data")
    if isinstance(data, dict) and data.get("kiwAction") == INSERT_SUMMARY:
        # The dialog's own button: fetchTask made the summary; it is rebuilt here from plain
        # strings (never taken over as a card), behind the same gate.
        if not invoke.user_id:
            return _hint(invoke.name, HINT_NO_USER)
        invocation = invoke.invocation(SUMMARISE_SKILL, "zusammenfassen")
        admission = await ext.pipeline.admit(invocation, ext.pipeline.route(invocation))
        if not admission.allowed:
            return _hint(
                invoke.name,
                result_text(admission.decision.result)
                if admission.decision.result
                else HINT_NO_USER,
            )
        card = summary_card(
            _clean_points(data.get("points")),
            data.get("ai") is True,
            data.get("withheld") is True,
            services.settings.microsoft_app_id,
        )
    else:
        summary = await _summary_for(invoke, ext)
        if not isinstance(summary, Summarised):
            return summary
        card = summary_card(
            summary.points,
            summary.ai_generated,
            summary.withheld,
            services.settings.microsoft_app_id,
        )
    return _results([{"contentType": ADAPTIVE, "content": card}])


_SKILL_OF = {
    "composeExtension/query": SEARCH_SKILL,
    "composeExtension/queryLink": SEARCH_SKILL,
    "composeExtension/fetchTask": SUMMARISE_SKILL,
    "composeExtension/submitAction": SUMMARISE_SKILL,
}

_HANDLERS: dict[str, Handler] = {
    "composeExtension/query": _query,
    "composeExtension/queryLink": _query_link,
    "composeExtension/fetchTask": _fetch_task,
    "composeExtension/submitAction": _submit_action,
}
