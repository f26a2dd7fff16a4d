"""Calendar-true periods: presets, the previous period and the same period a year before (DESIGN.md §4).

Pure date arithmetic on calendar days in the installation's time zone; no database.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

PRESETS = {
    "7d": "Last 7 days",
    "30d": "Last 30 days",
    "90d": "Last 90 days",
    "12m": "Last 12 months",
    "mtd": "This month",
    "qtd": "This quarter",
    "ytd": "This year",
    "last_month": "Last month",
    "last_quarter": "Last quarter",
    "last_year": "Last year",
    "all": "All time",
    "custom": "Custom dates",
}
DEFAULT = "12m"


@dataclass(frozen=True)
class Period:
    """A preset code and its first and last day (both inclusive; None for an open end)."""

    code: str
    start: dt.date | None
    end: dt.date | None

    @property
    def label(self) -> str:
        if self.code == "custom" and self.start and self.end:
            return f"{self.start:%d %b %Y} – {self.end:%d %b %Y}"
        return PRESETS[self.code]


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` moved by whole calendar months, clipped to the month's last day (31 Mar − 1 month = 28/29 Feb)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    last = (dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)).day
    return dt.date(year, month, min(day.day, last))


def preset(code: str, today: dt.date) -> Period:
    """The period a preset names, ending today (or at the end of the last whole month, quarter, year)."""
    quarter_start = today.replace(month=3 * ((today.month - 1) // 3) + 1, day=1)
    days = {"7d": 7, "30d": 30, "90d": 90}
    if code in days:
        return Period(code, today - dt.timedelta(days=days[code] - 1), today)
    if code == "12m":
        return Period(code, today - dt.timedelta(days=364), today)
    if code == "mtd":
        return Period(code, today.replace(day=1), today)
    if code == "qtd":
        return Period(code, quarter_start, today)
    if code == "ytd":
        return Period(code, today.replace(month=1, day=1), today)
    if code == "last_month":
        first = add_months(today.replace(day=1), -1)
        return Period(code, first, today.replace(day=1) - dt.timedelta(days=1))
    if code == "last_quarter":
        return Period(code, add_months(quarter_start, -3), quarter_start - dt.timedelta(days=1))
    if code == "last_year":
        return Period(code, dt.date(today.year - 1, 1, 1), dt.date(today.year - 1, 12, 31))
    if code == "all":
        return Period(code, None, None)
    raise ValueError(f"Unknown period {code!r}")


def previous(start: dt.date, end: dt.date) -> tuple[dt.date, dt.date]:
    """The period just before, of the same calendar length.

    A period starting on the 1st moves back by whole months (this month so far → the same days of last
    month; a quarter → the quarter before); any other period moves back by its number of days.
    """
    if start.day == 1:
        months = (end.year - start.year) * 12 + end.month - start.month + 1
        new_start = add_months(start, -months)
        last_day_whole = (end + dt.timedelta(days=1)).day == 1
        new_end = add_months(start, 0) - dt.timedelta(days=1) if last_day_whole else add_months(end, -months)
        return new_start, new_end
    length = (end - start).days + 1
    return start - dt.timedelta(days=length), start - dt.timedelta(days=1)


def year_before(start: dt.date, end: dt.date) -> tuple[dt.date, dt.date]:
    """The same calendar days one year earlier (29 February becomes the 28th)."""
    return add_months(start, -12), add_months(end, -12)
