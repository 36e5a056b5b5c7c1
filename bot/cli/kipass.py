"""`kiw kipass`: what the bot decides for a user, and whether the directory connection works.

    kiw kipass status USER [--json]   groups, KI-Pass, access groups, per-skill decision, and why
    kiw kipass check [--user ID] [--json]
                                       Graph: token, a /users call, a transitiveMemberOf call,
                                       the configured groups exist; missing permissions or
                                       consent explained;
                                       local file: validates it and counts users and KI-Passes

Output is for admins (plain English); the German messages users would see are included.
Exit codes: 0 ok, 1 user unknown / directory unavailable / check failed, 2 configuration error.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

from bot.cli.common import add_common, emit_json, settings_from_args
from bot.settings import DirectoryBackend, Settings
from graph.principal import (
    KIPASS_STEPS,
    NO_EXPIRY,
    Directory,
    DirectoryError,
    DirectoryFileError,
    Principal,
)

if TYPE_CHECKING:
    from skills.context import Skill


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("kipass", help="KI-Pass: a user's status, the directory connection")
    kinds = p.add_subparsers(dest="kipass_command", required=True, metavar="ACTION")

    status = kinds.add_parser("status", help="what the bot would decide for USER, and why")
    status.add_argument("user", metavar="USER", help="Entra object id or UPN")
    add_common(status)
    status.set_defaults(func=_run_status)

    check = kinds.add_parser("check", help="verify the directory connection and permissions")
    check.add_argument(
        "--user", default=None, metavar="ID", help="probe this user (default: any one user)"
    )
    add_common(check)
    check.set_defaults(func=_run_check)


# ---------------------------------------------------------------- status


def _inner(directory: Directory) -> Directory:
    """Skip the TTL cache: an admin wants the directory's answer now."""
    from graph.cache import CachedDirectory

    return directory.inner if isinstance(directory, CachedDirectory) else directory


def explain(principal: Principal, settings: Settings, today: date) -> list[str]:
    """Why the bot decides as it does, in plain English."""
    why: list[str] = []
    graph = settings.directory_backend == DirectoryBackend.graph
    state = principal.kipass_state(today)
    until = principal.kipass_valid_until
    if graph:
        member = settings.kipass_group_id.lower() in {g.lower() for g in principal.groups}
        why.append(
            f"{'member' if member else 'not a member'} of the KI-Pass group "
            f"{settings.kipass_group_id} (transitive)"
        )
        if member and settings.kipass_expiry_attribute:
            why.append(
                f"expiry attribute {settings.kipass_expiry_attribute}: "
                + ("not set (no end date)" if until == NO_EXPIRY else f"{until}")
            )
    elif until is None:
        why.append("no kipass_valid_until in the directory file")
    if state == "valid":
        why.append(
            "KI-Pass valid without end date"
            if until == NO_EXPIRY
            else f"KI-Pass valid until {until} (today {today})"
        )
    elif state == "expired":
        why.append(f"KI-Pass expired on {until} (today {today}): AI features refused")
    else:
        why.append("no KI-Pass: AI features refused")
    open_steps = principal.open_kipass_steps()
    if open_steps:
        why.append("open KI-Pass steps: " + ", ".join(open_steps))
    if graph:
        mapping = {k.lower(): v for k, v in settings.access_groups_by_entra_id().items()}
        for gid in sorted(principal.groups):
            if gid.lower() in mapping:
                why.append(f"access group {mapping[gid.lower()]} from Entra group {gid}")
    non_public = sorted(principal.access_groups - {"public"})
    why.append(
        "document access: public + " + ", ".join(non_public)
        if non_public
        else "document access: public documents only"
    )
    return why


