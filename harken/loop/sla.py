"""Due times counted in business hours of a unit's time zone (a pure function).

Business hours are ``start``–``end`` local time on the weekdays in ``days`` (Monday = 0).  Counting starts at
the moment the case opens; time outside business hours does not count.  Local wall-clock times are converted
with ``zoneinfo``, so a daylight-saving change moves the UTC result, not the local opening hours.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass


@dataclass(frozen=True)
class BusinessHours:
    """Opening hours: Monday–Friday 09:00–17:00 unless told otherwise."""

    start: dt.time = dt.time(9)
    end: dt.time = dt.time(17)
    days: frozenset[int] = frozenset({0, 1, 2, 3, 4})

    def __post_init__(self) -> None:
        if self.end <= self.start:
            raise ValueError("Business hours must end after they start on the same day.")
        if not self.days or not self.days <= set(range(7)):
            raise ValueError("Business days are weekday numbers 0 (Monday) to 6 (Sunday).")


def due_at(opened: dt.datetime, hours: float, time_zone: str, business: BusinessHours | None = None) -> dt.datetime:
    """The aware moment when ``hours`` business hours have passed since ``opened`` (aware), in UTC.

    Example: opened Friday 16:00 in Europe/Berlin with an 8-hour SLA → 1 hour on Friday, 7 on Monday →
    Monday 16:00 Berlin time.
    """
    if opened.tzinfo is None:
        raise ValueError("opened must be an aware datetime")
    if hours < 0:
        raise ValueError("hours must be ≥ 0")
    business = business or BusinessHours()
    zone = zoneinfo.ZoneInfo(time_zone)
    local = opened.astimezone(zone).replace(tzinfo=None)  # wall-clock time
    remaining = dt.timedelta(hours=hours)
    day = local.date()
    for _ in range(3660):  # ten years of days: a bound, never reached with sane SLAs
        if day.weekday() in business.days:
            window_start = dt.datetime.combine(day, business.start)
            window_end = dt.datetime.combine(day, business.end)
            begin = max(window_start, local)
            if begin < window_end:
                available = window_end - begin
                if remaining <= available:
                    return _aware(begin + remaining, zone)
                remaining -= available
        day += dt.timedelta(days=1)
        local = dt.datetime.combine(day, dt.time())
    raise ValueError("No business hours in ten years: check the business days")


def _aware(wall_clock: dt.datetime, zone: zoneinfo.ZoneInfo) -> dt.datetime:
    return wall_clock.replace(tzinfo=zone).astimezone(dt.UTC)
