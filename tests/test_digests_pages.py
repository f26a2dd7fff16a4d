"""The digest pages: subscribing, stopping, previewing, the administrators' page, the public unsubscribe, and
screenshots at phone and desktop widths."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse

from harken.reports.digests import emails, sending
from harken.reports.digests.models import DigestSend, Subscription
from tests.conftest import Org, screenshot


def subscribe(org: Org, name: str, **extra: Any) -> Subscription:
    fields = {"frequency": "weekly", "units": [], "time_zone": "Pacific/Auckland", "send_hour": 8}
    return sending.do_subscribe(user=org.users[name], **{**fields, **extra})


def test_a_manager_subscribes_to_a_weekly_digest_of_their_region(login: Any, org: Org) -> None:
    client = login("manager")
    form = {"frequency": "weekly", "units": [org.north.pk], "time_zone": "America/Los_Angeles", "send_hour": "7"}
    response = client.post(reverse("digests:mine"), form, follow=True)
    assert "Subscribed." in response.content.decode()
    [subscription] = Subscription.objects.filter(user=org.users["manager"])
    assert list(subscription.units.all()) == [org.north]
    assert (subscription.time_zone, subscription.send_hour, subscription.is_active) == ("America/Los_Angeles", 7, True)
    assert subscription.next_run_at.astimezone(dt.UTC).hour in (14, 15)  # 07:00 in Los Angeles (PDT or PST)


def test_units_outside_the_users_scope_are_refused_with_the_field_named(login: Any, org: Org) -> None:
    client = login("outsider")
    response = client.post(
        reverse("digests:mine"), {"frequency": "weekly", "units": [org.north.pk], "time_zone": "UTC", "send_hour": "8"}
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.context["form"].errors["units"][0]
    assert not Subscription.objects.exists()
    bad = client.post(reverse("digests:mine"), {"frequency": "hourly", "time_zone": "Mars/Base", "send_hour": "25"})
    assert set(bad.context["form"].errors) == {"frequency", "time_zone", "send_hour"}


def test_a_user_stops_and_resumes_only_their_own_digest(login: Any, org: Org) -> None:
    own = subscribe(org, "manager")
    other = subscribe(org, "analyst")
    client = login("manager")
    client.post(reverse("digests:change", args=[own.pk]), {"action": "stop"})
    own.refresh_from_db()
    assert own.is_active is False
    assert client.post(reverse("digests:change", args=[other.pk]), {"action": "stop"}).status_code == 404
    client.post(reverse("digests:change", args=[own.pk]), {"action": "resume"})
    own.refresh_from_db()
    assert own.is_active is True
    away = client.post(reverse("digests:change", args=[own.pk]), {"action": "stop", "next": "https://evil.example/"})
    assert away.url == reverse("digests:mine")  # never redirected off the site


def test_the_preview_shows_the_digest_in_the_browser(login: Any, org: Org) -> None:
    subscription = subscribe(org, "manager", frequency="monthly", units=[org.north])
    response = login("manager").get(reverse("digests:preview", args=[subscription.pk]) + "?period=current")
    html = response.content.decode()
    assert response.status_code == 200 and "North" in html and "Follow-up cases" in html
    assert login("outsider").get(reverse("digests:preview", args=[subscription.pk])).status_code == 404


def test_only_administrators_manage_others_subscriptions(login: Any, org: Org) -> None:
    assert login("manager").get(reverse("digests:manage")).status_code == 403
    client = login("admin")
    form = {
        "email": "board@acme.example",
        "name": "The board",
        "frequency": "monthly",
        "units": [org.acme.pk],
        "time_zone": "Europe/London",
        "send_hour": "9",
    }
    response = client.post(reverse("digests:manage"), form, follow=True)
    assert "board@acme.example is subscribed." in response.content.decode()
    subscription = Subscription.objects.get(email="board@acme.example")
    assert subscription.user is None and list(subscription.units.all()) == [org.acme]
    missing = client.post(reverse("digests:manage"), {**form, "email": "not an address", "units": []})
    assert set(missing.context["form"].errors) == {"email", "units"}


def test_the_unsubscribe_link_works_without_a_login_and_with_one_click(client: Any, org: Org) -> None:
    subscription = subscribe(org, "manager")
    url = reverse("digests:unsubscribe", args=[emails.unsubscribe_key(subscription.pk)])
    page = client.get(url)
    assert page.status_code == 200 and "Stop the weekly" in page.content.decode()
    subscription.refresh_from_db()
    assert subscription.is_active  # a GET (a mail scanner) changes nothing
    one_click = client.post(url, {"List-Unsubscribe": "One-Click"})
    assert one_click.status_code == 200 and "You are unsubscribed" in one_click.content.decode()
    subscription.refresh_from_db()
    assert not subscription.is_active
    assert client.get(reverse("digests:unsubscribe", args=["forged"])).status_code == 400


@pytest.mark.django_db(transaction=True)
def test_screenshots_of_the_digest_pages(browser_login: Any, org: Org, page: Any) -> None:
    from tests.test_digests import respond

    now = dt.datetime.now(dt.UTC)
    for score, comment in [(10, "The staff were friendly and quick"), (3, "Waited far too long at the till"), (9, "")]:
        respond(org, org.north_1, score, comment, now - dt.timedelta(days=2))
    org.users["admin"].email = "admin@acme.example"
    org.users["admin"].save()
    mine = subscribe(org, "admin", units=[org.north])
    sending.do_subscribe(
        frequency="monthly",
        units=[org.acme],
        time_zone="Europe/London",
        send_hour=9,
        email="board@acme.example",
        name="The board",
    )
    DigestSend.objects.create(
        subscription=mine,
        period_start=dt.date(2026, 11, 9),
        period_end=dt.date(2026, 11, 15),
        status="paused",
        note="Paused: no new feedback from 2026-11-09 to 2026-11-15; nothing was sent.",
        responses=0,
    )
    browser_login("admin")
    for width in (360, 1280):
        page.set_viewport_size({"width": width, "height": 800})
        page.goto("/digests/")
        screenshot(page, f"digests-mine-{width}")
        page.goto("/digests/manage/")
        screenshot(page, f"digests-manage-{width}")
        page.goto(f"/digests/{mine.pk}/preview/")
        screenshot(page, f"digests-email-{width}")
    page.goto("/digests/")
    assert page.get_by_role("cell", name="North").is_visible()
