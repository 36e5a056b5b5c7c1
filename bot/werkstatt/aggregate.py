"""Usage figures for the Werkstatt dashboard, streamed from the audit log (bot/audit.py), a week
at a time.

The audit files (`audit-YYYY-MM-DD.jsonl`, one JSON object per line, schema at the top of
bot/audit.py) are read line by line and one calendar week at a time: counters, latency
histograms and sets of pseudonyms are kept for that week only, the rule of suppression.py is
applied to it (`summarise_week`), and then the sets are dropped. So memory grows with one
week's distinct users x skills, not with the log or the length of the period. Files outside
the chosen weeks are not opened at all. What the period shows is computed from the weekly
summaries in published.py.

Definitions:
  turns             audit lines with event "turn"
  latency p50/p95   nearest-rank percentiles of latency_ms over turns that carry one
  citation share    turns with outcome "ok" and cited=true / turns with outcome "ok" and cited set
  "keine Aussage"   turns with outcome "no_answer" / all turns of the skill
  stopped           turns with outcome "stopped" (Stop pressed while the answer streamed) /
                    all turns of the skill
  feedback          event "feedback", outcome "up" (👍) or "down" (👎)
  KI-Pass denials   event "gate", outcome "denied", by reason
  failures          turns with outcome "error" or "bad_input", by reason
A share is counted for a week only when its part *and* the rest rest on 5 people each (or on
nobody), and the skill's turns of that week are shown: "80 % of 50 turns" tells the 40 and the 10.
"""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from bot.werkstatt.labels import (
    DENIAL_REASONS,
    FAILURE_REASONS,
    Rows,
    reason_rows,
    row_key,
)
from bot.werkstatt.periods import Weeks
from bot.werkstatt.suppression import MIN_DISTINCT_USERS, Tally, hidden_beside_a_total, released

FAILURE_OUTCOMES = frozenset({"error", "bad_input"})
_FILE = re.compile(r"^audit-(\d{4}-\d{2}-\d{2})\.jsonl$")


# ---------------------------------------------------------------- one week, with its people


@dataclass
class SkillWeek:
    turns: Tally = field(default_factory=Tally)
    latency: Counter[int] = field(default_factory=Counter)  # latency_ms -> how often
    latency_users: set[str] = field(default_factory=set)
    outcomes: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    cited: Tally = field(default_factory=Tally)  # outcome ok, cited=true
    uncited: Tally = field(default_factory=Tally)  # outcome ok, cited=false
    feedback_up: Tally = field(default_factory=Tally)
    feedback_down: Tally = field(default_factory=Tally)

    def share_parts(self, outcome: str) -> tuple[Tally, Tally]:
        """The turns with this outcome, and the rest of the skill's turns (with their people)."""
        part = self.outcomes.get(outcome, Tally())
        rest = Tally()
        for name, tally in self.outcomes.items():
            if name != outcome:
                rest.merge(tally)
        return part, rest


_NO_SKILL_WEEK = SkillWeek()


@dataclass
class Week:
    monday: date
    turns: Tally = field(default_factory=Tally)
    days: list[Tally] = field(default_factory=lambda: [Tally() for _ in range(7)])
    latency: Counter[int] = field(default_factory=Counter)
    latency_users: set[str] = field(default_factory=set)
    skills: dict[str, SkillWeek] = field(default_factory=lambda: defaultdict(SkillWeek))
    denials: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    failures: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    lines: int = 0
    bad_lines: int = 0


class WeekReader:
    """Counts the lines of one week."""

    def __init__(self, monday: date, rows: Rows) -> None:
        self.week = Week(monday)
        # ISO day string -> weekday index: one dict lookup per line, no date parsing.
        self._days = {(monday + timedelta(days=i)).isoformat(): i for i in range(7)}
        self._skills = frozenset(name for name, _ in rows)
        # One string object per pseudonym, however many sets hold it (each line decodes anew).
        self._people: dict[str, str] = {}

    def add(self, line: dict[str, Any]) -> None:
        week = self.week
        ts = line.get("ts")
        if type(ts) is not str or len(ts) < 10:
            week.bad_lines += 1
            return
        weekday = self._days.get(ts[:10])
        if weekday is None:
            return  # another day (or no date at all)
        week.lines += 1
        user = _text(line.get("user"))  # None: counts, but adds no person
        if user:
            user = self._people.setdefault(user, user)
        skill = row_key(_text(line.get("skill")), self._skills)
        outcome = _text(line.get("outcome"))
        reason = _text(line.get("reason"))
        event = line.get("event")
        if event == "turn":
            week.turns.add(user)
            week.days[weekday].add(user)
            stats = week.skills[skill]
            stats.turns.add(user)
            stats.outcomes[outcome or ""].add(user)
            latency = line.get("latency_ms")
            if (type(latency) is int or type(latency) is float) and latency >= 0:
                ms = int(latency)
                stats.latency[ms] += 1
                week.latency[ms] += 1
                if user:
                    stats.latency_users.add(user)
                    week.latency_users.add(user)
            cited = line.get("cited")
            if outcome == "ok" and type(cited) is bool:
                (stats.cited if cited else stats.uncited).add(user)
            if outcome in FAILURE_OUTCOMES:
                week.failures[row_key(reason or outcome, FAILURE_REASONS)].add(user)
        elif event == "feedback":
            if outcome == "up":
                week.skills[skill].feedback_up.add(user)
            elif outcome == "down":
                week.skills[skill].feedback_down.add(user)
        elif event == "gate" and outcome == "denied":
            week.denials[row_key(reason, DENIAL_REASONS)].add(user)


