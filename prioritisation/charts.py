"""The effort/potential matrix and the timeline (Gantt) chart, as PNG and SVG, with matplotlib.

Figures are built with `matplotlib.figure.Figure` (Agg canvas) and never through pyplot, so no
global figure state is shared between concurrent requests in the bot's process. SVG output is
made deterministic (fixed hash salt, no date) so the same inventory gives the same files.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # no display on a server; set before any figure is drawn

from matplotlib import rc_context
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from prioritisation.inventory import DataProtectionClass
from prioritisation.schedule import Schedule
from prioritisation.scoring import Parameters, Scored

CLASS_COLOURS = {
    DataProtectionClass.none: "#2e7d32",
    DataProtectionClass.personal: "#f9a825",
    DataProtectionClass.special: "#c62828",
}
CLASS_SHORT = {
    DataProtectionClass.none: "keine personenbezogenen Daten",
    DataProtectionClass.personal: "personenbezogen",
    DataProtectionClass.special: "besondere Kategorien (Art. 9)",
}
_RC: dict[Any, Any] = {
    "svg.hashsalt": "kiw-prioritisation",
    "font.family": "DejaVu Sans",
    "font.size": 9,
}
LABELLED_IN_MATRIX = 8  # top candidates named in the matrix; the rest carry their rank only


def matrix_figure(ranked: Sequence[Scored], params: Parameters) -> Figure:
    with rc_context(_RC):
        fig = Figure(figsize=(9, 6.2), dpi=110)
        ax = fig.add_subplot()
        for s in ranked:
            ax.scatter(
                s.process.effort_person_days,
                s.potential_fte,
                s=90 if s.quick_win else 45,
                color=CLASS_COLOURS[s.process.data_protection],
                edgecolors="black" if s.quick_win else "none",
                linewidths=1.4,
                zorder=3,
            )
            label = f"{s.rank}" if s.rank > LABELLED_IN_MATRIX else f"{s.rank} {s.process.name}"
            ax.annotate(
                label,
                (s.process.effort_person_days, s.potential_fte),
                textcoords="offset points",
                xytext=(5, 4),
                fontsize=7,
            )
        ax.axvline(params.quick_win_max_effort_days, color="grey", linestyle="--", linewidth=0.8)
        ax.axhline(params.quick_win_min_potential_fte, color="grey", linestyle="--", linewidth=0.8)
        ax.set_xlabel(
            "Umsetzungsaufwand (Personentage) – Quick Wins liegen links oberhalb der gestrichelten Linien"
        )
        ax.set_ylabel("Einsparpotenzial (Vollzeitäquivalente)")
        ax.set_title("Aufwand und Potenzial je Prozess (Nummer = Rang)")
        ax.grid(True, linewidth=0.3, zorder=0)
        ax.set_xlim(left=0)
        ax.set_ylim(bottom=0)
        handles = [Patch(color=CLASS_COLOURS[c], label=CLASS_SHORT[c]) for c in DataProtectionClass]
        handles.append(
            Patch(facecolor="white", edgecolor="black", label="Quick Win (schwarzer Rand)")
        )
        ax.legend(handles=handles, loc="lower right", fontsize=7, title="Datenschutzklasse")
        fig.tight_layout()
    return fig


def gantt_figure(plan: Schedule) -> Figure:
    slots = plan.slots
    quarters = max((s.last_quarter for s in slots), default=0) + 1
    with rc_context(_RC):
        fig = Figure(figsize=(10, max(2.5, 0.32 * len(slots) + 1.6)), dpi=110)
        ax = fig.add_subplot()
        for row, slot in enumerate(slots):
            process = slot.candidate.process
            ax.barh(
                row,
                slot.end - slot.start,
                left=slot.start,
                height=0.6,
                color=CLASS_COLOURS[process.data_protection],
                edgecolor="black" if slot.candidate.quick_win else "none",
                zorder=3,
            )
        ax.set_yticks(
            range(len(slots)),
            [f"{s.candidate.rank}. {s.candidate.process.name}" for s in slots],
            fontsize=7,
        )
        ax.invert_yaxis()
        ax.set_xticks(
            [q + 0.5 for q in range(quarters)],
            [str(plan.quarter(q)) for q in range(quarters)],
        )
        ax.set_xticks(range(quarters + 1), minor=True)
        ax.grid(True, axis="x", which="minor", linewidth=0.6, zorder=0)
        ax.tick_params(axis="x", which="major", length=0)
        ax.set_xlim(0, quarters)
        ax.set_title(
            f"Zeitplan in Wellen (Kapazität {plan.capacity:g} Personentage pro Quartal)".replace(
                ".", ","
            )
        )
        fig.tight_layout()
    return fig


def save(fig: Figure, stem: Path) -> list[Path]:
    """Write stem.png and stem.svg; returns the paths."""
    png, svg = stem.with_suffix(".png"), stem.with_suffix(".svg")
    with rc_context(_RC):
        fig.savefig(png, format="png", metadata={"Software": None})
        fig.savefig(svg, format="svg", metadata={"Date": None})
    return [png, svg]


def svg_text(fig: Figure) -> str:
    buffer = io.StringIO()
    with rc_context(_RC):
        fig.savefig(buffer, format="svg", metadata={"Date": None})
    return buffer.getvalue()
