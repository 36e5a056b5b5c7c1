"""The suppression rule of the Werkstatt dashboard, in one place, for the Personalrat to check.

No figure on the dashboard or in its CSV export may rest on fewer than MIN_DISTINCT_USERS
people, not even one that an admin could compute by subtracting two figures. Three parts
(the argument why they suffice is in docs/werkstatt.md, "The suppression rule"):

1. Whole, closed calendar weeks. Figures are computed per ISO week (Monday to Sunday); a period
   is a run of whole weeks that have ended (bot/werkstatt/periods.py). A week's cell ("turns of
   policy_qa in week 46") is *released* when nobody stands behind it (count 0: it reveals no
   one, shown as 0) or at least MIN_DISTINCT_USERS distinct pseudonyms do.
2. Beside a total. Inside one week, the days and the skills each add up to the week's turns;
   total minus the released cells gives the sum of the withheld ones, so those must rest on
   MIN_DISTINCT_USERS people together, or more cells are withheld (`hidden_beside_a_total`).
3. A period's figure is the sum (or the merged histogram) of the *released* week cells only.
   Weeks whose cell was withheld are left out and counted, so the page can say so.

Lines without a user id add to counts but to no one's set: a figure from CLI use alone
(count > 0, no people) is withheld.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

MIN_DISTINCT_USERS = 5

Status = Literal["shown", "partial", "suppressed", "none"]


@dataclass
class Tally:
    """One cell before publication: how many lines, and which pseudonyms they came from."""

    count: int = 0
    users: set[str] = field(default_factory=set)

    def add(self, user: str | None) -> None:
        self.count += 1
        if user:  # lines without a user add nobody
            self.users.add(user)

    def merge(self, other: Tally) -> None:
        self.count += other.count
        self.users |= other.users


def released(cell: Tally) -> bool:
    """An empty cell reveals no one; any other cell needs MIN_DISTINCT_USERS people behind it."""
    return cell.count == 0 or len(cell.users) >= MIN_DISTINCT_USERS


def hidden_beside_a_total(cells: Sequence[Tally]) -> list[bool]:
    """Which cells of a column to withhold when the column's total can be known.

    First every cell under `released`. Then, because total minus the shown cells gives the sum
    of the withheld ones, the withheld cells together must also rest on MIN_DISTINCT_USERS
    people; if they do not, the next smallest shown non-empty cells are withheld too. Empty
    cells are never withheld and never trigger anything: they add no one to either side.
    """
    hidden = [not released(cell) for cell in cells]
    if not any(hidden):
        return hidden
    behind_hidden: set[str] = set().union(
        *(c.users for c, h in zip(cells, hidden, strict=True) if h)
    )
    candidates = sorted(
        (i for i, h in enumerate(hidden) if not h and cells[i].count > 0),
        key=lambda i: (len(cells[i].users), cells[i].count, i),
    )
    while len(behind_hidden) < MIN_DISTINCT_USERS and candidates:
        i = candidates.pop(0)
        hidden[i] = True
        behind_hidden |= cells[i].users
    return hidden


@dataclass(frozen=True)
class Published:
    """One figure as the page and the CSV receive it.

    status: "shown" (every week of the period counted), "partial" (weeks whose cell was
    withheld are left out: `left_out_weeks`), "suppressed" (nothing releasable, value None),
    "none" (nothing to compute, e.g. a share of zero answers; value None).
    """

    value: int | float | None
    status: Status
    left_out_weeks: int = 0

    def as_json(self) -> dict[str, Any]:
        return {"value": self.value, "status": self.status, "left_out_weeks": self.left_out_weeks}


SUPPRESSED = Published(None, "suppressed")


def sum_of_weeks(weeks: Iterable[tuple[int, bool]]) -> Published:
    """A period's count: the sum of its weeks' released cells. (count, released) per week."""
    total = 0
    left_out = 0
    for count, shown in weeks:
        if shown:
            total += count
        elif count:
            left_out += 1
    if left_out and total == 0:
        # "0" would be false and "0 plus something withheld" says only what a single week says.
        return Published(None, "suppressed", left_out)
    return Published(total, "partial" if left_out else "shown", left_out)
