"""The KI-Pass attributes of a directory user, read as Graph returns them: the end date and the
steps done towards the KI-Pass."""

from __future__ import annotations

import logging
import re
from datetime import date, datetime
from typing import Any

from graph.principal import KIPASS_STEPS

log = logging.getLogger("graph.msgraph")


def parse_steps(raw: Any, attribute: str | None = None) -> dict[str, bool]:
    """The KI-Pass steps a user has done, from a directory attribute: a string of step names
    ("schulung, dienstvereinbarung") or a list of them. Every known step gets done/not done;
    unknown names are ignored with a warning for the admin (the steps only inform the user: the
    KI-Pass itself is the group membership and the expiry date)."""
    if raw in (None, ""):
        names: list[str] = []
    elif isinstance(raw, str):
        names = [n for n in re.split(r"[,;\s]+", raw.lower()) if n]
    elif isinstance(raw, list) and all(isinstance(n, str) for n in raw):
        names = [n.strip().lower() for n in raw if n.strip()]
    else:
        log.warning(
            "KI-Pass steps attribute %s holds an unreadable value; steps unknown", attribute
        )
        return {}
    unknown = sorted(set(names) - set(KIPASS_STEPS))
    if unknown:
        log.warning(
            "KI-Pass steps attribute %s names unknown steps %s (known: %s)",
            attribute,
            ", ".join(unknown),
            ", ".join(KIPASS_STEPS),
        )
    return {step: step in names for step in KIPASS_STEPS}


def parse_expiry(raw: Any) -> date | None:
    """ISO date ("2027-06-30") or date-time ("2027-06-30T00:00:00Z"); None if unreadable."""
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, date):
        return raw
    if not isinstance(raw, str):
        return None
    text = raw.strip()
    try:
        return date.fromisoformat(text[:10]) if len(text) >= 10 else None
    except ValueError:
        pass
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).date()
    except ValueError:
        return None
