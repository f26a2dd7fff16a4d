"""When digests go out and which period each covers: pure date arithmetic, no database.

Periods are calendar-true in the installation's time zone (DESIGN.md §4), like every report, so a digest's
numbers are the ones its reader finds on the dashboards for the same dates: a day, a week from Monday to
Sunday, or a calendar month.  A digest is sent at the subscriber's chosen hour in *their* time zone, on the
first such hour after its period has ended in the installation's zone — never before, so no response of
the period can arrive after the digest went out.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

from harken.analytics.periods import add_months

DAILY, WEEKLY, MONTHLY = "daily", "weekly", "monthly"


def period_containing(frequency: str, day: dt.date) -> tuple[dt.date, dt.date]:
    """(first, last) day of the day, Monday–Sunday week or calendar month that contains ``day``."""
    if frequency == DAILY:
        return day, day
    if frequency == WEEKLY:
        monday = day - dt.timedelta(days=day.weekday())
        return monday, monday + dt.timedelta(days=6)
    if frequency == MONTHLY:
        first = day.replace(day=1)
        return first, add_months(first, 1) - dt.timedelta(days=1)
    raise ValueError(f"Unknown digest frequency {frequency!r}; choose daily, weekly or monthly.")


def following(frequency: str, start: dt.date) -> dt.date:
    """The first day of the period after the one starting on ``start``."""
    return period_containing(frequency, start)[1] + dt.timedelta(days=1)


def period_end_moment(frequency: str, start: dt.date, installation_zone: str) -> dt.datetime:
    """The moment the period starting on ``start`` is over: midnight after its last day, installation time."""
    after = following(frequency, start)
    return dt.datetime.combine(after, dt.time(), zoneinfo.ZoneInfo(installation_zone))


def local_hour(day: dt.date, hour: int, zone: zoneinfo.ZoneInfo) -> dt.datetime:
    """``hour``:00 on ``day`` in ``zone``, as an aware moment in UTC.

    A wall-clock hour skipped by a daylight-saving change (02:00 on the spring-forward night in Los
    Angeles) does not exist; it is read with the offset before the change, which lands one hour later on the
    new clock (03:00).  A repeated hour (the autumn night) is taken at its first occurrence.  The result is
    in UTC because Python never calls a repeated wall-clock time equal to a moment in another zone (PEP 495).
    """
    return dt.datetime.combine(day, dt.time(hour)).replace(tzinfo=zone, fold=0).astimezone(dt.UTC)


def send_time(frequency: str, start: dt.date, time_zone: str, send_hour: int, installation_zone: str) -> dt.datetime:
    """The first ``send_hour``:00 in ``time_zone`` at or after the end of the period starting on ``start``."""
    zone = zoneinfo.ZoneInfo(time_zone)
    ends = period_end_moment(frequency, start, installation_zone).astimezone(dt.UTC)
    day = ends.astimezone(zone).date()
    candidate = local_hour(day, send_hour, zone)
    while candidate < ends:
        day += dt.timedelta(days=1)
        candidate = local_hour(day, send_hour, zone)
    return candidate


def first_period(frequency: str, today: dt.date) -> dt.date:
    """A new subscription's first digest covers the period in progress (it goes out when that ends)."""
    return period_containing(frequency, today)[0]


def latest_ended(frequency: str, start: dt.date, now: dt.datetime, installation_zone: str) -> dt.date:
    """The latest period, from ``start`` on, that has ended by ``now`` — to skip periods a stopped worker missed."""
    while period_end_moment(frequency, following(frequency, start), installation_zone) <= now:
        start = following(frequency, start)
    return start
