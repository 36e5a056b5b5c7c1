"""`--user ID` for CLI commands (`kiw ask/summarise/search/chat`): the same gate as Teams.

The gate itself runs in the turn pipeline (bot/pipeline.py); this module adds the option and
prints a refusal. Without --user the CLI acts as the local operator: public documents only, no
gate. With --user ID (object id or UPN) the user is resolved through the configured directory
and the skill's KI-Pass requirement is enforced; a refusal prints, with --json,
`{"error": "kipass_required" | "kipass_check_failed" | "unknown_user", "message": "…"}`
(German message) and otherwise the German text on stderr, and the command exits with 3.
The tenant is the bot's home tenant (`home_tenant`), as Teams would send it: a directory entry
of another tenant gets public documents only and no AI feature, as in a chat.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any, TextIO

from bot.pipeline import Outcome
from bot.render.text import result_text
from bot.settings import Settings
from skills.results import Refusal

EXIT_KIPASS_REFUSED = 3


def add_user_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--user",
        metavar="ID",
        default=None,
        help="act as this user (Entra object id or UPN): the KI-Pass gate and document access "
        "as in Teams. Without it: local operator, public documents only, no KI-Pass gate.",
    )


def refusal_payload(outcome: Outcome) -> dict[str, Any]:
    """The JSON the CLI prints for a refusal: error code and the German message."""
    refusal = outcome.result.payload
    refused = refusal if isinstance(refusal, Refusal) else None
    payload: dict[str, Any] = {
        "error": outcome.error_code or "kipass_check_failed",
        "message": (refused.message if refused else "") or result_text(outcome.result),
    }
    if refused and refused.open_steps:
        payload["open_steps"] = list(refused.open_steps)
    return payload


def print_refusal(
    outcome: Outcome, *, as_json: bool, out: TextIO | None = None, err: TextIO | None = None
) -> int:
    """Print the gate's refusal (JSON on stdout, or the German text on stderr); the exit code."""
    if as_json:
        stream = out or sys.stdout
        json.dump(refusal_payload(outcome), stream, ensure_ascii=False, indent=2)
        stream.write("\n")
    else:
        print(result_text(outcome.result), file=err or sys.stderr)
    return EXIT_KIPASS_REFUSED


def home_tenant(settings: Settings) -> str | None:
    """The tenant the bot serves, for the CLI's gate: the app's tenant, else the one allowed
    tenant, else the Graph tenant; None (no tenant check) when none or several are set."""
    if settings.microsoft_app_tenant_id:
        return settings.microsoft_app_tenant_id
    if len(settings.allowed_tenants) == 1:
        return settings.allowed_tenants[0]
    return settings.graph_tenant_id or None