async def status_report(
    directory: Directory, user: str, settings: Settings, today: date, skills: Sequence[Skill]
) -> dict[str, Any]:
    """The person's KI-Pass and the gate's decision for each of `skills` (the registry the
    CLI runs), with the bot's own skill configuration (bot/services.py skill_config)."""
    from bot.cli.gate import home_tenant
    from bot.services import skill_config
    from skills.context import SkillContext
    from skills.gate import gate
    from skills.results import Refusal
    from skills.types import SkillOptions

    report: dict[str, Any] = {"user": user, "backend": settings.directory_backend.value}
    ctx = SkillContext(
        index=None,  # type: ignore[arg-type]  # the gate needs the directory only
        generator=None,  # type: ignore[arg-type]
        directory=directory,
        config=skill_config(settings),
        today=lambda: today,
    )
    decisions: dict[str, Any] = {}
    tenant = home_tenant(settings)
    for skill in skills:
        decision = await gate(skill, user, ctx, tenant_id=tenant)
        entry: dict[str, Any] = {
            "requires_kipass": skill.requires_kipass,
            "allowed": decision.allowed,
            "reason": decision.reason,
        }
        if not decision.allowed and decision.result:
            refusal = decision.result.payload
            entry["message"] = refusal.message if isinstance(refusal, Refusal) else None
        if skill.needs_kipass_for is not None:
            # Gated only for its generated answers (allris_search): report that part too.
            answers = await gate(
                skill, user, ctx, tenant_id=tenant, options=SkillOptions(mode="answer")
            )
            entry["answers_allowed"] = answers.allowed
            entry["answers_reason"] = answers.reason
        decisions[skill.name] = entry
    report["skills"] = decisions
    try:
        principal = await directory.lookup(user)
    except DirectoryError as exc:
        report.update(found=False, error=exc.code, reason=str(exc))
        return report
    until = principal.kipass_valid_until
    report.update(
        found=True,
        id=principal.id,
        name=principal.name,
        upn=principal.upn,
        tenant=principal.tenant_id,
        groups=sorted(principal.groups),
        group_names={g: principal.group_names[g] for g in sorted(principal.group_names)},
        kipass={
            "state": principal.kipass_state(today),
            "valid_until": None if until in (None, NO_EXPIRY) else until.isoformat(),
            "no_end_date": until == NO_EXPIRY,
            "days_left": principal.kipass_days_left(today),
            "steps": {
                s: principal.kipass_steps[s] for s in KIPASS_STEPS if s in principal.kipass_steps
            },
            "open_steps": principal.open_kipass_steps(),
        },
        access_groups=sorted(principal.access_groups),
        ai_features="allowed" if principal.kipass_valid(today) else "refused",
        why=explain(principal, settings, today),
    )
    return report


def _print_status(report: dict[str, Any]) -> None:
    if not report.get("found"):
        print(f"User {report['user']}: not resolved ({report['error']}): {report['reason']}")
        return
    k = report["kipass"]
    until = "no end date" if k["no_end_date"] else (k["valid_until"] or "-")
    print(f"User:          {report['name']} <{report['upn'] or '-'}>  id {report['id']}")
    print(f"Tenant:        {report['tenant'] or '-'}   (backend: {report['backend']})")
    print(f"KI-Pass:       {k['state']}  (valid until: {until})")
    if k["steps"]:
        steps = ", ".join(f"{s} {'done' if done else 'OPEN'}" for s, done in k["steps"].items())
        print(f"Steps:         {steps}")
    print(f"Access groups: {', '.join(report['access_groups'])}")
    names = report.get("group_names", {})
    groups = [f"{names[g]} ({g})" if g in names else g for g in report["groups"]]
    print(f"Groups:        {len(groups)}")
    for group in groups[:20]:
        print(f"  - {group}")
    if len(groups) > 20:
        print(f"  … and {len(groups) - 20} more (see --json)")
    print(f"AI features:   {report['ai_features']}")
    print("Skills:")
    for name, d in report["skills"].items():
        verdict = "allowed" if d["allowed"] else "REFUSED"
        print(f"  {name:<14} {verdict:<8} {d['reason']}")
        if "answers_allowed" in d:
            verdict = "allowed" if d["answers_allowed"] else "REFUSED"
            print(f"    {'answers':<12} {verdict:<8} {d['answers_reason']}")
    print("Why:")
    for line in report["why"]:
        print(f"  - {line}")


