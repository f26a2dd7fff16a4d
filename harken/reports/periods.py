"""Report periods: a calendar quarter, month or year, or custom dates, with the periods they are compared to.

Pure date arithmetic (calendar days in the installation's time zone), built on ``harken.analytics.periods``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from harken.analytics import periods

KINDS = {"quarter": "Quarter", "month": "Month", "year": "Year", "custom": "Custom dates"}
SCHEDULE_KINDS = {"quarter": "Quarterly", "month": "Monthly", "year": "Yearly"}
MONTHS = {"quarter": 3, "month": 1, "year": 12}


class PeriodError(ValueError):
    """A period that cannot be reported on, with a message naming the field."""


@dataclass(frozen=True)
class ReportPeriod:
    """A period (both days inclusive) and its label; ``kind`` is quarter, month, year or custom."""

    kind: str
    start: dt.date
    end: dt.date

    @property
    def label(self) -> str:
        return label(self.kind, self.start, self.end)

    def previous(self) -> ReportPeriod:
        """The period just before, of the same calendar length (the quarter before, the month before …)."""
        start, end = periods.previous(self.start, self.end)
        return ReportPeriod(self.kind, start, end)

    def year_before(self) -> ReportPeriod | None:
        """The same days a year earlier — None for a year or longer (the previous period is already that)."""
        if (self.end - self.start).days >= 364:
            return None
        start, end = periods.year_before(self.start, self.end)
        return ReportPeriod(self.kind, start, end)

    @property
    def key(self) -> str:
        """A stable text key, e.g. for "sent once per period"."""
        return f"{self.start.isoformat()}/{self.end.isoformat()}"


def label(kind: str, start: dt.date, end: dt.date) -> str:
    """ "Q3 2026", "October 2026", "2026", or "1 Jan 2026 – 15 Feb 2026"."""
    if kind == "quarter":
        return f"Q{(start.month - 1) // 3 + 1} {start.year}"
    if kind == "month":
        return f"{start:%B %Y}"
    if kind == "year":
        return str(start.year)
    return f"{start.day} {start:%b %Y} – {end.day} {end:%b %Y}"


def containing(kind: str, day: dt.date) -> ReportPeriod:
    """The calendar quarter, month or year that contains ``day``."""
    if kind not in MONTHS:
        raise PeriodError(f"period: choose quarter, month or year, not {kind!r}.")
    if kind == "quarter":
        start = day.replace(month=3 * ((day.month - 1) // 3) + 1, day=1)
    elif kind == "month":
        start = day.replace(day=1)
    else:
        start = day.replace(month=1, day=1)
    end = periods.add_months(start, MONTHS[kind]) - dt.timedelta(days=1)
    return ReportPeriod(kind, start, end)


def last_complete(kind: str, today: dt.date) -> ReportPeriod:
    """The latest calendar quarter, month or year that has ended before ``today``."""
    return containing(kind, containing(kind, today).start - dt.timedelta(days=1))


def recent(kind: str, today: dt.date, count: int = 8) -> list[ReportPeriod]:
    """The current period (so far) and the ``count − 1`` before it, newest first — choices for the page."""
    found = [containing(kind, today)]
    while len(found) < count:
        found.append(containing(kind, found[-1].start - dt.timedelta(days=1)))
    return found


def parse(kind: str, start: str, end: str, today: dt.date) -> ReportPeriod:
    """The period a form or URL names: ``kind`` plus its first day (or both days for custom dates)."""
    if kind not in KINDS:
        raise PeriodError(f"period: choose one of {', '.join(KINDS)}, not {kind!r}.")
    try:
        first = dt.date.fromisoformat(start) if start else None
    except ValueError as error:
        raise PeriodError(f"from: write the date as 2026-07-01, not {start!r}.") from error
    if kind != "custom":
        return containing(kind, first) if first else last_complete(kind, today)
    try:
        last = dt.date.fromisoformat(end)
    except ValueError as error:
        raise PeriodError(f"to: write the date as 2026-09-30, not {end!r}.") from error
    if first is None:
        raise PeriodError("from: custom dates need a first day.")
    if first > last:
        raise PeriodError(f"to: the period ends ({last}) before it starts ({first}).")
    return ReportPeriod("custom", first, last)
