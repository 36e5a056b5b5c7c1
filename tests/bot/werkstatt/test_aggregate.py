"""The suppression rule and the aggregation over the audit log (hand-checked figures)."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from bot.audit import AuditLog
from bot.werkstatt.aggregate import aggregate, audit_files
from bot.werkstatt.periods import Weeks
from bot.werkstatt.published import figures, figures_csv, percentile
from bot.werkstatt.suppression import (
    MIN_DISTINCT_USERS,
    Tally,
    hidden_beside_a_total,
    released,
    sum_of_weeks,
)
from tests.bot.kit import AUDIT_KEY
from tests.bot.werkstatt.support import ROWS, at, write_usage

FIRST = date(2026, 11, 2)  # a Monday (KW 45/2026)
WEEK = Weeks(FIRST, 1)


def tally(users: list[str] | range, count: int | None = None) -> Tally:
    names = {str(u) for u in users}
    return Tally(count if count is not None else len(names), names)


def skill(data: dict[str, Any], key: str) -> dict[str, Any]:
    return next(s for s in data["per_skill"] if s["key"] == key)


def value(cell: dict[str, Any]) -> Any:
    return cell["value"]


# ---------------------------------------------------------------- the rule itself


def test_a_cell_is_released_empty_or_from_five_distinct_people() -> None:
    assert MIN_DISTINCT_USERS == 5
    assert not released(tally(["a", "b", "c", "d"]))
    assert released(tally(["a", "b", "c", "d", "e"]))
    assert not released(Tally(6, {"a", "b", "c", "d"}))  # the same person twice is one person
    assert released(Tally())  # nobody: reveals no one, shown as 0
    assert not released(Tally(50, set()))  # lines without a user (CLI) are no people


def test_empty_cells_never_trigger_complementary_suppression() -> None:
    # issue 15.1: two days without traffic beside one real day used to hide the real day.
    assert hidden_beside_a_total([Tally(), Tally(), tally(range(15))]) == [False, False, False]
    # A weekend and a holiday around a busy week: nothing to hide.
    week = [tally(range(9)), tally(range(7)), Tally(), tally(range(5)), tally(range(8))]
    assert hidden_beside_a_total([*week, Tally(), Tally()]) == [False] * 7


def test_withheld_cells_beside_a_total_rest_on_five_people_together() -> None:
    many = tally([f"m{i}" for i in range(20)])
    six = tally(["a", "b", "c", "d", "e", "f"])
    assert hidden_beside_a_total([many, six]) == [False, False]
    # One small cell (2 people): total - rest would reveal it, so the smallest shown non-empty
    # cell is withheld as well; the empty cell is skipped, it would add no one.
    assert hidden_beside_a_total([many, Tally(), six, tally(["x", "y"])]) == [
        False,
        False,
        True,
        True,
    ]
    # Two small cells that together rest on five people are enough on their own.
    assert hidden_beside_a_total([many, six, tally(["x", "y"]), tally(["p", "q", "r"])]) == [
        False,
        False,
        True,
        True,
    ]
    # The same two people in both small cells are still two people.
    assert hidden_beside_a_total([many, six, tally(["x", "y"]), Tally(3, {"x", "y"})]) == [
        False,
        True,
        True,
        True,
    ]


def test_a_periods_count_is_the_sum_of_its_released_weeks() -> None:
    assert sum_of_weeks([(5, True), (0, True)]).as_json() == {
        "value": 5,
        "status": "shown",
        "left_out_weeks": 0,
    }
    partial = sum_of_weeks([(5, True), (2, False)])
    assert (partial.value, partial.status, partial.left_out_weeks) == (5, "partial", 1)
    assert sum_of_weeks([(2, False), (0, True)]).status == "suppressed"
    assert sum_of_weeks([(0, True), (0, True)]).value == 0


# ---------------------------------------------------------------- aggregation


def usage_week(tmp_path: Path) -> Path:
    audit = AuditLog(tmp_path / "audit", AUDIT_KEY)
    write_usage(audit, FIRST, days=5)  # Monday to Friday; the weekend stays empty
    return audit.directory


def test_figures_are_hand_checked(tmp_path: Path) -> None:
    data = figures(aggregate(usage_week(tmp_path), WEEK, ROWS))
    qa = skill(data, "policy_qa")
    assert qa["label"] == "Fragen zu den KI-Regeln"
    # a day: 10 ok + 5 no_answer; five days
    assert value(qa["turns"]) == 75
    # latencies: 400 x25, then 800..1700 x5 each: rank 38 is 1000, rank 72 is 1700
    assert (value(qa["latency_p50_ms"]), value(qa["latency_p95_ms"])) == (1000, 1700)
    assert value(qa["citation_share"]) == 0.5  # even users cited, odd ones not: 5 and 5 people
    assert value(qa["no_answer_rate"]) == round(25 / 75, 4)
    assert value(qa["stopped_rate"]) == 0.0  # nobody pressed Stop: a released empty part
    assert value(qa["feedback_up"]) == 30  # users 0..5 -> 6 people
    assert qa["feedback_down"]["status"] == "suppressed"  # users 6..9: four people
    # The weekend had no traffic: shown as 0, and it hides nothing (issue 15.1).
    assert [value(d["turns"]) for d in data["per_day"]] == [20, 20, 20, 20, 20, 0, 0]
    assert [d["day"] for d in data["per_day"]][5:] == ["2026-11-07", "2026-11-08"]
    kipass = next(d for d in data["kipass_denials"] if d["key"] == "kipass_required")
    assert (kipass["label"], value(kipass["count"])) == ("Kein KI-Pass", 30)
    timeout = next(f for f in data["failures"] if f["key"] == "timeout")
    assert timeout["count"]["status"] == "suppressed"  # one person only
    assert value(data["totals"]["turns"]) == 100
    assert data["period"] == {"from": "2026-11-02", "to": "2026-11-08", "weeks": ["KW 45/2026"]}


def test_every_cell_of_a_four_person_skill_is_suppressed(tmp_path: Path) -> None:
    data = figures(aggregate(usage_week(tmp_path), WEEK, ROWS))
    allris = skill(data, "allris_search")
    for metric in ("turns", "latency_p50_ms", "latency_p95_ms", "citation_share"):
        assert allris[metric] == {"value": None, "status": "suppressed", "left_out_weeks": 1}
    for metric in ("no_answer_rate", "stopped_rate"):
        assert allris[metric]["status"] == "suppressed"
    # Nobody gave feedback on it: an empty cell is a plain 0.
    assert value(allris["feedback_up"]) == value(allris["feedback_down"]) == 0
    # Nothing in the published figures carries a pseudonym, a time of day or a line count.
    text = json.dumps(data)
    audit = AuditLog(tmp_path / "audit", AUDIT_KEY)
    for u in range(11):
        assert str(audit.pseudonym(f"user-{u}@luebeck.de")) not in text
    assert "T10:" not in text
    assert "lines" not in text


def test_forty_turns_from_five_people_with_empty_days_are_shown(tmp_path: Path) -> None:
    """Issue 15.1: one quiet day in the period emptied the whole dashboard."""
    audit = AuditLog(tmp_path / "audit", AUDIT_KEY)
    for offset in (0, 1, 3, 4):  # Wednesday without traffic, and the weekend
        for u in range(5):
            name = "policy_qa" if offset % 2 else "allris_search"
            audit.write(
                "turn",
                skill=name,
                outcome="ok",
                latency_ms=900,
                user_id=f"p{u}",
                cited=True,
                now=at(FIRST + timedelta(days=offset)),
            )
            audit.write(
                "turn", skill=name, outcome="ok", latency_ms=1100, user_id=f"p{u}", cited=True,
                now=at(FIRST + timedelta(days=offset), 14),
            )  # fmt: skip
    data = figures(aggregate(audit.directory, Weeks(FIRST, 3), ROWS))  # two more weeks: all empty
    assert value(data["totals"]["turns"]) == 40
    assert [value(d["turns"]) for d in data["per_day"][:7]] == [10, 10, 0, 10, 10, 0, 0]
    assert all(value(d["turns"]) == 0 for d in data["per_day"][7:])
    assert value(skill(data, "policy_qa")["turns"]) == 20
    assert value(skill(data, "allris_search")["turns"]) == 20
    assert value(skill(data, "summarise")["turns"]) == 0  # unused: 0, not "unterdrückt"
    assert value(skill(data, "policy_qa")["latency_p50_ms"]) == 900
    assert all(d["turns"]["status"] == "shown" for d in data["per_day"])


def test_a_skill_used_by_exactly_five_people_is_shown_by_four_not(tmp_path: Path) -> None:
    audit = AuditLog(tmp_path / "audit", AUDIT_KEY)
    for u in range(20):
        audit.write("turn", skill="policy_qa", outcome="ok", user_id=f"many{u}", now=at(FIRST))
    for u in range(4):
        audit.write("turn", skill="summarise", outcome="ok", latency_ms=100, user_id=f"u{u}",
                    now=at(FIRST))  # fmt: skip
    data = figures(aggregate(audit.directory, WEEK, ROWS))
    assert skill(data, "summarise")["turns"]["status"] == "suppressed"
    # total minus policy_qa would give summarise: policy_qa is withheld with it
    assert skill(data, "policy_qa")["turns"]["status"] == "suppressed"
    assert value(data["totals"]["turns"]) == 24
    audit.write("turn", skill="summarise", outcome="ok", latency_ms=100, user_id="u4",
                now=at(FIRST + timedelta(days=2)))  # fmt: skip
    data = figures(aggregate(audit.directory, WEEK, ROWS))
    assert value(skill(data, "summarise")["turns"]) == 5
    assert value(skill(data, "policy_qa")["turns"]) == 20


def test_a_share_needs_five_people_on_both_sides(tmp_path: Path) -> None:
    audit = AuditLog(tmp_path / "audit", AUDIT_KEY)
    for u in range(8):  # two of eight pressed Stop: 25 % would tell the two
        outcome = "stopped" if u < 2 else "ok"
        audit.write("turn", skill="policy_qa", outcome=outcome, user_id=f"u{u}", now=at(FIRST))
    qa = skill(figures(aggregate(audit.directory, WEEK, ROWS)), "policy_qa")
    assert value(qa["turns"]) == 8
    assert qa["stopped_rate"]["status"] == "suppressed"
    for u in range(2, 5):
        audit.write("turn", skill="policy_qa", outcome="stopped", user_id=f"u{u}", now=at(FIRST))
    qa = skill(figures(aggregate(audit.directory, WEEK, ROWS)), "policy_qa")
    assert value(qa["stopped_rate"]) == round(5 / 11, 4)  # five stopped, six (u2..u7) answered


def test_lines_without_user_never_count_as_people(tmp_path: Path) -> None:
    audit = AuditLog(tmp_path / "audit", AUDIT_KEY)
    for _ in range(50):
        audit.write("turn", skill="help", outcome="ok", latency_ms=5, scope="cli", now=at(FIRST))
    data = figures(aggregate(audit.directory, WEEK, ROWS))
    assert data["totals"]["turns"]["status"] == "suppressed"
    assert skill(data, "help")["turns"]["status"] == "suppressed"


def test_unknown_codes_are_counted_under_a_german_other_row(tmp_path: Path) -> None:
    audit = AuditLog(tmp_path / "audit", AUDIT_KEY)
    for u in range(5):
        audit.write("turn", skill="retired_skill", outcome="error", reason="generator_down",
                    user_id=f"u{u}", now=at(FIRST))  # fmt: skip
        audit.write("gate", skill="policy_qa", outcome="denied", reason="brand_new_reason",
                    user_id=f"u{u}", now=at(FIRST))  # fmt: skip
    data = figures(aggregate(audit.directory, WEEK, ROWS))
    assert value(skill(data, "other")["turns"]) == 5
    assert [value(f["count"]) for f in data["failures"] if f["key"] == "other"] == [5]
    assert [value(d["count"]) for d in data["kipass_denials"] if d["key"] == "other"] == [5]
    text = json.dumps([r["label"] for r in data["per_skill"] + data["failures"]])
    assert "retired_skill" not in text and "generator_down" not in text


def test_rows_are_fixed_whatever_was_used(tmp_path: Path) -> None:
    """Which rows appear, and in which order, must not tell what a lone person did."""
    empty = figures(aggregate(AuditLog(tmp_path / "a", AUDIT_KEY).directory, WEEK, ROWS))
    busy = figures(aggregate(usage_week(tmp_path), WEEK, ROWS))
    for section in ("per_skill", "kipass_denials", "failures"):
        assert [r["key"] for r in empty[section]] == [r["key"] for r in busy[section]]
    assert [r["key"] for r in busy["per_skill"]][:3] == ["help", "policy_qa", "allris_search"]


def test_period_selects_files_and_lines(tmp_path: Path) -> None:
    directory = usage_week(tmp_path)
    assert [p.name for p in audit_files(directory, date(2026, 11, 3), date(2026, 11, 4))] == [
        "audit-2026-11-03.jsonl",
        "audit-2026-11-04.jsonl",
    ]
    assert aggregate(directory, Weeks(FIRST + timedelta(days=7), 1), ROWS).lines == 0
    data = figures(aggregate(directory, Weeks(FIRST - timedelta(days=7), 2), ROWS))
    assert len(data["per_day"]) == 14
    assert value(data["totals"]["turns"]) == 100


def test_broken_lines_are_counted_not_fatal(tmp_path: Path) -> None:
    directory = usage_week(tmp_path)
    path = directory / "audit-2026-11-02.jsonl"
    with path.open("a", encoding="utf-8") as fh:
        fh.write('{"ts": "2026-11-02T10:00:00Z", "event": "turn"\n')  # cut off
        fh.write("[1, 2]\n")
        fh.write('{"event": "turn"}\n')  # no ts
        fh.write('{"ts": "2026-11-02T10:00:00Z", "event": "turn", "skill": ["x"], "user": 7}\n')
        fh.write("[" * 100_000 + "\n")  # nesting deeper than the parser's recursion
        fh.write("\n")
    acc = aggregate(directory, WEEK, ROWS)
    assert acc.bad_lines == 4
    data = figures(acc)
    assert value(data["per_day"][0]["turns"]) == 21  # the odd line counts, under "other"
    assert skill(data, "other")["turns"]["status"] == "suppressed"


def test_percentile_nearest_rank() -> None:
    assert percentile(Counter(), 50) is None
    assert percentile(Counter({10: 1}), 95) == 10
    values = Counter(range(1, 101))  # 1..100
    assert percentile(values, 50) == 50
    assert percentile(values, 95) == 95
    assert percentile(Counter({100: 19, 5000: 1}), 95) == 100
    assert percentile(Counter({100: 18, 5000: 2}), 95) == 5000


def test_csv_export_is_german_and_marks_withheld_cells(tmp_path: Path) -> None:
    data: dict[str, Any] = figures(aggregate(usage_week(tmp_path), WEEK, ROWS))
    text = figures_csv(data)
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows[0] == ["Bereich", "Eintrag", "Kennzahl", "Wert", "Hinweis"]
    by_key = {(r[0], r[1], r[2]): (r[3], r[4]) for r in rows[1:]}
    assert by_key[("Gesamt", "02.11.2026 bis 08.11.2026", "Anfragen")] == ("100", "")
    assert by_key[("Funktion", "Fragen zu den KI-Regeln", "Anfragen")] == ("75", "")
    assert by_key[("Funktion", "Fragen zu den KI-Regeln", "Anteil mit Quellenangabe")] == (
        "0,5",
        "",
    )
    assert by_key[("Funktion", "Ratsinformationen durchsuchen", "Anfragen")] == (
        "",
        "unterdrückt (< 5 Personen)",
    )
    assert by_key[("Fehlergrund", "Zeitüberschreitung", "Anzahl")] == (
        "",
        "unterdrückt (< 5 Personen)",
    )
    assert by_key[("Funktion", "Hilfe", "Antwortzeit Median (ms)")] == ("", "keine Daten")
    for code in ("policy_qa", "allris_search", "summarise", "kipass_required", "timeout", "turns"):
        assert code not in text


def test_every_gate_refusal_reason_has_a_german_label() -> None:
    from bot.werkstatt.labels import DENIAL_REASONS
    from skills import gate

    codes = {
        gate.KIPASS_REQUIRED,
        gate.KIPASS_EXPIRED,
        gate.KIPASS_CHECK_FAILED_REASON,
        gate.UNKNOWN_USER,
        gate.NO_IDENTITY,
        gate.FOREIGN_TENANT,
    }
    assert codes <= DENIAL_REASONS.keys()
