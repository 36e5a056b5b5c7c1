"""Choosable periods and an admin who differences them (issue 12 item 8).

The admin picks any from/to dates. Whatever the choice, figures come from whole, closed weeks,
so two periods differ by whole weeks, and every count is the sum of single weeks' published
counts: no difference of two periods can isolate a day, let alone one person's day.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from itertools import combinations_with_replacement
from pathlib import Path
from typing import Any

import pytest

from bot.audit import AuditLog
from bot.werkstatt.aggregate import aggregate
from bot.werkstatt.periods import PeriodError, Weeks, recent_weeks, reference_day, whole_weeks
from bot.werkstatt.published import figures
from tests.bot.kit import AUDIT_KEY
from tests.bot.werkstatt.support import ROWS, at

W1 = date(2026, 11, 2)  # Monday, KW 45
TODAY = date(2026, 11, 25)  # Wednesday of KW 48: KW 45-47 are closed, KW 48 is open
LONE_SATURDAY = W1 + timedelta(days=12)  # Saturday of KW 46
CREW = [f"crew{u}" for u in range(6)]


def test_any_dates_widen_to_whole_closed_weeks() -> None:
    wednesday = W1 + timedelta(days=2)
    assert whole_weeks(wednesday, wednesday, TODAY) == Weeks(W1, 1)  # a single day: its week
    assert whole_weeks(W1 + timedelta(days=6), W1 + timedelta(days=7), TODAY) == Weeks(W1, 2)
    # The open week (today's) is dropped, and so is anything later.
    assert whole_weeks(W1, TODAY + timedelta(days=30), TODAY) == Weeks(W1, 3)
    with pytest.raises(PeriodError, match="abgeschlossene Kalenderwoche"):
        whole_weeks(TODAY, TODAY, TODAY)
    with pytest.raises(PeriodError, match="Beginn liegt nach dem Ende"):
        whole_weeks(TODAY, W1, TODAY)
    with pytest.raises(PeriodError, match="zwei Jahre"):
        whole_weeks(W1 - timedelta(days=800), W1, TODAY)
    # On a Monday the week that ended yesterday is closed.
    assert recent_weeks(W1 + timedelta(days=7), 1) == Weeks(W1, 1)
    assert recent_weeks(TODAY, 4).last == W1 + timedelta(days=20)


def test_a_week_closes_an_hour_after_it_ends() -> None:
    sunday = W1 + timedelta(days=27)  # 2026-11-29
    just_after = datetime(2026, 11, 30, 0, 30, tzinfo=UTC)
    assert reference_day(just_after) == sunday
    assert recent_weeks(reference_day(just_after), 1).last == sunday - timedelta(days=7)
    later = datetime(2026, 11, 30, 1, 30, tzinfo=UTC)
    assert recent_weeks(reference_day(later), 1).last == sunday


def world(tmp_path: Path) -> Path:
    """Six colleagues use policy_qa on weekdays; one person works alone on a Saturday."""
    audit = AuditLog(tmp_path / "audit", AUDIT_KEY)
    for offset in range(23):
        day = W1 + timedelta(days=offset)
        if day.isoweekday() <= 5:
            for user in CREW:
                audit.write("turn", skill="policy_qa", outcome="ok", latency_ms=900, user_id=user,
                            cited=True, now=at(day))  # fmt: skip
    for _ in range(3):
        audit.write("turn", skill="policy_qa", outcome="ok", latency_ms=4000, user_id="lone",
                    cited=True, now=at(LONE_SATURDAY))  # fmt: skip
    audit.write("turn", skill="summarise", outcome="error", reason="timeout", latency_ms=60000,
                user_id="lone", now=at(LONE_SATURDAY, 15))  # fmt: skip
    audit.write("gate", skill="summarise", outcome="denied", reason="kipass_expired",
                user_id="lone", now=at(LONE_SATURDAY, 16))  # fmt: skip
    return audit.directory


def counts(data: dict[str, Any]) -> dict[str, Any]:
    """Every additive figure of a result, by a stable name."""
    out = {"total": data["totals"]["turns"]["value"]}
    for row in data["per_skill"]:
        for metric in ("turns", "feedback_up", "feedback_down"):
            out[f"{row['key']}.{metric}"] = row[metric]["value"]
    for section in ("kipass_denials", "failures"):
        for row in data[section]:
            out[f"{section}.{row['key']}"] = row["count"]["value"]
    return out


def test_differencing_any_two_choosable_periods_isolates_no_day(tmp_path: Path) -> None:
    directory = world(tmp_path)
    days = [W1 - timedelta(days=3) + timedelta(days=i) for i in range(29)]  # into the open week
    periods = set()
    for a, b in combinations_with_replacement(days, 2):
        try:
            periods.add(whole_weeks(a, b, TODAY))
        except PeriodError:
            assert a > TODAY - timedelta(days=3)  # only dates inside the open week are refused
    assert len(periods) == 10  # the runs of whole weeks in KW 44-47: nothing finer exists
    results = {weeks: figures(aggregate(directory, weeks, ROWS)) for weeks in periods}
    single = {w.first: counts(results[w]) for w in periods if w.count == 1}

    for weeks, data in results.items():
        # Every count of every period is the sum of the counts its single weeks publish, so the
        # difference of two periods is a sum of whole published weeks, never a part of a week.
        for name, got in counts(data).items():
            parts = [single[monday][name] for monday in weeks.mondays()]
            shown_sum = sum(p for p in parts if p is not None)
            withheld = None in parts
            # (a sum of 0 beside a withheld week would read as "nobody": it is withheld too)
            assert got == (None if withheld and shown_sum == 0 else shown_sum), (weeks, name)
        # What the lone person did is in no published figure of any period: where the period
        # holds that Saturday the cells are withheld, elsewhere they are a true 0.
        expected = None if weeks.first <= LONE_SATURDAY <= weeks.last else 0
        rows = {r["key"]: r for r in data["per_skill"]}
        assert rows["summarise"]["turns"]["value"] == expected
        assert rows["summarise"]["latency_p95_ms"]["value"] is None
        lone = {r["key"]: r["count"] for r in data["kipass_denials"] + data["failures"]}
        assert lone["kipass_expired"]["value"] == lone["timeout"]["value"] == expected
        saturday = [d for d in data["per_day"] if d["day"] == LONE_SATURDAY.isoformat()]
        assert all(d["turns"]["value"] is None for d in saturday)

    # The attack of issue 12.8: "up to Saturday" minus "up to Friday" gave the lone count (3).
    to_saturday = figures(aggregate(directory, whole_weeks(W1, LONE_SATURDAY, TODAY), ROWS))
    to_friday = figures(
        aggregate(directory, whole_weeks(W1, LONE_SATURDAY - timedelta(1), TODAY), ROWS)
    )
    assert counts(to_saturday) == counts(to_friday)


def test_withheld_days_beside_the_week_total_rest_on_five_people(tmp_path: Path) -> None:
    data = figures(aggregate(world(tmp_path), Weeks(W1 + timedelta(days=7), 1), ROWS))
    week_total = data["totals"]["turns"]["value"]
    assert week_total == 5 * 6 + 3 + 1  # seven people stand behind it: it is shown
    withheld = [d["day"] for d in data["per_day"] if d["turns"]["value"] is None]
    # total minus the shown days gives the withheld days together: the lone Saturday alone
    # would be 4, so a weekday of the six colleagues is withheld with it.
    assert LONE_SATURDAY.isoformat() in withheld and len(withheld) == 2
    shown = sum(d["turns"]["value"] for d in data["per_day"] if d["turns"]["value"] is not None)
    assert week_total - shown == 6 + 4
    # The lone person's policy_qa turns beside the skill total: policy_qa has 7 people, shown;
    # summarise (1 person) is withheld, and with it the next smallest non-empty skill.
    rows = {r["key"]: r["turns"]["value"] for r in data["per_skill"]}
    assert rows["summarise"] is None and rows["policy_qa"] is None
    assert data["totals"]["latency_p95_ms"]["value"] is not None  # 7 people's latencies


def test_the_lone_persons_week_reveals_only_withheld_cells(tmp_path: Path) -> None:
    """A week in which only one person worked: no figure at all, not even a count of lines."""
    audit = AuditLog(tmp_path / "audit", AUDIT_KEY)
    for _ in range(7):
        audit.write("turn", skill="allris_search", outcome="ok", latency_ms=300, user_id="lone",
                    now=at(LONE_SATURDAY))  # fmt: skip
    data = figures(aggregate(audit.directory, Weeks(W1 + timedelta(days=7), 1), ROWS))
    values = [counts(data)[name] for name in counts(data)]
    assert set(values) <= {None, 0}
    assert data["totals"]["turns"]["value"] is None
    assert "lines_read" not in data and "bad_lines" not in data