def _build(settings: Settings) -> Directory:
    from bot.services import build_directory

    return _inner(build_directory(settings))


def _run_status(args: argparse.Namespace) -> int:
    settings = settings_from_args(args)
    try:
        directory = _build(settings)
    except (DirectoryFileError, ValueError) as exc:
        print(f"Directory configuration error:\n{exc}", file=sys.stderr)
        return 2

    async def run() -> dict[str, Any]:
        from skills.registry import all_skills  # the CLI's composition: the project's registry

        try:
            return await status_report(directory, args.user, settings, date.today(), all_skills())
        finally:
            await directory.close()

    report = asyncio.run(run())
    if args.json:
        emit_json(report)
    else:
        _print_status(report)
    return 0 if report.get("found") else 1


# ---------------------------------------------------------------- check


def _check_local(settings: Settings) -> dict[str, Any]:
    from graph.local import LocalDirectory

    path = settings.directory_file
    try:
        directory = LocalDirectory.from_file(path)
    except DirectoryFileError as exc:
        return {
            "backend": "local",
            "ok": False,
            "file": str(path),
            "steps": [{"name": "file", "ok": False, "detail": str(exc)}],
        }
    stats = directory.stats(date.today())
    detail = (
        f"{stats.users} users; KI-Pass valid {stats.kipass_valid}, expired "
        f"{stats.kipass_expired}, none {stats.kipass_none}; access groups: "
        + ", ".join(stats.access_groups)
    )
    return {
        "backend": "local",
        "ok": True,
        "file": str(path),
        "users": stats.users,
        "kipass_valid": stats.kipass_valid,
        "kipass_expired": stats.kipass_expired,
        "kipass_none": stats.kipass_none,
        "access_groups": list(stats.access_groups),
        "steps": [{"name": "file", "ok": True, "detail": detail}],
    }


async def _check_graph(settings: Settings, probe_user: str | None) -> dict[str, Any]:
    from graph.diagnosis import diagnose
    from graph.msgraph import GraphDirectory

    directory = _build(settings)
    assert isinstance(directory, GraphDirectory)
    try:
        steps = await diagnose(directory, probe_user)
    finally:
        await directory.close()
    mapping = settings.access_groups_by_entra_id()
    return {
        "backend": "graph",
        # Every step ran (a failed step stops the later ones) and none failed.
        "ok": all(s.ok for s in steps) and any(s.name == "configured groups" for s in steps),
        "graph": settings.graph_base_url,
        "kipass_group": settings.kipass_group_id,
        "expiry_attribute": settings.kipass_expiry_attribute or None,
        "steps_attribute": settings.kipass_steps_attribute or None,
        "access_groups": mapping,
        "steps": [{"name": s.name, "ok": s.ok, "detail": s.detail} for s in steps],
    }


def _run_check(args: argparse.Namespace) -> int:
    settings = settings_from_args(args)
    if settings.directory_backend == DirectoryBackend.graph:
        try:
            report = asyncio.run(_check_graph(settings, args.user))
        except ValueError as exc:  # missing certificate file and the like
            print(f"Directory configuration error: {exc}", file=sys.stderr)
            return 2
    else:
        report = _check_local(settings)
    if args.json:
        emit_json(report)
    else:
        where = report.get("file") or report.get("graph")
        print(f"Directory backend: {report['backend']} ({where})")
        for step in report["steps"]:
            mark = "ok  " if step["ok"] else "FAIL"
            detail = str(step["detail"]).replace("\n", "\n         ")
            print(f"  [{mark}] {step['name']}: {detail}")
        print("All checks passed." if report["ok"] else "The directory is NOT usable: see above.")
    return 0 if report["ok"] else 1
