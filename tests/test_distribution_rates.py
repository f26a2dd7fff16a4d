"""Response rates: the funnel per survey, touchpoint and unit on a hand-built set of invitations, counted by hand.

The invitations (sent five days ago unless said otherwise):

| # | survey  | unit    | touchpoint | channel | what happened                         |
|---|---------|---------|------------|---------|---------------------------------------|
| 1 | A       | North 1 | Delivery   | email   | delivered, opened (pixel)             |
| 2 | A       | North 1 | Delivery   | email   | delivered, clicked, answered          |
| 3 | A       | North 2 | Delivery   | email   | delivered, answered (no click seen)   |
| 4 | A       | North 2 | Delivery   | email   | refused by the server: hard bounce    |
| 5 | Support | South 1 | Support    | email   | delivered, then a hard bounce report  |
| 6 | Support | South 1 | Support    | email   | delivered, a delayed report (soft)    |
| 7 | Support | North 1 | —          | sms     | delivered, clicked (short link)       |
| 8 | A       | North 1 | Delivery   | email   | delivered, answered — 400 days ago    |
| 9 | A       | North 1 | Delivery   | email   | still scheduled                       |
| 10| A       | North 1 | Delivery   | api     | "sent" through the API: not ours      |
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from harken.analytics.queries import Filters
from harken.contacts.models import Contact
from harken.distribution import rates
from harken.distribution.models import Invitation, SurveyTracking
from harken.surveys.models import Survey
from tests.conftest import screenshot

FUNNEL_KEYS = ("sent", "delivered", "opened", "clicked", "answered", "bounced", "deferred")


def funnel(*values: int) -> rates.Funnel:
    return rates.Funnel(**dict(zip(FUNNEL_KEYS, values, strict=True)))


@pytest.fixture
def dataset(org: Any) -> dict[str, Any]:
    now = timezone.now()
    sent = now - dt.timedelta(days=5)
    later = sent + dt.timedelta(hours=2)
    support = Survey.objects.create(name="Support survey", slug="support", touchpoint=org.support)
    H, S = Invitation.Bounce.HARD, Invitation.Bounce.SOFT
    rows: list[tuple[Any, Any, Any, str, str, dict[str, Any]]] = [
        (org.survey, org.north_1, org.delivery, "email", "sent", dict(delivered_at=sent, opened_at=later)),
        (
            org.survey,
            org.north_1,
            org.delivery,
            "email",
            "answered",
            dict(delivered_at=sent, opened_at=later, clicked_at=later, answered_at=later),
        ),
        (
            org.survey,
            org.north_2,
            org.delivery,
            "email",
            "answered",
            dict(delivered_at=sent, opened_at=later, answered_at=later),
        ),
        (org.survey, org.north_2, org.delivery, "email", "failed", dict(bounce=H, bounced_at=sent)),
        (support, org.south_1, org.support, "email", "bounced", dict(delivered_at=sent, bounce=H, bounced_at=later)),
        (support, org.south_1, org.support, "email", "sent", dict(delivered_at=sent, bounce=S, bounced_at=later)),
        (support, org.north_1, None, "sms", "sent", dict(delivered_at=sent, clicked_at=later, opened_at=later)),
    ]
    for n, (survey, unit, touchpoint, channel, status, extra) in enumerate(rows, start=1):
        contact = Contact.objects.create(email=f"c{n}@example.com", home_unit=unit)
        Invitation.objects.create(
            survey=survey, contact=contact, unit=unit, touchpoint=touchpoint, channel=channel, status=status,
            scheduled_at=sent, sent_at=sent, attempts=1, **extra,
        )  # fmt: skip
    old = now - dt.timedelta(days=400)
    contact = Contact.objects.create(email="c8@example.com", home_unit=org.north_1)
    common: dict[str, Any] = dict(survey=org.survey, contact=contact, unit=org.north_1, touchpoint=org.delivery)
    Invitation.objects.create(
        **common, status="answered", scheduled_at=old, sent_at=old, delivered_at=old, answered_at=old
    )
    Invitation.objects.create(**common, status="scheduled", scheduled_at=now + dt.timedelta(days=1))
    Invitation.objects.create(**common, channel="api", status="sent", scheduled_at=sent, sent_at=sent)
    return {"support": support}


def last_30_days() -> Filters:
    today = timezone.localdate()
    return Filters(start=today - dt.timedelta(days=29), end=today)


def test_the_funnel_counts_each_stage_reached_by_hand(dataset: Any) -> None:
    total = rates.total(last_30_days())
    assert total == funnel(7, 6, 4, 3, 2, 2, 1)
    assert total.response_rate == pytest.approx(2 / 7) and total.bounce_rate == pytest.approx(2 / 7)
    assert rates.total(Filters()) == funnel(8, 7, 5, 4, 3, 2, 1)  # all time: number 8 too


def test_the_funnel_per_survey_touchpoint_and_unit(org: Any, dataset: Any) -> None:
    period = last_30_days()
    assert [(r.label, r.funnel) for r in rates.by("survey", period)] == [
        ("Acme relationship survey", funnel(4, 3, 3, 2, 2, 1, 0)),
        ("Support survey", funnel(3, 3, 1, 1, 0, 1, 1)),
    ]
    assert [(r.key, r.label, r.funnel) for r in rates.by("touchpoint", period)] == [
        (org.delivery.pk, "Delivery", funnel(4, 3, 3, 2, 2, 1, 0)),
        (org.support.pk, "Support", funnel(2, 2, 0, 0, 0, 1, 1)),
        (None, "No touchpoint", funnel(1, 1, 1, 1, 0, 0, 0)),
    ]
    assert [(r.label, r.funnel) for r in rates.by("unit", period)] == [
        ("North 1", funnel(3, 3, 3, 2, 1, 0, 0)),
        ("North 2", funnel(2, 1, 1, 1, 1, 1, 0)),
        ("South 1", funnel(2, 2, 0, 0, 0, 1, 1)),
    ]


def test_rates_are_limited_to_the_viewers_units_and_the_filters(org: Any, dataset: Any) -> None:
    period = last_30_days()
    assert rates.total(period, org.users["manager"]) == funnel(5, 4, 4, 3, 2, 1, 0)
    assert rates.total(period, org.users["outsider"]) == funnel(2, 2, 0, 0, 0, 1, 1)
    assert rates.total(period, org.users["newcomer"]) == funnel(0, 0, 0, 0, 0, 0, 0)
    assert rates.total(Filters(start=period.start, end=period.end, unit=org.north_2)) == funnel(2, 1, 1, 1, 1, 1, 0)
    assert rates.total(Filters(start=period.start, end=period.end, channels=("sms",))) == funnel(1, 1, 1, 1, 0, 0, 0)
    surveys = (dataset["support"].pk,)
    assert rates.total(Filters(start=period.start, end=period.end, surveys=surveys)).sent == 3


def test_nothing_sent_has_no_rate_rather_than_zero() -> None:
    empty = rates.Funnel()
    assert empty.response_rate is None and empty.bounce_rate is None
    with pytest.raises(ValueError, match="narrows"):
        rates.Funnel(sent=1, delivered=2)


def test_the_api_gives_the_same_numbers(login: Any, org: Any, dataset: Any) -> None:
    client = login("analyst")
    body = client.get("/api/v1/response-rates", {"group": "unit", "period": "30d"}).json()
    assert body["total"] == {
        "sent": 7, "delivered": 6, "opened": 4, "clicked": 3, "answered": 2, "bounced": 2, "deferred": 1,
        "response_rate": pytest.approx(2 / 7), "bounce_rate": pytest.approx(2 / 7),
    }  # fmt: skip
    assert [(row["id"], row["name"], row["funnel"]["sent"]) for row in body["rows"]] == [
        (org.north_1.pk, "North 1", 3),
        (org.north_2.pk, "North 2", 2),
        (org.south_1.pk, "South 1", 2),
    ]
    assert body["period_end"] == str(timezone.localdate())


def test_the_api_names_a_bad_grouping_and_refuses_an_unseen_unit(login: Any, org: Any, dataset: Any) -> None:
    client = login("outsider")
    bad = client.get("/api/v1/response-rates", {"group": "colour"})
    assert bad.status_code == 422 and "group" in bad.json()["detail"]
    unseen = client.get("/api/v1/response-rates", {"unit": org.north_1.pk})
    assert unseen.status_code == 422 and "not yours to see" in unseen.json()["detail"]
    body = client.get("/api/v1/response-rates", {"group": "survey", "period": "30d"}).json()
    assert [(row["name"], row["funnel"]["sent"]) for row in body["rows"]] == [("Support survey", 2)]


def test_the_page_shows_the_viewers_funnel_and_tables(login: Any, org: Any, dataset: Any) -> None:
    html = login("manager").get("/sending/rates/", {"period": "30d"}).content.decode()
    assert "5 sent" in html
    assert '<strong>80.0%</strong> <span class="muted">4</span>' in html  # delivered 4 of 5
    assert '<strong>40.0%</strong> <span class="muted">2</span>' in html  # answered 2 of 5
    assert "North 1" in html and "South 1" not in html and "Open tracking" not in html
    unit_row = html.split('id="rates-unit"')[1].split("</table>")[0]
    assert '<th scope="row">North 2</th><td class="num">2</td>' in unit_row
    assert '50.0% <span class="muted">(1)</span>' in unit_row


def test_only_organisation_administrators_switch_the_open_pixel(login: Any, org: Any, dataset: Any) -> None:
    support = dataset["support"]
    assert login("manager").post("/sending/rates/", {"open_pixel": [support.pk]}).status_code == 403
    client = login("admin")
    page = client.get("/sending/rates/").content.decode()
    assert "Open tracking" in page and "Privacy" in page
    response = client.post("/sending/rates/", {"open_pixel": [support.pk]})
    assert response.status_code == 302 and response["Location"].endswith("?saved=1#tracking")
    assert list(SurveyTracking.objects.filter(open_pixel=True).values_list("survey_id", flat=True)) == [support.pk]
    client.post("/sending/rates/", {})
    assert not SurveyTracking.objects.filter(open_pixel=True).exists()


@pytest.mark.browser
def test_the_rates_page_reads_well_on_a_phone_and_a_desktop(browser_login: Any, org: Any, dataset: Any) -> None:
    page = browser_login("admin")
    page.goto("/sending/rates/?period=30d")
    page.get_by_role("heading", name="Response rates").wait_for()
    screenshot(page, "rates-desktop")
    page.set_viewport_size({"width": 360, "height": 740})
    screenshot(page, "rates-phone")
    page.set_viewport_size({"width": 1280, "height": 800})
    page.get_by_label("Unit", exact=True).select_option(label="\u2003\u2003North 2")
    page.locator("#panels").get_by_text("2 sent").wait_for()
    assert "unit=" in page.url
