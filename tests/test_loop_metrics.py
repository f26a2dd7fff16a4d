"""Close-the-loop metrics: contacted within SLA, median times, and recovery of re-surveyed customers."""

from __future__ import annotations

import datetime as dt
from typing import Any

from harken.collect.models import Response
from harken.contacts.models import Contact
from harken.loop.metrics import loop_metrics
from harken.loop.models import Case, Status

OPENED = dt.datetime(2026, 11, 2, 9, tzinfo=dt.UTC)  # a Monday
HOUR = dt.timedelta(hours=1)


def make_case(
    org: Any,
    score: int,
    *,
    contact: Contact | None = None,
    contact_after: float | None = None,
    close_after: float | None = None,
    unit: Any = None,
    opened: dt.datetime = OPENED,
) -> Case:
    unit = unit or org.north_1
    response = Response.objects.create(survey=org.survey, unit=unit, score=score, contact=contact, submitted_at=opened)
    return Case.objects.create(
        response=response,
        unit=unit,
        title="t",
        opened_at=opened,
        due_at=opened + 8 * HOUR,
        first_contact_at=None if contact_after is None else opened + contact_after * HOUR,
        closed_at=None if close_after is None else opened + close_after * HOUR,
        status=Status.CLOSED if close_after is not None else Status.IN_PROGRESS,
    )


def test_it_measures_sla_compliance_median_times_and_recovery(org: Any) -> None:
    won_back = Contact.objects.create(email="a@example.com")
    still_unhappy = Contact.objects.create(email="b@example.com")
    make_case(org, 2, contact=won_back, contact_after=1, close_after=10)
    make_case(org, 4, contact=still_unhappy, contact_after=3, close_after=30)
    make_case(org, 5, contact_after=12)  # contacted after the 8-hour due time, still open
    make_case(org, 7, contact_after=2, close_after=4)  # a passive's case: not in the SLA share
    make_case(org, 6, unit=org.south_1)  # another unit
    # Re-surveyed after their cases closed: one moved up to promoter, one stayed a detractor.
    Response.objects.create(
        survey=org.survey, unit=org.north_1, score=9, contact=won_back, submitted_at=OPENED + 48 * HOUR
    )
    Response.objects.create(
        survey=org.survey, unit=org.north_1, score=3, contact=still_unhappy, submitted_at=OPENED + 48 * HOUR
    )

    north_1, south_1 = loop_metrics(Case.objects.all(), "unit")
    assert north_1.group == org.north_1.pk
    assert (north_1.cases, north_1.detractor_cases, north_1.contacted_within_sla) == (4, 3, 2)
    assert north_1.share_contacted_within_sla == 2 / 3
    assert north_1.median_hours_to_first_contact == 2.5  # 1, 2, 3, 12
    assert north_1.median_hours_to_close == 10  # 4, 10, 30
    assert (north_1.closed, north_1.resurveyed, north_1.recovered) == (3, 2, 1)
    assert north_1.recovery_rate == 0.5
    assert (south_1.cases, south_1.contacted_within_sla, south_1.median_hours_to_first_contact) == (1, 0, None)
    assert south_1.recovery_rate is None


def test_it_groups_by_month(org: Any) -> None:
    make_case(org, 1, contact_after=1)
    make_case(org, 1, contact_after=9, opened=OPENED + dt.timedelta(days=30))
    november, december = loop_metrics(Case.objects.all(), "month")
    assert (november.group.month, november.contacted_within_sla) == (11, 1)
    assert (december.group.month, december.contacted_within_sla, december.detractor_cases) == (12, 0, 1)


def test_the_api_gives_the_metrics_of_the_callers_units_only(client: Any, org: Any) -> None:
    from harken.api.keys import do_create_key

    make_case(org, 1, contact_after=1)
    make_case(org, 1, unit=org.south_1)
    headers = {"Authorization": f"Bearer {do_create_key(org.users['outsider'], 'k', 'read')[1]}"}
    rows = client.get("/api/v1/cases/metrics", headers=headers).json()
    assert [(row["group"], row["cases"], row["share_contacted_within_sla"]) for row in rows] == [
        (str(org.south_1.pk), 1, 0.0)
    ]
    by_month = client.get("/api/v1/cases/metrics", {"group": "month"}, headers=headers).json()
    assert [row["group"] for row in by_month] == ["2026-11"]
