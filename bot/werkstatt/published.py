"""What the dashboard publishes for a period: the weekly summaries of aggregate.py, combined.

A period's count is the sum of the released weekly counts (suppression.sum_of_weeks), a share
the ratio of the released weekly parts, a percentile the one of the released weekly histograms
merged. Every figure says whether weeks were left out. Nothing about people reaches this module:
the weekly summaries carry counts and released-or-not only.
"""

from __future__ import annotations

import csv
import io
import math
from collections import Counter
from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

from bot.werkstatt.aggregate import Aggregate, Latency, Share
from bot.werkstatt.labels import DENIAL_REASONS, FAILURE_REASONS, METRICS, reason_rows
from bot.werkstatt.suppression import (
    MIN_DISTINCT_USERS,
    SUPPRESSED,
    Published,
    Status,
    sum_of_weeks,
)


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


def percentiles_of_weeks(weeks: Iterable[Latency]) -> tuple[Published, Published]:
    """p50 and p95 over the weeks whose latencies come from 5 people or more."""
    merged: Counter[int] = Counter()
    left_out = 0
    for week in weeks:
        if not week.histogram:
            continue
        if week.released:
            merged.update(week.histogram)
        else:
            left_out += 1
    if not merged:
        empty = Published(None, "suppressed", left_out) if left_out else Published(None, "none")
        return empty, empty
    status: Status = "partial" if left_out else "shown"
    return (
        Published(percentile(merged, 50), status, left_out),
        Published(percentile(merged, 95), status, left_out),
    )


def share_of_weeks(weeks: Iterable[Share]) -> Published:
    """part / whole over the weeks where the share is released."""
    part = whole = left_out = 0
    for week in weeks:
        if week.whole == 0:
            continue
        if week.released:
            part += week.part
            whole += week.whole
        else:
            left_out += 1
    if whole == 0:
        return Published(None, "suppressed", left_out) if left_out else Published(None, "none")
    return Published(round(part / whole, 4), "partial" if left_out else "shown", left_out)


def figures(agg: Aggregate) -> dict[str, Any]:
    """The published figures of the period, as JSON for the page."""
    weeks = agg.summaries
    days = [
        {
            "day": (w.monday + timedelta(days=offset)).isoformat(),
            "turns": Published(count, "shown") if shown else SUPPRESSED,
        }
        for w in weeks
        for offset, (count, shown) in enumerate(w.days)
    ]
    skills = []
    for name, label in agg.skill_rows:
        cells = [w.skills[name] for w in weeks]
        p50, p95 = percentiles_of_weeks(c.latency for c in cells)
        skills.append(
            {
                "key": name,
                "label": label,
                "turns": sum_of_weeks(c.turns for c in cells),
                "latency_p50_ms": p50,
                "latency_p95_ms": p95,
                "citation_share": share_of_weeks(c.citation for c in cells),
                "no_answer_rate": share_of_weeks(c.no_answer for c in cells),
                "stopped_rate": share_of_weeks(c.stopped for c in cells),
                "feedback_up": sum_of_weeks(c.feedback_up for c in cells),
                "feedback_down": sum_of_weeks(c.feedback_down for c in cells),
            }
        )
    p50, p95 = percentiles_of_weeks(w.latency for w in weeks)
    data = {
        "period": {
            "from": agg.weeks.first.isoformat(),
            "to": agg.weeks.last.isoformat(),
            "weeks": agg.weeks.labels(),
        },
        "min_distinct_users": MIN_DISTINCT_USERS,
        "totals": {
            "turns": sum_of_weeks(w.total for w in weeks),
            "latency_p50_ms": p50,
            "latency_p95_ms": p95,
        },
        "per_day": days,
        "per_skill": skills,
        "kipass_denials": [
            {"key": k, "label": label, "count": sum_of_weeks(w.denials[k] for w in weeks)}
            for k, label in reason_rows(DENIAL_REASONS)
        ],
        "failures": [
            {"key": k, "label": label, "count": sum_of_weeks(w.failures[k] for w in weeks)}
            for k, label in reason_rows(FAILURE_REASONS)
        ],
    }
    return _as_json(data)


def _as_json(value: Any) -> Any:
    if isinstance(value, Published):
        return value.as_json()
    if isinstance(value, dict):
        return {k: _as_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_as_json(v) for v in value]
    return value


def figures_csv(data: dict[str, Any]) -> str:
    """Flat CSV for Excel (semicolon, decimal comma); withheld cells are empty and marked."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(["Bereich", "Eintrag", "Kennzahl", "Wert", "Hinweis"])
    period = f"{_german_date(data['period']['from'])} bis {_german_date(data['period']['to'])}"

    def row(section: str, key: str, metric: str, cell: dict[str, Any]) -> None:
        value = cell["value"]
        if isinstance(value, float):
            value = f"{value}".replace(".", ",")
        writer.writerow(
            [section, key, METRICS[metric], "" if value is None else value, _hint(cell)]
        )

    for metric, cell in data["totals"].items():
        row("Gesamt", period, metric, cell)
    for d in data["per_day"]:
        row("Tag", d["day"], "turns", d["turns"])
    for s in data["per_skill"]:
        for metric in METRICS:
            if metric in s:
                row("Funktion", s["label"], metric, s[metric])
    for d in data["kipass_denials"]:
        row("KI-Pass-Ablehnung", d["label"], "count", d["count"])
    for f in data["failures"]:
        row("Fehlergrund", f["label"], "count", f["count"])
    return out.getvalue()


def _hint(cell: dict[str, Any]) -> str:
    if cell["status"] == "suppressed":
        return f"unterdrückt (< {MIN_DISTINCT_USERS} Personen)"
    if cell["status"] == "none":
        return "keine Daten"
    if cell["status"] == "partial":
        n = cell["left_out_weeks"]
        weeks = "1 Woche" if n == 1 else f"{n} Wochen"
        return f"ohne {weeks} mit < {MIN_DISTINCT_USERS} Personen"
    return ""


def _german_date(iso: str) -> str:
    return date.fromisoformat(iso).strftime("%d.%m.%Y")
