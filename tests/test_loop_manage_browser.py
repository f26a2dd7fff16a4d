"""In a real browser: managing alert rules and webhooks, emailing a customer, the loop metrics, shout-outs."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from harken.collect.models import Response
from harken.contacts.models import Contact
from harken.integrations.webhooks.models import Delivery, Webhook
from harken.loop import alerts
from harken.loop.models import AlertRule, Case, LoopEmail
from harken.org.models import Employee
from harken.text.models import Theme
from harken.text.tagging import do_rebuild_links
from tests.conftest import screenshot


def test_a_manager_creates_tries_and_switches_off_a_rule(org: Any, browser_login: Any) -> None:
    staff = Theme.objects.create(name="Staff")
    Theme.objects.create(name="Rudeness", parent=staff, any_of="rude")
    do_rebuild_links()
    Webhook.objects.create(name="North Slack", url="https://hooks.slack.example/n", kind="slack", unit=org.north)
    page = browser_login("manager")
    page.goto("/alert-rules/")
    page.get_by_role("link", name="Add an excellence alert").wait_for()
    page.get_by_role("link", name="New rule").click()
    page.get_by_label("Name").fill("North detractors who mention staff")
    page.get_by_label("Detractors (0–6)").check()
    page.get_by_label("Lowest score").fill("12")
    page.get_by_role("button", name="Save rule").click()
    page.locator("#id_min_score-error").get_by_text("A score is from 0 to 10.").wait_for()
    page.locator("#id_unit-error").get_by_text("This field is required.").wait_for()
    screenshot(page, "loop-rule-errors-desktop")
    page.get_by_label("Lowest score").fill("")
    page.get_by_label("Unit", exact=True).select_option(label="\u2003North 1")
    page.get_by_role("button", name="Try it on the last 30 days").click()
    page.get_by_role("heading", name="Would have matched 3 of 10 responses").wait_for()
    page.get_by_label("Theme").select_option(label="\u2003Rudeness")
    page.get_by_label("Contact attributes").fill("revenue >= 100000")
    page.get_by_label("North Slack").check()
    screenshot(page, "loop-rule-form-desktop")
    page.set_viewport_size({"width": 360, "height": 740})
    screenshot(page, "loop-rule-form-360")
    page.get_by_role("button", name="Save rule").click()
    page.get_by_text("Saved “North detractors who mention staff”.").wait_for()
    screenshot(page, "loop-rules-360")
    page.set_viewport_size({"width": 1280, "height": 800})
    page.get_by_role("button", name="Switch off").click()
    page.get_by_text("is now off").wait_for()
    screenshot(page, "loop-rules-desktop")
    rule = AlertRule.objects.get()
    assert (rule.unit, rule.is_active, rule.attribute_conditions) == (
        org.north_1,
        False,
        [{"name": "revenue", "op": ">=", "value": 100000}],
    )
    assert [theme.name for theme in rule.themes.all()] == ["Rudeness"]
    assert [hook.name for hook in rule.webhooks.all()] == ["North Slack"]


def test_an_admin_adds_an_endpoint_copies_its_secret_and_redelivers(org: Any, browser_login: Any) -> None:
    page = browser_login("admin")
    page.goto("/webhooks/")
    page.get_by_role("link", name="New endpoint").click()
    page.get_by_label("Name").fill("Support desk")
    page.get_by_label("URL").fill("ftp://desk.example/")
    page.get_by_role("button", name="Create endpoint").click()
    page.get_by_text("Use an http:// or https:// address.").wait_for()
    page.get_by_label("URL").fill("https://desk.example/harken")
    page.get_by_label("Case opened").check()
    page.get_by_label("Case closed").check()
    page.get_by_role("button", name="Create endpoint").click()
    hook = Webhook.objects.get()
    page.get_by_test_id("secret").get_by_text(hook.secret).wait_for()
    for number, state in enumerate(["delivered", "failed", "queued"]):
        Delivery.objects.create(
            webhook=hook,
            event="case.opened",
            payload={"case_id": number},
            state=state,
            attempts=15 if state == "failed" else 1,
            last_status=200 if state == "delivered" else 503,
            last_error="" if state == "delivered" else "HTTP 503 Service Unavailable",
            log=[{"at": "2026-11-23T09:00:00+00:00", "attempt": 1, "status": 503, "error": "HTTP 503", "ms": 41}],
        )
    screenshot(page, "webhook-secret-desktop")
    page.reload()
    assert page.get_by_test_id("secret").count() == 0
    page.get_by_role("row", name="Failed").get_by_role("button", name="Redeliver").click()
    page.get_by_text("is queued again.").wait_for()
    screenshot(page, "webhook-log-desktop")
    page.set_viewport_size({"width": 360, "height": 740})
    screenshot(page, "webhook-log-360")
    page.goto("/webhooks/")
    screenshot(page, "webhooks-360")
    assert list(Delivery.objects.order_by("pk").values_list("state", flat=True)) == ["delivered", "queued", "queued"]


def test_the_owner_emails_the_customer_from_the_case_page(org: Any, browser_login: Any) -> None:
    manager = org.users["manager"]
    manager.email = "mia@acme.example"
    manager.save()
    AlertRule.objects.create(name="Detractor follow-up", categories=["detractor"])
    dana = Contact.objects.create(name="Dana Customer", email="dana@example.com")
    response = Response.objects.create(
        survey=org.survey, unit=org.north_1, score=3, comment="The parcel came a week late.", contact=dana
    )
    alerts.do_apply_rules(response.pk)
    case = Case.objects.get()
    page = browser_login("manager")
    page.goto(f"/cases/{case.pk}/")
    page.get_by_label("Subject").fill("")
    page.get_by_role("button", name="Send email").click()  # the browser refuses: the subject is required
    assert page.get_by_label("Subject").evaluate("input => input.validity.valueMissing") is True
    page.get_by_label("Subject").fill("Your late parcel")
    page.get_by_label("Message").fill("Dear Dana,\nI am sorry: a new parcel leaves today.\nMia")
    page.get_by_role("button", name="Send email").click()
    page.get_by_text("Your email is on its way").wait_for()
    page.get_by_text("Subject: Your late parcel").wait_for()
    screenshot(page, "loop-case-email-desktop")
    page.set_viewport_size({"width": 360, "height": 740})
    screenshot(page, "loop-case-email-360")
    email = LoopEmail.objects.get()
    assert (email.to, email.reply_to, email.state) == ("dana@example.com", "Manager <mia@acme.example>", "queued")
    case.refresh_from_db()
    assert case.first_contact_at is not None


def test_the_loop_metrics_and_the_shout_outs_read_well(org: Any, browser_login: Any) -> None:
    opened = timezone.now() - dt.timedelta(days=4)
    for unit, score, contact_after, close_after in [
        (org.north_1, 2, 1, 20),
        (org.north_1, 4, 30, None),
        (org.north_2, 5, 2, 6),
        (org.south_1, 1, None, None),
    ]:
        response = Response.objects.create(survey=org.survey, unit=unit, score=score, submitted_at=opened)
        Case.objects.create(
            response=response,
            unit=unit,
            title="t",
            opened_at=opened,
            due_at=opened + dt.timedelta(hours=8),
            first_contact_at=None if contact_after is None else opened + dt.timedelta(hours=contact_after),
            closed_at=None if close_after is None else opened + dt.timedelta(hours=close_after),
            status="closed" if close_after else "in_progress",
        )
    page = browser_login("analyst")
    page.goto("/loop/")
    page.get_by_test_id("loop-sla").get_by_text("50.0 %").wait_for()
    screenshot(page, "loop-metrics-desktop")
    page.set_viewport_size({"width": 360, "height": 740})
    screenshot(page, "loop-metrics-360")

    Employee.objects.create(name="Anna Schmidt", unit=org.north_1)
    AlertRule.objects.create(name="Excellence", categories=["promoter"], open_case=False, recognize=True)
    praise = Response.objects.create(
        survey=org.survey, unit=org.north_1, score=10, comment="Anna went out of her way to find my size. Thank you!"
    )
    alerts.do_apply_rules(praise.pk)
    page.context.clear_cookies()
    page = browser_login("frontline")
    page.goto("/my-unit/")
    page.get_by_role("heading", name="Shout-outs").wait_for()
    page.locator("#shoutouts").get_by_text("Anna Schmidt").wait_for()
    screenshot(page, "my-unit-shoutouts-360")
    page.set_viewport_size({"width": 1280, "height": 800})
    screenshot(page, "my-unit-shoutouts-desktop")
