"""The suppression rule of the Werkstatt dashboard, in one place, for the Personalrat to check.

Every figure on the dashboard and in its CSV export (every "cell") is published only if it
rests on at least MIN_DISTINCT_USERS different people. "Rests on" means: the pseudonymised
user ids of all audit lines counted into that figure. A figure from fewer people, and a figure
from lines without any user id, is replaced by "unterdrückt" (null in JSON, empty in CSV).
This is what keeps the dashboard from becoming a tool to watch single members of staff.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import TypeVar

MIN_DISTINCT_USERS = 5

T = TypeVar("T")


def publish(value: T, distinct_users: Collection[str]) -> T | None:
    """The value if at least MIN_DISTINCT_USERS distinct users stand behind it, else None."""
    if len(set(distinct_users)) < MIN_DISTINCT_USERS:
        return None
    return value


def hidden_beside_a_total(cells: Sequence[Collection[str]]) -> list[bool]:
    """Which cells of a column to hide when the column's total is shown (one per cell: users).

    First every cell under the rule above. Then, because total minus the shown cells gives the
    sum of the hidden ones, the hidden cells together must also rest on at least
    MIN_DISTINCT_USERS people; if they do not, the next smallest shown cells are hidden too.
    """
    hidden = [len(set(users)) < MIN_DISTINCT_USERS for users in cells]
    if not any(hidden):
        return hidden
    behind_hidden: set[str] = set().union(
        *(set(u) for u, h in zip(cells, hidden, strict=True) if h)
    )
    shown = sorted((i for i, h in enumerate(hidden) if not h), key=lambda i: len(set(cells[i])))
    while len(behind_hidden) < MIN_DISTINCT_USERS and shown:
        i = shown.pop(0)
        hidden[i] = True
        behind_hidden |= set(cells[i])
    return hidden
