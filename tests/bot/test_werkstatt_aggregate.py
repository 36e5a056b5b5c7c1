"""The suppression rule and the aggregation over the audit log (hand-checked figures)."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

from bot.audit import AuditLog
from bot.werkstatt.aggregate import aggregate, audit_files, figures, figures_csv, percentile
from bot.werkstatt.suppression import MIN_DISTINCT_USERS, hidden_beside_a_total, publish
from tests.bot.werkstatt_support import AUDIT_KEY, at, write_usage

FIRST = date(2026, 11, 2)


# ---------------------------------------------------------------- the rule itself


def test_suppression_rule_is_five_distinct_users() -> None:
    assert MIN_DISTINCT_USERS == 5
    assert publish(42, ["a", "b", "c", "d"]) is None
    assert publish(42, ["a", "b", "c", "d", "e"]) == 42
    # The same person counted twice is still one person.
    assert publish(42, ["a", "a", "b", "c", "d", "d"]) is None
    assert publish(0, []) is None
    assert publish(0.5, {"a", "b", "c", "d", "e", "f"}) == 0.5


def test_hidden_cells_beside_a_total_must_rest_on_five_people_together() -> None:
    many = [f"m{i}" for i in range(20)]
    six = ["a", "b", "c", "d", "e", "f"]
    # Nothing hidden: nothing more to do.
    assert hidden_beside_a_total([many, six]) == [False, False]
    # One small cell (2 people) beside a shown total: total - rest would reveal it, so the
    # smallest shown cell (six people) is hidden as well; together they rest on 8 people.
    assert hidden_beside_a_total([many, six, ["x", "y"]]) == [False, True, True]
    # Two small cells that together rest on five people are enough on their own.
    assert hidden_beside_a_total([many, six, ["x", "y"], ["p", "q", "r"]]) == [
        False,
        False,
        True,
        True,
    ]
    # The same two people in both small cells are still two people.
    assert hidden_beside_a_total([many, six, ["x", "y"], ["x", "y", "x"]]) == [
        False,
        True,
        True,
        True,
    ]


def test_secondary_suppression_in_the_figures(tmp_path: Path) -> None:
    audit = AuditLog(tmp_path / "audit", AUDIT_KEY)
    for u in range(6):
        audit.write("turn", skill="policy_qa", outcome="ok", user_id=f"u{u}", now=at(FIRST))
    for u in range(20):
        audit.write("turn", skill="allris_search", outcome="ok", user_id=f"v{u}", now=at(FIRST))
    audit.write("turn", skill="summarise", outcome="ok", user_id="u0", now=at(FIRST))
    data = figures(aggregate(audit.directory, FIRST, FIRST))
    turns = {s["skill"]: s["turns"] for s in data["per_skill"]}
    # 27 in total; summarise (1 person) hidden, so policy_qa (6) is hidden too: else 27 - 20 - 6.
    assert data["totals"]["turns"] == 27
    assert turns == {"allris_search": 20, "policy_qa": None, "summarise": None}


# ---------------------------------------------------------------- aggregation


def month(tmp_path: Path) -> Path:
    audit = AuditLog(tmp_path / "audit", AUDIT_KEY)
    write_usage(audit, FIRST, days=5)
    return audit.directory


def test_figures_are_hand_checked(tmp_path: Path) -> None:
    directory = month(tmp_path)
    data = figures(aggregate(directory, FIRST, date(2026, 11, 6)))
    qa = next(s for s in data["per_skill"] if s["skill"] == "policy_qa")
    # per day: 8 ok + 4 no_answer turns; over 5 days 60 turns from 8 users
    assert qa["turns"] == 60
    # latencies: 800..1500 (8 users) and 400 (4 users) each day -> 12 values a day
    assert qa["latency_p50_ms"] == 900  # sorted: 400x4, 800, 900, ... -> 6th of 12 is 900
    assert qa["latency_p95_ms"] == 1500
    assert qa["citation_share"] == 0.75  # users 0 and 4 answer without citation
    assert qa["no_answer_rate"] == round(20 / 60, 4)
    assert qa["stopped_rate"] == 0.0
    assert qa["feedback_up"] == 30  # users 0..5 -> 6 people
    assert qa["feedback_down"] is None  # users 6 and 7: two people -> suppressed
    assert [d["turns"] for d in data["per_day"]] == [17] * 5  # 12 qa + 4 allris + 1 error
    assert data["kipass_denials"] == [{"reason": "kipass_required", "count": 30}]
    assert data["failures"] == [{"reason": "timeout", "count": None}]  # one person only
    assert data["totals"]["turns"] == 5 * (12 + 4 + 1)


def test_every_cell_resting_on_fewer_than_five_users_is_suppressed(tmp_path: Path) -> None:
    data = figures(aggregate(month(tmp_path), FIRST, date(2026, 11, 6)))
    allris = next(s for s in data["per_skill"] if s["skill"] == "allris_search")
    assert {k: v for k, v in allris.items() if k != "skill"} == dict.fromkeys(
        (
            "turns",
            "latency_p50_ms",
            "latency_p95_ms",
            "citation_share",
            "no_answer_rate",
            "stopped_rate",
            "feedback_up",
            "feedback_down",
        ),
        None,
    )
    # Nothing in the published figures carries a pseudonym or a time of day.
    text = json.dumps(data)
    assert "user" not in text.replace("min_distinct_users", "")
    assert "T10:" not in text


def test_answers_stopped_while_streaming_are_a_share_of_the_skills_turns(tmp_path: Path) -> None:
    audit = AuditLog(tmp_path / "audit", AUDIT_KEY)
    for u in range(8):
        outcome = "stopped" if u < 2 else "ok"
        audit.write("turn", skill="policy_qa", outcome=outcome, user_id=f"u{u}", now=at(FIRST))
    [qa] = figures(aggregate(audit.directory, FIRST, FIRST))["per_skill"]
    assert (qa["turns"], qa["stopped_rate"]) == (8, 0.25)


def test_a_fifth_person_lifts_the_suppression(tmp_path: Path) -> None:
    audit = AuditLog(tmp_path / "audit", AUDIT_KEY)
    for u in range(4):
        audit.write(
            "turn", skill="summarise", outcome="ok", latency_ms=100, user_id=f"u{u}", now=at(FIRST)
        )
    data = figures(aggregate(audit.directory, FIRST, FIRST))
    assert data["per_skill"][0]["turns"] is None
    audit.write(
        "turn", skill="summarise", outcome="ok", latency_ms=100, user_id="u4", now=at(FIRST)
    )
    data = figures(aggregate(audit.directory, FIRST, FIRST))
    assert data["per_skill"][0]["turns"] == 5


def test_lines_without_user_never_count_as_people(tmp_path: Path) -> None:
    audit = AuditLog(tmp_path / "audit", AUDIT_KEY)
    for _ in range(50):
        audit.write(
            "turn",
            skill="help",
            outcome="ok",
            latency_ms=5,
            user_id=None,
            scope="cli",
            now=at(FIRST),
        )
    data = figures(aggregate(audit.directory, FIRST, FIRST))
    assert data["totals"]["turns"] is None
    assert data["per_skill"][0]["turns"] is None


def test_period_selects_files_and_lines(tmp_path: Path) -> None:
    directory = month(tmp_path)
    assert [p.name for p in audit_files(directory, date(2026, 11, 3), date(2026, 11, 4))] == [
        "audit-2026-11-03.jsonl",
        "audit-2026-11-04.jsonl",
    ]
    data = figures(aggregate(directory, date(2026, 11, 3), date(2026, 11, 4)))
    assert [d["day"] for d in data["per_day"]] == ["2026-11-03", "2026-11-04"]
    assert data["totals"]["turns"] == 2 * 17


def test_broken_lines_are_counted_not_fatal(tmp_path: Path) -> None:
    directory = month(tmp_path)
    path = directory / "audit-2026-11-02.jsonl"
    with path.open("a", encoding="utf-8") as fh:
        fh.write('{"ts": "2026-11-02T10:00:00Z", "event": "turn"\n')  # cut off
        fh.write("[1, 2]\n")
        fh.write('{"event": "turn"}\n')  # no ts
        fh.write("\n")
    acc = aggregate(directory, FIRST, FIRST)
    assert acc.bad_lines == 3
    assert figures(acc)["per_day"][0]["turns"] == 17


def test_percentile_nearest_rank() -> None:
    assert percentile(Counter(), 50) is None
    assert percentile(Counter({10: 1}), 95) == 10
    values = Counter(range(1, 101))  # 1..100
    assert percentile(values, 50) == 50
    assert percentile(values, 95) == 95
    assert percentile(Counter({100: 19, 5000: 1}), 95) == 100
    assert percentile(Counter({100: 18, 5000: 2}), 95) == 5000


def test_csv_export_marks_suppressed_cells(tmp_path: Path) -> None:
    data: dict[str, Any] = figures(aggregate(month(tmp_path), FIRST, date(2026, 11, 6)))
    rows = list(csv.reader(io.StringIO(figures_csv(data)), delimiter=";"))
    assert rows[0] == ["Bereich", "Schlüssel", "Kennzahl", "Wert", "Hinweis"]
    by_key = {(r[0], r[1], r[2]): (r[3], r[4]) for r in rows[1:]}
    assert by_key[("Skill", "policy_qa", "turns")] == ("60", "")
    assert by_key[("Skill", "policy_qa", "citation_share")] == ("0,75", "")
    assert by_key[("Skill", "allris_search", "turns")] == ("", "unterdrückt (< 5 Personen)")
    assert by_key[("Fehlergrund", "timeout", "count")] == ("", "unterdrückt (< 5 Personen)")
