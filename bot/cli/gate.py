"""The KI-Pass gate for CLI commands (`kiw ask/summarise/search --user ID`): the same gate as Teams.

Usage in a subcommand:

    add_user_option(parser)
    ...
    cli = await gate_for_cli(skill, args.user, ctx, as_json=args.json,
                             tenant_id=home_tenant(settings), text=text)
    if not cli.allowed:
        return cli.exit_code                      # 3; the refusal is already printed
    request = SkillRequest(text, user=cli.principal, scope="cli")   # None = local operator

Without --user the CLI acts as the local operator: public documents only, no gate. With
--user ID (object id or UPN) the user is resolved through the configured directory and the
skill's KI-Pass requirement is enforced; a refusal prints, with --json,
`{"error": "kipass_required" | "kipass_check_failed" | "unknown_user", "message": "…"}`
(German message) and otherwise the German text on stderr, and the command exits with 3.
The tenant is the bot's home tenant (`home_tenant`), as Teams would send it: a directory entry
of another tenant gets public documents only and no AI feature, as in a chat.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TextIO

from bot.settings import Settings
from graph.principal import Principal
from skills.context import Skill, SkillContext
from skills.gate import GateDecision, gate

EXIT_KIPASS_REFUSED = 3


def add_user_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--user",
        metavar="ID",
        default=None,
        help="act as this user (Entra object id or UPN): the KI-Pass gate and document access "
        "as in Teams. Without it: local operator, public documents only, no KI-Pass gate.",
    )


@dataclass(frozen=True)
class CliGate:
    allowed: bool
    principal: Principal | None  # None: local operator (or a non-AI skill for an unknown user)
    decision: GateDecision
    exit_code: int  # 0 when allowed, 3 when refused


def refusal_payload(decision: GateDecision) -> dict[str, Any]:
    """The JSON the CLI prints for a refusal: error code and the German message."""
    data = decision.result.data if decision.result else {}
    message = data.get("message") or (decision.result.text if decision.result else "")
    payload: dict[str, Any] = {
        "error": decision.error_code or "kipass_check_failed",
        "message": message,
    }
    if data.get("open_steps"):
        payload["open_steps"] = data["open_steps"]
    return payload


def print_refusal(
    decision: GateDecision, *, as_json: bool, out: TextIO | None = None, err: TextIO | None = None
) -> int:
    if as_json:
        stream = out or sys.stdout
        json.dump(refusal_payload(decision), stream, ensure_ascii=False, indent=2)
        stream.write("\n")
    else:
        text = decision.result.text if decision.result else refusal_payload(decision)["message"]
        print(text, file=err or sys.stderr)
    return EXIT_KIPASS_REFUSED


def home_tenant(settings: Settings) -> str | None:
    """The tenant the bot serves, for the CLI's gate: the app's tenant, else the one allowed
    tenant, else the Graph tenant; None (no tenant check) when none or several are set."""
    if settings.microsoft_app_tenant_id:
        return settings.microsoft_app_tenant_id
    if len(settings.allowed_tenants) == 1:
        return settings.allowed_tenants[0]
    return settings.graph_tenant_id or None


async def gate_for_cli(
    skill: Skill,
    user_id: str | None,
    ctx: SkillContext,
    *,
    as_json: bool,
    tenant_id: str | None = None,
    text: str = "",
    options: Mapping[str, Any] | None = None,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> CliGate:
    """Resolve --user and gate `skill` for it on `text`/`options` (what the skill will get);
    prints the refusal itself when refused."""
    decision = await gate(skill, user_id, ctx, tenant_id=tenant_id, text=text, options=options)
    if decision.allowed:
        return CliGate(True, decision.principal, decision, 0)
    code = print_refusal(decision, as_json=as_json, out=out, err=err)
    return CliGate(False, decision.principal, decision, code)
