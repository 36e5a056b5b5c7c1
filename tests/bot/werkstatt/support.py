"""Shared pieces of the Werkstatt tests: audit lines written by the real AuditLog, Services for the
dashboard (the kit's builder, tests/bot/kit.py), the sign-in against an "Entra ID" on loopback."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from aiohttp import web

from bot.audit import AuditLog
from bot.pipeline import Pipeline
from bot.services import Services
from bot.settings import Settings
from bot.werkstatt.auth import EntraSignIn, Guard
from bot.werkstatt.cookies import session_key
from bot.werkstatt.labels import skill_rows
from bot.werkstatt.periods import reference_day
from bot.werkstatt.routes import add_werkstatt_routes
from graph.principal import Directory
from skills.registry import all_skills
from tests.bot.kit import AUDIT_KEY, TENANT, FakeDirectory, make_services

ADMIN_GROUP = "ki-werkstatt-admins"
# The dashboard's skill rows of the project's registry (the app passes the one it runs).
ROWS = skill_rows(all_skills())


def at(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour, 0, 0, tzinfo=UTC)


def write_usage(audit: AuditLog, first: date, days: int, users: int = 10) -> None:
    """A realistic, deterministic run of days: policy_qa used by many, allris_search by 4 only.

    Per day: every user asks policy_qa once (even users get a cited answer, odd ones an answer
    without citation) and even users get one "keine Aussage"; users 0-5 give 👍, the others 👎;
    users 0-3 search ALLRIS; users 5-10 are refused for want of a KI-Pass; user 5 alone has a
    timeout. With the default 10 users that is 20 turns a day, and the cells withheld beside
    the turn total (allris_search: users 0-3, summarise: user 5) rest on five people together,
    so no further cell needs withholding (see hidden_beside_a_total)."""
    for offset in range(days):
        day = first + timedelta(days=offset)
        for u in range(users):
            user = f"user-{u}@luebeck.de"
            audit.write(
                "turn",
                skill="policy_qa",
                outcome="ok",
                latency_ms=800 + 100 * u,
                user_id=user,
                scope="personal",
                cited=u % 2 == 0,
                ai=False,
                now=at(day),
            )
            if u % 2 == 0:
                audit.write(
                    "turn",
                    skill="policy_qa",
                    outcome="no_answer",
                    latency_ms=400,
                    user_id=user,
                    scope="personal",
                    cited=False,
                    now=at(day, 11),
                )
            audit.write(
                "feedback",
                skill="policy_qa",
                outcome="up" if u < 6 else "down",
                user_id=user,
                scope="personal",
                now=at(day, 12),
            )
        for u in range(4):  # a skill only four people use: every cell must be suppressed
            audit.write(
                "turn",
                skill="allris_search",
                outcome="ok",
                latency_ms=300,
                user_id=f"user-{u}@luebeck.de",
                scope="personal",
                cited=True,
                now=at(day),
            )
        for u in range(5, 11):
            audit.write(
                "gate",
                skill="summarise",
                outcome="denied",
                reason="kipass_required",
                user_id=f"user-{u}@luebeck.de",
                scope="personal",
                now=at(day),
            )
        audit.write(
            "turn",
            skill="summarise",
            outcome="error",
            reason="timeout",
            latency_ms=120000,
            user_id="user-5@luebeck.de",
            scope="personal",
            now=at(day, 13),
        )


def closed_monday(weeks_back: int = 1) -> date:
    """The Monday of a week the dashboard counts as closed (1 = the latest), in UTC."""
    today = reference_day(datetime.now(UTC))
    return today - timedelta(days=today.isoweekday() - 1 + 7 * weeks_back)


def services_for(
    data_dir: Path, *, directory: Directory | None = None, **settings: Any
) -> Services:
    """Services for the dashboard (the kit's builder), with the settings as given."""
    # Settings as given, not load_settings: some tests need an incomplete production setup.
    unchecked = Settings(_env_file=None, data_dir=data_dir, **settings)  # type: ignore[call-arg]
    return make_services(unchecked, directory=directory or FakeDirectory())


def mount(app: web.Application, services: Services, *, guard: Guard | None = None) -> None:
    """The dashboard over `services` and a pipeline with the project's registry, as create_app
    mounts it."""
    add_werkstatt_routes(app, services, Pipeline.for_services(services, all_skills), guard=guard)


def entra_sign_in(
    directory: Directory, port: int, *, client_id: str = "app", **options: Any
) -> EntraSignIn:
    """The dashboard's sign-in (msal for real) against an "Entra ID" on loopback `port`, for
    the kit's tenant, with the session key the kit's audit key gives."""
    return EntraSignIn(
        client_id=client_id,
        client_secret="secret",
        authority=f"https://127.0.0.1:{port}/{TENANT}",
        tenant_id=TENANT,
        admin_group=ADMIN_GROUP,
        directory=directory,
        key=session_key(AUDIT_KEY),
        **options,
    )
