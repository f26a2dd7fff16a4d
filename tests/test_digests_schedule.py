"""When digests go out: the first send hour in the subscriber's zone after the period ends in the installation's.

Hand-checked against the IANA rules: New Zealand is UTC+13 (NZDT) until 03:00 on Sunday 5 April 2026, then
UTC+12 (NZST); Los Angeles is UTC−8 (PST) until 02:00 on Sunday 8 March 2026, then UTC−7 (PDT).
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest

from harken.reports.digests import schedule

UTC = dt.UTC


def utc(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


def local(moment: dt.datetime, zone: str) -> str:
    return moment.astimezone(zoneinfo.ZoneInfo(zone)).isoformat()


def test_periods_are_a_day_a_monday_to_sunday_week_or_a_calendar_month() -> None:
    thursday = dt.date(2026, 11, 19)
    assert schedule.period_containing("daily", thursday) == (thursday, thursday)
    assert schedule.period_containing("weekly", thursday) == (dt.date(2026, 11, 16), dt.date(2026, 11, 22))
    assert schedule.period_containing("monthly", dt.date(2024, 2, 10)) == (dt.date(2024, 2, 1), dt.date(2024, 2, 29))
    assert schedule.following("monthly", dt.date(2026, 12, 1)) == dt.date(2027, 1, 1)
    with pytest.raises(ValueError, match="daily, weekly or monthly"):
        schedule.period_containing("hourly", thursday)


def test_an_auckland_reader_gets_the_week_on_tuesday_morning_when_the_installation_runs_on_utc() -> None:
    # The week 16–22 Nov ends at 00:00 UTC on Monday 23 Nov = 13:00 NZDT, after 08:00: so Tuesday 08:00 NZDT.
    sent = schedule.send_time("weekly", dt.date(2026, 11, 16), "Pacific/Auckland", 8, "UTC")
    assert sent == utc(2026, 11, 23, 19, 0)
    assert local(sent, "Pacific/Auckland") == "2026-11-24T08:00:00+13:00"


def test_a_los_angeles_reader_gets_the_same_week_on_monday_morning() -> None:
    # 00:00 UTC on Monday 23 Nov = 16:00 PST on Sunday: the next 08:00 is Monday's.
    sent = schedule.send_time("weekly", dt.date(2026, 11, 16), "America/Los_Angeles", 8, "UTC")
    assert sent == utc(2026, 11, 23, 16, 0)
    assert local(sent, "America/Los_Angeles") == "2026-11-23T08:00:00-08:00"


def test_the_spring_forward_night_in_los_angeles() -> None:
    # Saturday 7 March ends at 00:00 PST on Sunday 8 March (08:00 UTC); 08:00 that morning is already PDT (15:00 UTC).
    assert schedule.send_time("daily", dt.date(2026, 3, 7), "America/Los_Angeles", 8, "America/Los_Angeles") == utc(
        2026, 3, 8, 15, 0
    )
    # 02:00 does not exist that night: the digest goes at 03:00 PDT (10:00 UTC), not an hour early or a day late.
    sent = schedule.send_time("daily", dt.date(2026, 3, 7), "America/Los_Angeles", 2, "America/Los_Angeles")
    assert sent == utc(2026, 3, 8, 10, 0) and local(sent, "America/Los_Angeles") == "2026-03-08T03:00:00-07:00"
    # The day after, 08:00 PDT is 15:00 UTC again: exactly 23 hours after the previous send.
    assert schedule.send_time("daily", dt.date(2026, 3, 8), "America/Los_Angeles", 8, "America/Los_Angeles") == utc(
        2026, 3, 9, 15, 0
    )


def test_the_autumn_night_in_auckland() -> None:
    # 4 April ends at 00:00 NZDT on 5 April (11:00 UTC on the 4th); 08:00 that day is NZST (20:00 UTC on the 4th).
    assert schedule.send_time("daily", dt.date(2026, 4, 4), "Pacific/Auckland", 8, "Pacific/Auckland") == utc(
        2026, 4, 4, 20, 0
    )
    # 02:00 happens twice that night: the first one (still NZDT, 13:00 UTC) is used, so it is sent once.
    sent = schedule.send_time("daily", dt.date(2026, 4, 4), "Pacific/Auckland", 2, "Pacific/Auckland")
    assert sent == utc(2026, 4, 4, 13, 0) and local(sent, "Pacific/Auckland") == "2026-04-05T02:00:00+13:00"


def test_a_monthly_digest_waits_for_the_month_to_end_everywhere() -> None:
    # November ends at 00:00 UTC on 1 December = 13:00 NZDT: Auckland gets it on 2 December at 08:00.
    assert schedule.send_time("monthly", dt.date(2026, 11, 1), "Pacific/Auckland", 8, "UTC") == utc(2026, 12, 1, 19)
    assert schedule.send_time("monthly", dt.date(2026, 11, 1), "America/Los_Angeles", 8, "UTC") == utc(2026, 12, 1, 16)


def test_a_stopped_worker_catches_up_with_the_latest_ended_period_only() -> None:
    now = utc(2026, 11, 23, 19, 0)  # Monday evening
    assert schedule.latest_ended("weekly", dt.date(2026, 11, 2), now, "UTC") == dt.date(2026, 11, 16)
    assert schedule.latest_ended("daily", dt.date(2026, 11, 20), now, "UTC") == dt.date(2026, 11, 22)
    assert schedule.latest_ended("weekly", dt.date(2026, 11, 23), now, "UTC") == dt.date(2026, 11, 23)  # not yet over


def test_period_names_read_naturally() -> None:
    from harken.reports.digests.content import period_heading, period_label

    assert period_label("weekly", dt.date(2024, 3, 4), dt.date(2024, 3, 10)) == "Week of 4 Mar 2024"
    assert period_heading("weekly", dt.date(2024, 3, 4), dt.date(2024, 3, 10)) == "4 – 10 Mar 2024"
    assert period_heading("weekly", dt.date(2024, 2, 26), dt.date(2024, 3, 3)) == "26 Feb – 3 Mar 2024"
    assert period_heading("weekly", dt.date(2024, 12, 30), dt.date(2025, 1, 5)) == "30 Dec 2024 – 5 Jan 2025"
    assert period_heading("daily", dt.date(2026, 11, 22), dt.date(2026, 11, 22)) == "Sunday 22 Nov 2026"
    assert period_heading("monthly", dt.date(2026, 11, 1), dt.date(2026, 11, 30)) == "November 2026"
