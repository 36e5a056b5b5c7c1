"""HTTP routes of the Werkstatt dashboard, served by the bot's own aiohttp process.

  GET  /werkstatt                          the page (HTML; charts drawn by the vendored Chart.js)
  GET  /werkstatt/static/<file>            its script, style sheet and Chart.js (no CDN)
  GET  /werkstatt/api/figures?from=&to=    the published figures as JSON (suppression applied;
                                           the period is widened to whole, closed weeks)
  GET  /werkstatt/export.csv?from=&to=     the same figures as CSV
  POST /werkstatt/prioritise               inventory upload -> ranking JSON (or ?format=zip)
Every route is behind the guard in auth.py (admin group via Entra ID, or loopback in local
mode). The composition root calls `add_werkstatt_routes(app, services, pipeline)` once.
"""

from __future__ import annotations

import asyncio
import base64
import io
import logging
import mimetypes
import tempfile
import zipfile
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aiohttp import BodyPartReader, web

from bot.pipeline import Invocation, Pipeline
from bot.render.text import result_text
from bot.services import Services, audit_key
from bot.werkstatt import aggregate, published
from bot.werkstatt.auth import EntraSignIn, Guard, LoopbackOnly, NotConfigured, guarded
from bot.werkstatt.cookies import session_key
from bot.werkstatt.labels import skill_rows
from bot.werkstatt.periods import PeriodError, Weeks, recent_weeks, reference_day, whole_weeks
from prioritisation.inventory import problem_lines
from prioritisation.schedule import Quarter
from skills.results import InventoryProblems, Ranking
from skills.types import Attachment, BadInput, SkillOptions

if TYPE_CHECKING:
    from prioritisation import Analysis

log = logging.getLogger("kiw.werkstatt")

STATIC = Path(__file__).resolve().parent / "static"
STATIC_FILES = {
    "app.js": "text/javascript",
    "app.css": "text/css",
    "vendor/chartjs/chart.umd.min.js": "text/javascript",
    "vendor/chartjs/LICENSE.md": "text/plain",
}
DEFAULT_PERIOD_WEEKS = 4
SECURITY_HEADERS = {
    # Everything the page needs comes from this server; charts of the upload are data: images.
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}

ServicesRef = Services | Callable[[], Services]
PipelineRef = Pipeline | Callable[[], Pipeline]


