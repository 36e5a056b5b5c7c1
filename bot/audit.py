"""Audit log: one JSON line per event, never content, never a real user id.

The Personalrat reads this file. It must not be usable for performance monitoring of staff, so
a line holds: time (to the second), event, skill, outcome, latency, a *pseudonymised* user id
(keyed HMAC-SHA256, key from KIW_AUDIT_KEY, truncated), and a few figures. Never message text,
document text, names, UPNs or object ids. Files are per day (`audit-YYYY-MM-DD.jsonl`) so
retention is "delete old files".

Line schema (all keys always present, values may be null):
  ts          ISO 8601 UTC, seconds
  event       "turn" | "gate" | "feedback" | "invoke" | "welcome" | "extension" | "audience"
  skill       skill name ("help", "policy_qa", ...) or null
  outcome     "ok" | "no_answer" | "not_found" | "denied" | "error" | "bad_input" |
              "stopped" (the user pressed Stop while the answer streamed) |
              "up" | "down" (feedback)
  reason      machine reason code (e.g. "kipass_required", "timeout") or null; for feedback
              "with_comment" when the user typed a comment (the comment itself is not kept)
  latency_ms  int or null
  user        pseudonym (16 hex chars) or null
  scope       "personal" | "team" | "groupChat" | "cli" | "extension" | null
  cited       bool or null: the answer carried at least one citation
  ai          bool or null: the answer was AI-generated (not extractive)
  roster      int or null: "audience" events (group chat, channel): how many members the
              conversation's roster had; the outcome says "intersection" or "public_only", the
              reason why public only. Never who the members are.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

AUDIT_KEYS = (
    "ts",
    "event",
    "skill",
    "outcome",
    "reason",
    "latency_ms",
    "user",
    "scope",
    "cited",
    "ai",
    "roster",
)


def pseudonymise(user_id: str, key: bytes) -> str:
    """Same user, same key -> same pseudonym; without the key it cannot be reversed or checked."""
    return hmac.new(key, user_id.strip().lower().encode("utf-8"), hashlib.sha256).hexdigest()[:16]


class AuditLog:
    def __init__(self, directory: Path, key: bytes) -> None:
        if not key:
            raise ValueError("audit key must not be empty")
        self.directory = directory
        self._key = key
        self._lock = threading.Lock()
        directory.mkdir(parents=True, exist_ok=True)

    def pseudonym(self, user_id: str | None) -> str | None:
        return pseudonymise(user_id, self._key) if user_id else None

    def write(
        self,
        event: str,
        *,
        skill: str | None = None,
        outcome: str | None = None,
        reason: str | None = None,
        latency_ms: float | None = None,
        user_id: str | None = None,
        scope: str | None = None,
        cited: bool | None = None,
        ai: bool | None = None,
        roster: int | None = None,
        now: datetime | None = None,
    ) -> dict[str, Any]:
        when = (now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
        line = {
            "ts": when.isoformat().replace("+00:00", "Z"),
            "event": event,
            "skill": skill,
            "outcome": outcome,
            "reason": reason,
            "latency_ms": None if latency_ms is None else round(latency_ms),
            "user": self.pseudonym(user_id),
            "scope": scope,
            "cited": cited,
            "ai": ai,
            "roster": roster,
        }
        path = self.directory / f"audit-{when.date().isoformat()}.jsonl"
        data = json.dumps(line, ensure_ascii=False) + "\n"
        with self._lock, path.open("a", encoding="utf-8") as fh:
            fh.write(data)
        return line

    def files(self) -> list[Path]:
        return sorted(self.directory.glob("audit-*.jsonl"))