def _text(value: Any) -> str | None:
    return value if type(value) is str and value else None


# ---------------------------------------------------------------- one week, without its people

Cell = tuple[int, bool]  # (count, released)


@dataclass(frozen=True)
class Share:
    part: int
    whole: int
    released: bool


@dataclass(frozen=True)
class Latency:
    histogram: Counter[int]
    released: bool


@dataclass(frozen=True)
class SkillSummary:
    turns: Cell
    latency: Latency
    citation: Share
    no_answer: Share
    stopped: Share
    feedback_up: Cell
    feedback_down: Cell


@dataclass(frozen=True)
class WeekSummary:
    """What the rule lets out of one week: counts and whether each may be shown; no people."""

    monday: date
    total: Cell
    days: list[Cell]
    latency: Latency
    skills: dict[str, SkillSummary]
    denials: dict[str, Cell]
    failures: dict[str, Cell]


def _cell(tally: Tally) -> Cell:
    return tally.count, released(tally)


def _latency(histogram: Counter[int], users: set[str]) -> Latency:
    return Latency(histogram, bool(histogram) and len(users) >= MIN_DISTINCT_USERS)


def _share(part: Tally, rest: Tally, turns_shown: bool) -> Share:
    whole = part.count + rest.count
    return Share(part.count, whole, turns_shown and released(part) and released(rest))


def summarise_week(week: Week, skill_rows: Rows) -> WeekSummary:
    rows = [name for name, _ in skill_rows]
    # Days and skills both add up to the week's turns: protect each column against subtraction.
    day_hidden = hidden_beside_a_total(week.days)
    skill_weeks = [week.skills.get(name, _NO_SKILL_WEEK) for name in rows]
    skill_hidden = hidden_beside_a_total([s.turns for s in skill_weeks])
    skills = {}
    for name, s, hidden in zip(rows, skill_weeks, skill_hidden, strict=True):
        shown = not hidden
        skills[name] = SkillSummary(
            turns=(s.turns.count, shown),
            latency=_latency(s.latency, s.latency_users),
            citation=_share(s.cited, s.uncited, shown),
            no_answer=_share(*s.share_parts("no_answer"), shown),
            stopped=_share(*s.share_parts("stopped"), shown),
            feedback_up=_cell(s.feedback_up),
            feedback_down=_cell(s.feedback_down),
        )
    return WeekSummary(
        monday=week.monday,
        total=_cell(week.turns),
        days=[(t.count, not h) for t, h in zip(week.days, day_hidden, strict=True)],
        latency=_latency(week.latency, week.latency_users),
        skills=skills,
        denials={k: _cell(week.denials.get(k, Tally())) for k, _ in reason_rows(DENIAL_REASONS)},
        failures={k: _cell(week.failures.get(k, Tally())) for k, _ in reason_rows(FAILURE_REASONS)},
    )


# ---------------------------------------------------------------- reading


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
                except (ValueError, RecursionError):
                    if raw.strip():
                        yield None
                    continue
                yield value if type(value) is dict else None


@dataclass
class Aggregate:
    weeks: Weeks
    skill_rows: Rows  # the dashboard's rows of skills (labels.skill_rows of the registry)
    summaries: list[WeekSummary] = field(default_factory=list)
    lines: int = 0
    bad_lines: int = 0


def read_week(directory: Path, monday: date, rows: Rows) -> Week:
    reader = WeekReader(monday, rows)
    add = reader.add
    for line in read_lines(audit_files(directory, monday, monday + timedelta(days=6))):
        if line is None:
            reader.week.bad_lines += 1
        else:
            add(line)
    return reader.week


def aggregate(directory: Path, weeks: Weeks, skill_rows: Rows) -> Aggregate:
    """Each week read, summarised and its pseudonyms dropped before the next is read."""
    result = Aggregate(weeks, skill_rows)
    for monday in weeks.mondays():
        week = read_week(directory, monday, skill_rows)
        result.lines += week.lines
        result.bad_lines += week.bad_lines
        result.summaries.append(summarise_week(week, skill_rows))
    return result
