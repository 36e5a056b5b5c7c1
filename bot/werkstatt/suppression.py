"""The suppression rule of the Werkstatt dashboard, in one place, for the Personalrat to check.

Every figure on the dashboard and in its CSV export (every "cell") is published only if it
rests on at least MIN_DISTINCT_USERS different people. "Rests on" means: the pseudonymised
user ids of all audit lines counted into that figure. A figure from fewer people, and a figure
from lines without any user id, is replaced by "unterdrückt" (null in JSON, empty in CSV).
This is what keeps the dashboard from becoming a tool to watch single members of staff.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import TypeVar

MIN_DISTINCT_USERS = 5

T = TypeVar("T")


def publish(value: T, distinct_users: Collection[str]) -> T | None:
    """The value if at least MIN_DISTINCT_USERS distinct users stand behind it, else None."""
    if len(set(distinct_users)) < MIN_DISTINCT_USERS:
        return None
    return value