class Werkstatt:
    def __init__(
        self, services: ServicesRef, pipeline: PipelineRef, guard: Guard | None = None
    ) -> None:
        self._services = services
        self._pipeline = pipeline
        self._guard = guard

    @property
    def services(self) -> Services:
        return self._services() if callable(self._services) else self._services

    @property
    def pipeline(self) -> Pipeline:
        """The app's pipeline: its registry names the dashboard's rows, and the inventory
        upload runs through it."""
        return self._pipeline() if callable(self._pipeline) else self._pipeline

    # ------------------------------------------------------------ guard
    def guard(self) -> Guard:
        if self._guard is None:
            self._guard = build_guard(self.services)
        return self._guard

    # ------------------------------------------------------------ handlers
    async def page(self, request: web.Request) -> web.StreamResponse:
        html = (STATIC / "index.html").read_text(encoding="utf-8")
        return web.Response(text=html, content_type="text/html", headers=SECURITY_HEADERS)

    async def static(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        if name not in STATIC_FILES:  # a fixed list: no path from the URL reaches the disk
            raise web.HTTPNotFound()
        return web.Response(
            body=(STATIC / name).read_bytes(),
            content_type=STATIC_FILES[name],
            charset="utf-8",
            headers=SECURITY_HEADERS,
        )

    async def figures(self, request: web.Request) -> web.StreamResponse:
        weeks = _period(request)
        if isinstance(weeks, web.Response):
            return weeks
        data = await asyncio.to_thread(self._figures, weeks)
        return web.json_response(data, headers=SECURITY_HEADERS)

    async def export(self, request: web.Request) -> web.StreamResponse:
        weeks = _period(request)
        if isinstance(weeks, web.Response):
            return weeks
        data = await asyncio.to_thread(self._figures, weeks)
        name = f"werkstatt-{weeks.first.isoformat()}-{weeks.last.isoformat()}.csv"
        return web.Response(
            body=("\ufeff" + published.figures_csv(data)).encode("utf-8"),
            content_type="text/csv",
            charset="utf-8",
            headers={**SECURITY_HEADERS, "Content-Disposition": f'attachment; filename="{name}"'},
        )

    def _figures(self, weeks: Weeks) -> dict[str, Any]:
        rows = skill_rows(self.pipeline.skills())
        acc = aggregate.aggregate(self.services.audit.directory, weeks, rows)
        if acc.bad_lines:
            # For the operator only: a count of broken lines is no figure about people, but it
            # is no figure for the page either.
            log.warning(
                "werkstatt: %d unreadable audit lines in %s..%s",
                acc.bad_lines,
                weeks.first,
                weeks.last,
            )
        return published.figures(acc)

    async def prioritise(self, request: web.Request) -> web.StreamResponse:
        from prioritisation.inventory import MAX_INVENTORY_BYTES

        form = await _read_form(request, MAX_INVENTORY_BYTES)
        if isinstance(form, web.Response):
            return form
        file_name, data, fields = form
        try:
            capacity = _number(fields.get("capacity"), 50.0, "Kapazität")
            net_hours = _number(fields.get("net_hours"), 1600.0, "Netto-Jahresarbeitszeit")
            start = _quarter(fields.get("start"))
            # The ranges (capacity not negative, net hours above 0) are the options' own checks.
            options = SkillOptions(capacity=capacity, net_hours_per_fte=net_hours, start=start)
        except (ValueError, BadInput) as exc:
            return web.json_response({"ok": False, "problems": [str(exc)]}, status=400)
        # The same pipeline as a chat's "priorisieren" (bot/pipeline.py). The guard has admitted
        # an admin, and the skill reads no document and needs no KI-Pass: the operator runs it.
        # Not audited, as before: the dashboard's own figures count the assistant's users.
        invocation = Invocation(
            "",
            None,
            "dashboard",
            attachments=(Attachment(file_name, _content_type(file_name), data),),
            options=options,
            skill="prioritise",
            operator=True,
            audited=False,
        )
        outcome = await self.pipeline.run(invocation)
        payload = outcome.result.payload
        if isinstance(payload, InventoryProblems):
            problems = problem_lines(payload.problems)
            return web.json_response({"ok": False, "problems": problems}, status=422)
        if not isinstance(payload, Ranking):
            return web.json_response(
                {"ok": False, "problems": [result_text(outcome.result)]}, status=400
            )
        want_zip = request.query.get("format") == "zip"
        body = await asyncio.to_thread(_render, payload.analysis, want_zip)
        if isinstance(body, bytes):
            return web.Response(
                body=body,
                content_type="application/zip",
                headers={
                    **SECURITY_HEADERS,
                    "Content-Disposition": 'attachment; filename="priorisierung.zip"',
                },
            )
        return web.json_response(body, headers=SECURITY_HEADERS)


def build_guard(services: Services) -> Guard:
    s = services.settings
    if s.local_mode:
        return LoopbackOnly()
    tenant = s.microsoft_app_tenant_id or s.graph_tenant_id
    if not tenant:
        return NotConfigured(
            "MicrosoftAppTenantId (or KIW_GRAPH_TENANT_ID) is not set: the dashboard signs in "
            "only users of the city's own tenant."
        )
    return EntraSignIn(
        client_id=s.microsoft_app_id,
        client_secret=s.microsoft_app_password,
        authority=f"{s.graph_authority_host.rstrip('/')}/{tenant}",
        tenant_id=tenant,
        admin_group=s.admin_group,
        directory=services.directory,
        key=session_key(audit_key(s)),
        public_base_url=f"https://{s.bot_domain}" if s.bot_domain else None,
    )


def add_werkstatt_routes(
    app: web.Application,
    services: ServicesRef,
    pipeline: PipelineRef,
    *,
    guard: Guard | None = None,
) -> None:
    """Mount the dashboard. `services` and `pipeline` may be callables when the app builds them
    on start-up."""
    werkstatt = Werkstatt(services, pipeline, guard)

    def protect(handler: Any) -> Any:
        async def wrapper(request: web.Request) -> web.StreamResponse:
            return await guarded(werkstatt.guard(), handler)(request)

        return wrapper

    async def login_routes(request: web.Request) -> web.StreamResponse:
        guard = werkstatt.guard()
        if isinstance(guard, EntraSignIn):
            handler = {
                "login": guard.login,
                "callback": guard.callback,
                "logout": guard.logout,
            }[request.match_info["step"]]
            return await handler(request)
        raise web.HTTPNotFound()

    async def close_guard(app: web.Application) -> None:
        if isinstance(werkstatt._guard, EntraSignIn):
            await werkstatt._guard.close()

    app.on_cleanup.append(close_guard)
    app.router.add_get("/werkstatt", protect(werkstatt.page))
    app.router.add_get("/werkstatt/", protect(werkstatt.page))
    app.router.add_get("/werkstatt/static/{name:.+}", protect(werkstatt.static))
    app.router.add_get("/werkstatt/api/figures", protect(werkstatt.figures))
    app.router.add_get("/werkstatt/export.csv", protect(werkstatt.export))
    app.router.add_post("/werkstatt/prioritise", protect(werkstatt.prioritise))
    app.router.add_get("/werkstatt/{step:login|logout}", login_routes)
    app.router.add_get("/werkstatt/auth/{step:callback}", login_routes)
    app.router.add_post("/werkstatt/auth/{step:callback}", login_routes)


# ---------------------------------------------------------------- helpers


def _period(request: web.Request) -> Weeks | web.Response:
    """The closed weeks covering ?from=&to= (default: the last DEFAULT_PERIOD_WEEKS)."""
    today = reference_day(datetime.now(UTC))  # audit lines are dated in UTC
    text_from, text_to = request.query.get("from"), request.query.get("to")
    if not text_from and not text_to:
        return recent_weeks(today, DEFAULT_PERIOD_WEEKS)
    try:
        last = date.fromisoformat(text_to) if text_to else today
        first = (
            date.fromisoformat(text_from)
            if text_from
            else last - timedelta(weeks=DEFAULT_PERIOD_WEEKS)
        )
    except ValueError:
        return web.json_response(
            {"error": "Bitte geben Sie den Zeitraum als Datum an (JJJJ-MM-TT)."}, status=400
        )
    try:
        return whole_weeks(first, last, today)
    except PeriodError as exc:
        return web.json_response({"error": str(exc)}, status=400)


async def _read_form(
    request: web.Request, limit: int
) -> tuple[str, bytes, dict[str, str]] | web.Response:
    """Stream the multipart upload; stop reading as soon as the file passes the limit."""
    if not request.content_type.startswith("multipart/"):
        return web.json_response(
            {"ok": False, "problems": ["Bitte laden Sie eine Datei hoch."]}, status=400
        )
    reader = await request.multipart()
    fields: dict[str, str] = {}
    file_name, data = "", b""
    while True:
        part = await reader.next()
        if part is None:
            break
        if not isinstance(part, BodyPartReader):
            continue
        if part.name == "file":
            file_name = part.filename or "inventar"
            buffer = bytearray()
            while chunk := await part.read_chunk(64 * 1024):
                buffer.extend(chunk)
                if len(buffer) > limit:
                    return web.json_response(
                        {
                            "ok": False,
                            "problems": [
                                f"Die Datei ist zu groß (höchstens {limit // 1024 // 1024} MB). "
                                "Eine Inventarliste umfasst üblicherweise nur wenige hundert Zeilen."
                            ],
                        },
                        status=413,
                    )
            data = bytes(buffer)
        elif part.name in ("capacity", "net_hours", "start"):
            fields[part.name] = (await part.read(decode=True)).decode("utf-8", "replace")[:50]
    if not file_name:
        return web.json_response(
            {"ok": False, "problems": ["Bitte wählen Sie eine Inventarliste (CSV oder XLSX)."]},
            status=400,
        )
    return file_name, data, fields


def _number(text: str | None, default: float, label: str) -> float:
    if text is None or not text.strip():
        return default
    try:
        return float(text.strip().replace(",", "."))
    except ValueError:
        raise ValueError(f"{label}: „{text}“ ist keine Zahl.") from None


def _quarter(text: str | None) -> Quarter | None:
    """The first quarter of the timeline as typed (2027-Q1); None: the quarter after today."""
    if not text or not text.strip():
        return None
    try:
        return Quarter.parse(text)
    except ValueError:
        raise ValueError(f"„{text}“ ist kein Quartal (z. B. 2027-Q1).") from None


def _content_type(file_name: str) -> str:
    return mimetypes.guess_type(file_name)[0] or "application/octet-stream"


def _render(analysis: Analysis, want_zip: bool) -> dict[str, Any] | bytes:
    """The ranking as the dashboard shows it (JSON with the charts), or the report as a zip."""
    from prioritisation import charts, report

    if want_zip:
        with tempfile.TemporaryDirectory(prefix="kiw-werkstatt-") as tmp:
            folder = Path(tmp)
            report.render_into(analysis, folder)
            buffer = io.BytesIO()
            with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
                for path in sorted(folder.iterdir()):
                    zf.write(path, path.name)
            return buffer.getvalue()
    result: dict[str, Any] = {"ok": True, **analysis.as_dict()}
    result["charts"] = {
        "matrix": _data_uri(charts.svg_text(charts.matrix_figure(analysis.ranked, analysis.params)))
    }
    if analysis.plan is not None and analysis.plan.slots:
        result["charts"]["timeline"] = _data_uri(
            charts.svg_text(charts.gantt_figure(analysis.plan))
        )
    return result


def _data_uri(svg: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")
