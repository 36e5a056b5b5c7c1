"""The dashboard's HTTP routes on a real aiohttp server on loopback (local mode)."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from aiohttp import FormData, web
from aiohttp.test_utils import TestClient, make_mocked_request

from bot.werkstatt.auth import LoopbackOnly, is_loopback
from tests.bot.werkstatt.support import closed_monday, mount, services_for, write_usage
from tests.conftest import REPO

FIRST = date(2026, 11, 2)


@pytest.fixture
async def client(aiohttp_client: Any, data_dir: Path) -> TestClient:
    services = services_for(data_dir)
    write_usage(services.audit, FIRST, days=5)
    app = web.Application()
    mount(app, services)
    return await aiohttp_client(app)


async def test_page_and_static_files(client: TestClient) -> None:
    page = await client.get("/werkstatt")
    assert page.status == 200
    html = await page.text()
    assert "KI-Werkstatt" in html and "chart.umd.min.js" in html
    assert "cdn" not in html.lower()
    assert "default-src 'self'" in page.headers["Content-Security-Policy"]
    lib = await client.get("/werkstatt/static/vendor/chartjs/chart.umd.min.js")
    assert lib.status == 200 and "Chart.js v4" in (await lib.text())[:200]
    assert (await client.get("/werkstatt/static/../../settings.py")).status == 404
    assert (await client.get("/werkstatt/static/index.html.bak")).status == 404


async def test_figures_api_and_period_validation(client: TestClient) -> None:
    r = await client.get(
        "/werkstatt/api/figures", params={"from": "2026-11-03", "to": "2026-11-04"}
    )
    assert r.status == 200
    data = await r.json()
    # Widened to the whole week: a part of a week is never counted on its own.
    assert data["period"] == {"from": "2026-11-02", "to": "2026-11-08", "weeks": ["KW 45/2026"]}
    assert [d["turns"]["value"] for d in data["per_day"]] == [20, 20, 20, 20, 20, 0, 0]
    single_day = await client.get(
        "/werkstatt/api/figures", params={"from": "2026-11-04", "to": "2026-11-04"}
    )
    assert await single_day.json() == data
    bad = await client.get(
        "/werkstatt/api/figures", params={"from": "2026-11-05", "to": "2026-11-01"}
    )
    assert bad.status == 400 and "Beginn" in (await bad.json())["error"]
    assert (await client.get("/werkstatt/api/figures", params={"from": "gestern"})).status == 400
    today = datetime.now(UTC).date().isoformat()
    open_week = await client.get("/werkstatt/api/figures", params={"from": today, "to": today})
    assert open_week.status == 400
    assert "laufende Woche" in (await open_week.json())["error"]
    default = await (await client.get("/werkstatt/api/figures")).json()
    assert len(default["period"]["weeks"]) == 4
    assert date.fromisoformat(default["period"]["to"]) < datetime.now(UTC).date()


async def test_csv_export(client: TestClient) -> None:
    r = await client.get("/werkstatt/export.csv", params={"from": "2026-11-02", "to": "2026-11-06"})
    assert r.status == 200
    assert "attachment" in r.headers["Content-Disposition"]
    assert "werkstatt-2026-11-02-2026-11-08.csv" in r.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO((await r.text()).lstrip("\ufeff")), delimiter=";"))
    assert ["Funktion", "Fragen zu den KI-Regeln", "Anfragen", "75", ""] in rows


async def test_prioritise_upload_json_and_zip(client: TestClient) -> None:
    def form() -> FormData:
        f = FormData()
        f.add_field(
            "file",
            (REPO / "samples" / "inventory.csv").read_bytes(),
            filename="inventar.csv",
            content_type="text/csv",
        )
        f.add_field("capacity", "40")
        f.add_field("start", "2027-Q1")
        return f

    r = await client.post("/werkstatt/prioritise", data=form())
    assert r.status == 200
    data = await r.json()
    assert data["ok"] and data["processes"] == 31
    assert data["charts"]["matrix"].startswith("data:image/svg+xml;base64,")
    assert data["schedule"]["start"] == "Q1/2027"
    z = await client.post("/werkstatt/prioritise?format=zip", data=form())
    assert z.status == 200 and z.headers["Content-Type"] == "application/zip"
    names = set(zipfile.ZipFile(io.BytesIO(await z.read())).namelist())
    assert {"rangliste.xlsx", "bericht.pdf", "zeitplan.svg", "matrix.png"} <= names


async def test_prioritise_upload_problems(client: TestClient) -> None:
    f = FormData()
    f.add_field(
        "file", b"Prozess;Minuten pro Fall\nA;-3\n", filename="x.csv", content_type="text/csv"
    )
    r = await client.post("/werkstatt/prioritise", data=f)
    assert r.status == 422
    problems = (await r.json())["problems"]
    assert "Zeile 1, Spalte „Organisationseinheit“: Spalte fehlt." in problems


async def test_prioritise_upload_too_large(client: TestClient) -> None:
    f = FormData()
    f.add_field(
        "file",
        io.BytesIO(b"x" * (50 * 1024 * 1024)),
        filename="riesig.csv",
        content_type="text/csv",
    )
    r = await client.post("/werkstatt/prioritise", data=f)
    assert r.status == 413
    assert "zu groß" in (await r.json())["problems"][0]


# ---------------------------------------------------------------- the local-mode access rule


@pytest.mark.parametrize(
    ("remote", "allowed"),
    [
        ("127.0.0.1", True),
        ("127.8.9.10", True),
        ("::1", True),
        ("10.0.0.5", False),
        ("192.168.1.20", False),
        ("2001:db8::1", False),
        (None, False),
        ("garbage", False),
    ],
)
def test_is_loopback(remote: str | None, allowed: bool) -> None:
    assert is_loopback(remote) is allowed


class _Transport:
    def __init__(self, peer: tuple[str, int]) -> None:
        self.peer = peer

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return self.peer if name == "peername" else default


@pytest.mark.parametrize(("peer", "status"), [("127.0.0.1", None), ("10.1.2.3", 403)])
async def test_local_mode_serves_loopback_only(peer: str, status: int | None) -> None:
    request = make_mocked_request(
        "GET", "/werkstatt/api/figures", transport=_Transport((peer, 5555))
    )
    verdict = await LoopbackOnly().check(request)
    if status is None:
        assert not isinstance(verdict, web.StreamResponse)
    else:
        assert isinstance(verdict, web.Response) and verdict.status == status


# ---------------------------------------------------------------- through the composition root


async def test_bot_app_serves_the_dashboard(aiohttp_client: Any, data_dir: Path) -> None:
    """create_app mounts /werkstatt; turns the bot audits show up in the figures."""
    from bot.app import create_app
    from tests.bot.kit import make_services, make_settings

    settings = make_settings(data_dir)
    services = make_services(settings)
    write_usage(services.audit, closed_monday(), days=1)
    client = await aiohttp_client(create_app(settings, services=services))
    page = await client.get("/werkstatt")
    assert page.status == 200
    figures = await (await client.get("/werkstatt/api/figures")).json()
    assert figures["totals"]["turns"]["value"] == 20


def test_guard_follows_the_mode(data_dir: Path) -> None:
    from bot.werkstatt.auth import EntraSignIn, NotConfigured
    from bot.werkstatt.routes import build_guard

    assert isinstance(build_guard(services_for(data_dir)), LoopbackOnly)
    production: dict[str, Any] = {
        "microsoft_app_id": "app",
        "microsoft_app_password": "pw",
        "audit_key": "k",
    }
    assert isinstance(
        build_guard(services_for(data_dir, microsoft_app_tenant_id="t-1", **production)),
        EntraSignIn,
    )
    assert isinstance(
        build_guard(services_for(data_dir, microsoft_app_type="MultiTenant", **production)),
        NotConfigured,
    )


async def test_unconfigured_production_lets_nobody_in(aiohttp_client: Any, data_dir: Path) -> None:
    services = services_for(
        data_dir,
        microsoft_app_id="app",
        microsoft_app_password="pw",
        microsoft_app_type="MultiTenant",
        audit_key="k",
    )
    app = web.Application()
    mount(app, services)
    client = await aiohttp_client(app)
    assert (await client.get("/werkstatt")).status == 503
    assert (await client.get("/werkstatt/api/figures")).status == 503


async def test_the_rows_are_the_skills_of_the_registry_the_app_runs(
    aiohttp_client: Any, data_dir: Path
) -> None:
    # The dashboard is handed the app's pipeline; a skill outside its registry is "Sonstige".
    from bot.pipeline import Pipeline
    from bot.werkstatt.routes import add_werkstatt_routes
    from skills import policy_qa

    services = services_for(data_dir)
    write_usage(services.audit, FIRST, days=5)
    app = web.Application()
    add_werkstatt_routes(app, services, Pipeline.for_services(services, lambda: [policy_qa.SKILL]))
    client = await aiohttp_client(app)
    response = await client.get(
        "/werkstatt/api/figures", params={"from": "2026-11-02", "to": "2026-11-08"}
    )
    rows = {row["key"]: row for row in (await response.json())["per_skill"]}
    assert list(rows) == ["policy_qa", "other"]
    assert rows["policy_qa"]["label"] == policy_qa.SKILL.title
    # The week's 20 ALLRIS searches and 5 summaries (write_usage) fall under "other" now.
    assert rows["other"]["turns"]["value"] == 25
