"""Usage figures for the Werkstatt dashboard, streamed from the audit log (bot/audit.py).

The audit files (`audit-YYYY-MM-DD.jsonl`, one JSON object per line, schema at the top of
bot/audit.py) are read line by line; only counters and sets of pseudonyms are kept, never the
lines, so memory grows with the number of skills, days and distinct users, not with the log.
Files outside the chosen period are not opened at all.

Every figure goes through `suppression.publish` (and, beside a total, `hidden_beside_a_total`)
with the set of pseudonyms it rests
on: a figure from fewer than five people is not shown. Definitions:
  turns             audit lines with event "turn"
  latency p50/p95   nearest-rank percentiles of latency_ms over turns that carry one
  citation share    turns with outcome "ok" and cited=true / turns with outcome "ok" and cited set
  "keine Aussage"   turns with outcome "no_answer" / all turns
  stopped           turns with outcome "stopped" (Stop pressed while the answer streamed) /
                    all turns
  feedback          event "feedback", outcome "up" (👍) or "down" (👎)
  KI-Pass denials   event "gate", outcome "denied", by reason
  failures          turns with outcome "error" or "bad_input", by reason
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from bot.werkstatt.suppression import MIN_DISTINCT_USERS, hidden_beside_a_total, publish

FAILURE_OUTCOMES = frozenset({"error", "bad_input"})
NO_SKILL = "(ohne Skill)"
NO_REASON = "(ohne Angabe)"
_FILE = re.compile(r"^audit-(\d{4}-\d{2}-\d{2})\.jsonl$")


@dataclass
class Tally:
    count: int = 0
    users: set[str] = field(default_factory=set)

    def add(self, user: str | None) -> None:
        self.count += 1
        if user:  # lines without a user add nobody
            self.users.add(user)


@dataclass
class SkillStats:
    turns: Tally = field(default_factory=Tally)
    latency: Counter[int] = field(default_factory=Counter)  # latency_ms -> how often
    latency_users: set[str] = field(default_factory=set)
    answered: Tally = field(default_factory=Tally)  # outcome ok with cited set
    cited: int = 0
    no_answer: int = 0
    stopped: int = 0
    feedback_up: Tally = field(default_factory=Tally)
    feedback_down: Tally = field(default_factory=Tally)


@dataclass
class Accumulator:
    first: date
    last: date
    lines: int = 0
    bad_lines: int = 0
    turns: Tally = field(default_factory=Tally)
    per_day: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    per_skill: dict[str, SkillStats] = field(default_factory=lambda: defaultdict(SkillStats))
    all_latency: Counter[int] = field(default_factory=Counter)
    all_latency_users: set[str] = field(default_factory=set)
    denials: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    failures: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    _first_s: str = field(init=False, default="")
    _last_s: str = field(init=False, default="")

    def __post_init__(self) -> None:
        # ISO dates compare correctly as strings; comparing strings per line is cheaper.
        self._first_s = self.first.isoformat()
        self._last_s = self.last.isoformat()

    def add(self, line: dict[str, Any]) -> None:
        ts = line.get("ts")
        if type(ts) is not str or len(ts) < 10:
            self.bad_lines += 1
            return
        day = ts[:10]
        if not (self._first_s <= day <= self._last_s):
            return
        self.lines += 1
        event = line.get("event")
        user = line.get("user")
        if type(user) is not str or not user:
            user = None  # a line without a (well-formed) pseudonym counts, but adds no person
        skill = line.get("skill") or NO_SKILL
        outcome = line.get("outcome")
        if event == "turn":
            self.turns.add(user)
            self.per_day[day].add(user)
            stats = self.per_skill[skill]
            stats.turns.add(user)
            latency = line.get("latency_ms")
            if (type(latency) is int or type(latency) is float) and latency >= 0:
                ms = int(latency)
                stats.latency[ms] += 1
                self.all_latency[ms] += 1
                if user:
                    stats.latency_users.add(user)
                    self.all_latency_users.add(user)
            cited = line.get("cited")
            if outcome == "ok" and isinstance(cited, bool):
                stats.answered.add(user)
                stats.cited += cited
            elif outcome == "no_answer":
                stats.no_answer += 1
            elif outcome == "stopped":
                stats.stopped += 1
            elif outcome in FAILURE_OUTCOMES:
                self.failures[line.get("reason") or outcome or NO_REASON].add(user)
        elif event == "feedback":
            if outcome == "up":
                self.per_skill[skill].feedback_up.add(user)
            elif outcome == "down":
                self.per_skill[skill].feedback_down.add(user)
        elif event == "gate" and outcome == "denied":
            self.denials[line.get("reason") or NO_REASON].add(user)


def audit_files(directory: Path, first: date, last: date) -> list[Path]:
    """The day files of the period, oldest first; files of other days are never opened."""
    out = []
    for path in sorted(directory.glob("audit-*.jsonl")):
        match = _FILE.match(path.name)
        if match and first.isoformat() <= match.group(1) <= last.isoformat():
            out.append(path)
    return out


def read_lines(paths: Iterable[Path]) -> Iterator[dict[str, Any] | None]:
    """One parsed line at a time; None for a line that is not a JSON object (counted as bad)."""
    decode = json.JSONDecoder().decode
    for path in paths:
        with path.open("r", encoding="utf-8", errors="replace") as fh:
            for raw in fh:
                try:
                    value = decode(raw)
                except ValueError:
                    if raw.strip():
                        yield None
                    continue
                yield value if type(value) is dict else None


def aggregate(directory: Path, first: date, last: date) -> Accumulator:
    acc = Accumulator(first=first, last=last)
    add = acc.add
    for line in read_lines(audit_files(directory, first, last)):
        if line is None:
            acc.bad_lines += 1
        else:
            add(line)
    return acc


def percentile(histogram: Counter[int], p: float) -> int | None:
    """Nearest-rank percentile: the smallest value with at least p % of observations at or below."""
    total = sum(histogram.values())
    if total == 0:
        return None
    needed = max(1, math.ceil(p / 100 * total))
    seen = 0
    for value in sorted(histogram):
        seen += histogram[value]
        if seen >= needed:
            return value
    return max(histogram)  # pragma: no cover - unreachable, seen reaches total


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def figures(acc: Accumulator) -> dict[str, Any]:
    """The published figures: every number has passed `publish` with the users behind it."""
    # Turns per day and per skill both add up to the total shown: protect against subtraction.
    day_keys = [
        (acc.first + timedelta(days=i)).isoformat() for i in range((acc.last - acc.first).days + 1)
    ]
    day_tallies = [acc.per_day.get(key, Tally()) for key in day_keys]
    day_hidden = hidden_beside_a_total([t.users for t in day_tallies])
    days = [
        {"day": key, "turns": None if hide else publish(t.count, t.users)}
        for key, t, hide in zip(day_keys, day_tallies, day_hidden, strict=True)
    ]
    names = sorted(acc.per_skill, key=lambda n: (-acc.per_skill[n].turns.count, n))
    skill_hidden = dict(
        zip(
            names, hidden_beside_a_total([acc.per_skill[n].turns.users for n in names]), strict=True
        )
    )
    skills = []
    for name in names:
        s = acc.per_skill[name]
        skills.append(
            {
                "skill": name,
                "turns": None if skill_hidden[name] else publish(s.turns.count, s.turns.users),
                "latency_p50_ms": publish(percentile(s.latency, 50), s.latency_users),
                "latency_p95_ms": publish(percentile(s.latency, 95), s.latency_users),
                "citation_share": publish(_share(s.cited, s.answered.count), s.answered.users),
                "no_answer_rate": publish(_share(s.no_answer, s.turns.count), s.turns.users),
                "stopped_rate": publish(_share(s.stopped, s.turns.count), s.turns.users),
                "feedback_up": publish(s.feedback_up.count, s.feedback_up.users),
                "feedback_down": publish(s.feedback_down.count, s.feedback_down.users),
            }
        )

    def by_reason(tallies: dict[str, Tally]) -> list[dict[str, Any]]:
        ordered = sorted(tallies.items(), key=lambda kv: (-kv[1].count, kv[0]))
        return [{"reason": r, "count": publish(t.count, t.users)} for r, t in ordered]

    return {
        "period": {"from": acc.first.isoformat(), "to": acc.last.isoformat()},
        "min_distinct_users": MIN_DISTINCT_USERS,
        "totals": {
            "turns": publish(acc.turns.count, acc.turns.users),
            "latency_p50_ms": publish(percentile(acc.all_latency, 50), acc.all_latency_users),
            "latency_p95_ms": publish(percentile(acc.all_latency, 95), acc.all_latency_users),
        },
        "per_day": days,
        "per_skill": skills,
        "kipass_denials": by_reason(acc.denials),
        "failures": by_reason(acc.failures),
        "lines_read": acc.lines,
        "bad_lines": acc.bad_lines,
    }


def figures_csv(data: dict[str, Any]) -> str:
    """Flat CSV for Excel (semicolon, decimal comma); suppressed cells are empty and marked."""
    import csv
    import io

    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(["Bereich", "Schlüssel", "Kennzahl", "Wert", "Hinweis"])
    period = f"{data['period']['from']} bis {data['period']['to']}"

    def row(section: str, key: str, metric: str, value: Any) -> None:
        if value is None:
            writer.writerow(
                [section, key, metric, "", f"unterdrückt (< {MIN_DISTINCT_USERS} Personen)"]
            )
        else:
            shown = f"{value}".replace(".", ",") if isinstance(value, float) else value
            writer.writerow([section, key, metric, shown, ""])

    for metric, value in data["totals"].items():
        row("Gesamt", period, metric, value)
    for d in data["per_day"]:
        row("Tag", d["day"], "turns", d["turns"])
    for s in data["per_skill"]:
        for metric, value in s.items():
            if metric != "skill":
                row("Skill", s["skill"], metric, value)
    for d in data["kipass_denials"]:
        row("KI-Pass-Ablehnung", d["reason"], "count", d["count"])
    for f in data["failures"]:
        row("Fehlergrund", f["reason"], "count", f["count"])
    return out.getvalue()
