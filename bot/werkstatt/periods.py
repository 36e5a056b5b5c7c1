"""The periods an admin can choose: runs of whole, closed ISO calendar weeks.

Whatever dates the admin enters, the period is widened to the Monday of the first week and the
Sunday of the last; a week that has not ended yet (today's week, or a later one) is left out,
because its figures would still change and "this week on Wednesday minus this week on Tuesday"
would isolate a single day. Weeks are UTC, like the audit lines' timestamps.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

MAX_WEEKS = 104  # two years
# A week counts as closed one hour after it ends: a line written at midnight, or by an instance
# whose clock runs a little behind, still lands in the week's last day file before it is read.
CLOSING_GRACE = timedelta(hours=1)


class PeriodError(ValueError):
    """The chosen period cannot be shown; the message is German and goes to the page as is."""


@dataclass(frozen=True)
class Weeks:
    first: date  # a Monday
    count: int

    def __post_init__(self) -> None:
        if self.first.isoweekday() != 1 or self.count < 1:
            raise ValueError(f"not a run of whole weeks: {self.first} x {self.count}")

    @property
    def last(self) -> date:
        """The Sunday of the last week."""
        return self.first + timedelta(days=7 * self.count - 1)

    def mondays(self) -> list[date]:
        return [self.first + timedelta(days=7 * i) for i in range(self.count)]

    def days(self) -> list[date]:
        return [self.first + timedelta(days=i) for i in range(7 * self.count)]

    def labels(self) -> list[str]:
        """German week labels, "KW 46/2026"."""
        out = []
        for monday in self.mondays():
            year, week, _ = monday.isocalendar()
            out.append(f"KW {week}/{year}")
        return out


def reference_day(now: datetime) -> date:
    """The "today" of the rule: weeks that ended before this day are closed at `now`."""
    return (now.astimezone(UTC) - CLOSING_GRACE).date()


def last_closed_sunday(today: date) -> date:
    """The Sunday that ended the most recent complete week before `today`."""
    return today - timedelta(days=today.isoweekday())


def whole_weeks(first: date, last: date, today: date) -> Weeks:
    """The closed weeks that cover first..last (widened to whole weeks, open weeks dropped)."""
    if first > last:
        raise PeriodError("Der Beginn liegt nach dem Ende des Zeitraums.")
    monday = first - timedelta(days=first.isoweekday() - 1)
    sunday = min(last + timedelta(days=7 - last.isoweekday()), last_closed_sunday(today))
    if sunday < monday:
        raise PeriodError(
            "Der Zeitraum enthält keine abgeschlossene Kalenderwoche. Zahlen gibt es nur für "
            "ganze Wochen, die bereits vorbei sind; die laufende Woche erscheint ab Montag."
        )
    count = (sunday - monday).days // 7 + 1
    if count > MAX_WEEKS:
        raise PeriodError("Der Zeitraum darf höchstens zwei Jahre (104 Wochen) umfassen.")
    return Weeks(monday, count)


def recent_weeks(today: date, count: int) -> Weeks:
    """The last `count` closed weeks: the default period of the page."""
    sunday = last_closed_sunday(today)
    return Weeks(sunday - timedelta(days=7 * count - 1), count)
