"""Metric alert pages: managers create rules for their units only, "evaluate now" tells without notifying,
the history, and screenshots at phone and desktop widths."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse

from harken.reports.metric_alerts.models import MetricAlertEvent, MetricAlertRule
from tests.conftest import Org, screenshot

FORM = {
    "name": "North below zero",
    "kind": "nps_below",
    "threshold": "0",
    "period_days": "30",
    "baseline": "week",
    "direction": "down",
    "days": "7",
    "min_sample": "30",
    "level": "0.05",
    "cooldown_hours": "24",
    "notify_owners": "on",
    "notify_emails": "",
    "is_active": "on",
}


def test_a_manager_creates_a_rule_for_their_region(login: Any, org: Org) -> None:
    client = login("manager")
    response = client.post(reverse("metric_alerts:new"), {**FORM, "unit": org.north.pk}, follow=True)
    rule = MetricAlertRule.objects.get()
    assert (rule.unit, rule.threshold, rule.created_by) == (org.north, 0.0, org.users["manager"])
    assert "Saved “North below zero”" in response.content.decode()


def test_a_manager_cannot_set_alerts_outside_their_subtree(login: Any, org: Org) -> None:
    response = login("manager").post(reverse("metric_alerts:new"), {**FORM, "unit": org.south.pk})
    assert "unit" in response.context["form"].errors and not MetricAlertRule.objects.exists()
    assert login("frontline").get(reverse("metric_alerts:new")).status_code == 403
    south = MetricAlertRule.objects.create(name="South", unit=org.south)
    assert login("manager").get(reverse("metric_alerts:rule", args=[south.pk])).status_code == 404


def test_bad_input_names_the_field(login: Any, org: Org) -> None:
    client = login("admin")
    form = {**FORM, "unit": org.north.pk, "threshold": "150", "level": "0.7", "notify_emails": "boss@acme, nope"}
    errors = client.post(reverse("metric_alerts:new"), form).context["form"].errors
    assert errors["threshold"] == ["NPS lies between −100 and 100."]
    assert errors["level"] == ["The significance level is a share between 0 and 0.5, e.g. 0.05 for 5%."]
    assert errors["notify_emails"] == ["'boss@acme' is not an email address."]
    theme = client.post(reverse("metric_alerts:new"), {**FORM, "unit": org.north.pk, "kind": "theme_rising"})
    assert theme.context["form"].errors["theme"] == ["Choose the theme to watch."]


def test_evaluate_now_shows_the_decision_without_notifying(login: Any, org: Org, settings: Any) -> None:
    settings.MIN_SAMPLE = 5
    rule = MetricAlertRule.objects.create(name="Quiet", unit=org.north, kind="no_feedback", days=1)
    response = login("manager").post(reverse("metric_alerts:evaluate", args=[rule.pk]))
    html = response.content.decode()
    assert "If it were checked now" in html and "Nobody was notified" in html
    assert "No feedback for 3 days (alert after 1)." in html
    rule.refresh_from_db()
    assert rule.state == "ok" and not MetricAlertEvent.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_screenshots_of_the_metric_alert_pages(browser_login: Any, org: Org, page: Any) -> None:
    now = dt.datetime.now(dt.UTC)
    low = MetricAlertRule.objects.create(
        name="North 1 below zero", unit=org.north_1, kind="nps_below", threshold=0, min_sample=5
    )
    MetricAlertRule.objects.create(name="North falling", unit=org.north, kind="nps_change", baseline="week")
    MetricAlertRule.objects.create(name="South silent", unit=org.south, kind="no_feedback", days=3, state="firing")
    MetricAlertEvent.objects.create(
        rule=low,
        window="2026-11-16..2026-11-22",
        message="NPS −50.0 (interval [−71.8, −19.1], n = 30) is below the threshold of 0.0.",
        details={"window": "16 Nov 2026 – 22 Nov 2026"},
        notified=["manager@acme.example"],
        at=now,
    )
    browser_login("admin")
    for width in (360, 1280):
        page.set_viewport_size({"width": width, "height": 800})
        page.goto("/metric-alerts/")
        screenshot(page, f"metric-alerts-{width}")
        page.goto(f"/metric-alerts/{low.pk}/")
        page.get_by_role("button", name="Evaluate now").click()
        page.wait_for_selector("#preview")
        screenshot(page, f"metric-alert-{width}")
        page.goto("/metric-alerts/new/")
        assert page.get_by_label("Threshold (NPS points)").is_visible()
        assert not page.get_by_label("Days without feedback").is_visible()  # only the chosen kind's settings
        screenshot(page, f"metric-alert-new-{width}")
    page.get_by_label("Alert when").select_option("no_feedback")
    assert page.get_by_label("Days without feedback").is_visible()
    page.get_by_label("Name").fill("North 2 silent")
    page.get_by_label("Unit (with everything below it)").select_option(label="— — North 2")
    page.get_by_label("Days without feedback").fill("5")
    page.get_by_role("button", name="Save").click()
    page.wait_for_selector("text=Saved “North 2 silent”")
    saved = MetricAlertRule.objects.get(name="North 2 silent")
    assert (saved.kind, saved.days, saved.unit) == ("no_feedback", 5, org.north_2)
