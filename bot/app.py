"""The one composition root: `create_app(settings)` -> aiohttp application.

Nothing is built at import time. On start-up the app builds the HTTP session, the Bot Framework
adapter, the seams (index, directory, generator, audit: bot/services.py), the state store, the
turn pipeline and the Teams handler; on shutdown it closes them in reverse order. Tests pass
their own `services` / `state` to run the real HTTP endpoint on fakes.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable, Sequence

from aiohttp import ClientSession, ClientTimeout, web

from bot.health import Ping, healthz, readyz_handler
from bot.pipeline import Pipeline
from bot.services import Services, build_services
from bot.settings import Settings
from bot.settings_problems import SettingsError, problems
from bot.state import build_state_store
from bot.state_store import StateStore
from bot.teams.adapter import build_adapter
from bot.teams.clock import Clock
from bot.teams.handler import KiwTeamsHandler
from bot.werkstatt.routes import add_werkstatt_routes
from indexer.model import SearchIndex
from skills.context import Skill
from skills.registry import all_skills
from skills.trace import Trace

log = logging.getLogger("kiw.app")

# Teams caps messages far below this; the head-room lets an over-long message reach the bot and
# get a polite "zu lang" reply instead of a bare 413.
MAX_REQUEST_BYTES = 4 * 1024 * 1024

SETTINGS = web.AppKey("kiw.settings", Settings)
SERVICES = web.AppKey("kiw.services", Services)
STATE = web.AppKey("kiw.state", object)
HANDLER = web.AppKey("kiw.handler", KiwTeamsHandler)
PIPELINE = web.AppKey("kiw.pipeline", Pipeline)
ADAPTER = web.AppKey("kiw.adapter", object)
SESSION = web.AppKey("kiw.session", ClientSession)


def create_app(
    settings: Settings,
    *,
    services: Services | None = None,
    state: StateStore | None = None,
    skills: Callable[[], Sequence[Skill]] = all_skills,
    trace_sink: Callable[[Trace], None] | None = None,
    clock: Clock | None = None,
) -> web.Application:
    found = problems(settings)
    if found:
        raise SettingsError(found)
    app = web.Application(client_max_size=MAX_REQUEST_BYTES)
    app[SETTINGS] = settings

    async def lifecycle(app: web.Application) -> AsyncIterator[None]:
        owned_services = services is None
        owned_state = state is None
        # Seams first: a bad directory file or store URL stops start-up before anything is
        # opened that would then need closing.
        built_services = services or build_services(settings)
        try:
            built_state = state or build_state_store(settings)
        except BaseException:
            if owned_services:
                await built_services.aclose()
            raise
        session = ClientSession(timeout=ClientTimeout(total=60))
        warming: asyncio.Task[None] | None = None
        try:
            # The registry is code, fixed for the process: read it once, which also imports
            # every skill now (some pull in heavy libraries) instead of on the first user's turn.
            registered = tuple(skills())
            skills_now: Callable[[], Sequence[Skill]] = lambda: registered  # noqa: E731
            adapter = build_adapter(settings, session)
            pipeline = Pipeline.for_services(built_services, skills_now)
            handler = KiwTeamsHandler(
                settings=settings,
                services=built_services,
                state=built_state,
                adapter=adapter,
                pipeline=pipeline,
                skills=skills,
                trace_sink=trace_sink,
                clock=clock,
            )
            app[SESSION] = session
            app[SERVICES] = built_services
            app[STATE] = built_state
            app[ADAPTER] = adapter
            app[HANDLER] = handler
            app[PIPELINE] = pipeline
            log.info(
                "bot ready: %s mode, index=%s directory=%s generator=%s",
                "LOCAL (no token check)" if settings.local_mode else "authenticated",
                type(built_services.index).__name__,
                type(built_services.directory).__name__,
                getattr(built_services.generator, "name", type(built_services.generator).__name__),
            )
            # Spelling's word tables (indexer/corpus_words.py, 0.4-1.5 s on the council corpus)
            # load in the background while the bot already serves: no user's turn waits for
            # them, and a turn that comes first loads what it needs itself (docs/search.md).
            warming = asyncio.create_task(_warm_up(built_services.index))
            yield
            await handler.aclose()
            close_adapter = getattr(adapter, "close", None)
            if close_adapter is not None:
                await close_adapter()
        finally:
            if warming is not None:
                await warming  # the index is not closed under a loading thread
            if owned_state:
                await built_state.close()
            if owned_services:
                await built_services.aclose()
            await session.close()

    app.cleanup_ctx.append(lifecycle)
    app.router.add_post("/api/messages", messages)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz_handler(lambda: _pings(app)))
    # /werkstatt dashboard (issue 7): the same pipeline and registry as the chat
    add_werkstatt_routes(app, lambda: app[SERVICES], lambda: app[PIPELINE])
    return app


async def _warm_up(index: SearchIndex) -> None:
    start = time.perf_counter()
    try:
        await index.warm_up()
    except Exception:  # the readiness probe reports a broken index; turns load lazily
        log.exception("index warm-up failed")
        return
    log.info("index warmed up in %.2f s", time.perf_counter() - start)


def _pings(app: web.Application) -> dict[str, Ping]:
    services = app[SERVICES]
    pings: dict[str, Ping] = {
        "index": services.index.ping,
        "directory": services.directory.ping,
        "generator": services.generator.ping,
    }
    tokens = getattr(getattr(app[ADAPTER], "auth", None), "tokens", None)
    if tokens is not None:  # the bot's own token: without it no reply can be sent
        pings["bot_token"] = tokens.ping
    state_ping = getattr(app[STATE], "ping", None)  # shared stores (Redis) can be pinged
    if callable(state_ping):
        pings["state"] = state_ping
    return pings


async def messages(request: web.Request) -> web.StreamResponse:
    # The adapter answers what is not an authenticated activity (400/401/413/415) itself.
    app = request.app
    try:
        return await app[ADAPTER].handle(request, app[HANDLER])  # type: ignore[attr-defined]
    except web.HTTPException:
        raise
    except Exception:
        # The handler has its own error boundary; this one catches SDK failures around it.
        log.exception("POST /api/messages failed outside the turn")
        return web.json_response({"error": "internal error"}, status=500)
