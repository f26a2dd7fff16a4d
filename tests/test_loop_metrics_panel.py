"""The close-the-loop dashboard: per unit and per month, scoped to the viewer, filtered, exported with n."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

import pytest
from django.utils import timezone

from harken.collect.models import Response
from harken.contacts.models import Contact
from harken.loop.models import Case, Status

HOUR = dt.timedelta(hours=1)


def make_case(org: Any, unit: Any, score: int, opened: dt.datetime, **times: float | None) -> Case:
    contact = times.pop("contact", None)
    response = Response.objects.create(
        survey=org.survey, unit=unit, touchpoint=org.delivery, score=score, contact=contact, submitted_at=opened
    )
    contact_after, close_after = times.get("contact_after"), times.get("close_after")
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


@pytest.fixture
def cases(org: Any) -> None:
    """North 1: three detractor cases (contacted after 1 h, 3 h and 12 h; the first two closed after 10 h and
    30 h; one customer came back as a promoter, one still a detractor).  South 1: one detractor case never
    contacted.  All opened 5 days ago."""
    opened = timezone.now() - dt.timedelta(days=5)
    won_back = Contact.objects.create(email="a@example.com")
    unhappy = Contact.objects.create(email="b@example.com")
    make_case(org, org.north_1, 2, opened, contact=won_back, contact_after=1, close_after=10)
    make_case(org, org.north_1, 4, opened, contact=unhappy, contact_after=3, close_after=30)
    make_case(org, org.north_1, 5, opened, contact_after=12)
    make_case(org, org.south_1, 6, opened)
    later = opened + 48 * HOUR
    Response.objects.create(survey=org.survey, unit=org.north_1, score=9, contact=won_back, submitted_at=later)
    Response.objects.create(survey=org.survey, unit=org.north_1, score=3, contact=unhappy, submitted_at=later)


def test_the_page_shows_each_figure_with_its_n(login: Any, cases: None) -> None:
    page = login("analyst").get("/loop/").content.decode()
    # All: 4 detractor cases, 2 within SLA (1 h, 3 h; 12 h is late) → 50.0 %; contact times 1, 3, 12 → 3.0 h.
    assert '<p class="loop-figure" data-testid="loop-sla">50.0 %</p>' in page
    assert "detractors contacted within SLA · n = 4" in page
    assert '<p class="loop-figure" data-testid="loop-contact">3.0 h</p>' in page
    assert "median time to first contact · n = 3" in page
    assert '<p class="loop-figure" data-testid="loop-close">20.0 h</p>' in page  # 10 and 30
    assert '<p class="loop-figure" data-testid="loop-recovery">50.0 %</p>' in page
    assert "recovered of re-surveyed customers · n = 2" in page


def test_the_export_has_one_row_per_unit_and_the_total(login: Any, cases: None) -> None:
    response = login("analyst").get("/export/loop-units.csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:5] == ["Unit", "Cases", "Detractor cases", "Contacted within SLA", "Share within SLA %"]
    assert rows[1] == ["North", "3", "3", "2", "66.7", "3", "3.0", "2", "20.0", "2", "1", "50.0"]
    assert rows[2] == ["South", "1", "1", "0", "0.0", "0", "", "0", "", "0", "0", ""]
    assert rows[3] == ["All", "4", "4", "2", "50.0", "3", "3.0", "2", "20.0", "2", "1", "50.0"]
    assert rows[4][0].startswith("# Period: ")
    xlsx = login("analyst").get("/export/loop-trend.xlsx")
    assert xlsx.status_code == 200 and xlsx["Content-Type"].startswith("application/vnd.openxmlformats")


def test_a_front_line_member_sees_only_their_units_cases(login: Any, cases: None) -> None:
    page = login("outsider").get("/loop/").content.decode()  # South 1
    assert "detractors contacted within SLA · n = 1" in page and "0.0 %" in page
    rows = list(csv.reader(io.StringIO(login("outsider").get("/export/loop-units.csv").content.decode("utf-8-sig"))))
    assert [row[:2] for row in rows[1:3]] == [["South 1", "1"], ["All", "1"]]


def test_filters_like_the_dashboards(org: Any, login: Any, cases: None) -> None:
    client = login("analyst")
    by_unit = client.get("/loop/", {"unit": org.north.pk}).content.decode()
    assert "detractors contacted within SLA · n = 3" in by_unit
    assert '<th scope="row" class="cell-name">North 1</th>' in by_unit
    support = client.get("/loop/", {"touchpoint": org.support.pk}).content.decode()
    assert "No cases were opened in this selection." in support
    old = client.get("/loop/", {"period": "custom", "from": "2020-01-01", "to": "2020-12-31"}).content.decode()
    assert "No cases were opened in this selection." in old
