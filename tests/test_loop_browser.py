"""Working a case in a real browser: from the inbox to closed."""

from __future__ import annotations

import re
from typing import Any

from harken.collect.models import Response
from harken.contacts.models import Contact
from harken.loop import alerts
from harken.loop.models import AlertRule, Case, Status
from harken.text.models import Theme
from tests.conftest import screenshot


def test_a_manager_works_a_case_from_the_inbox_to_closed(org: Any, browser_login: Any) -> None:
    AlertRule.objects.create(name="Detractor follow-up", categories=["detractor"], sla_hours=8)
    logistics = Theme.objects.create(name="Logistics")
    late = Theme.objects.create(name="Late delivery", parent=logistics)
    contact = Contact.objects.create(name="Dana Customer", email="dana@example.com", attributes={"plan": "Gold"})
    response = Response.objects.create(
        survey=org.survey, unit=org.north_1, score=3, comment="The parcel came a week late.", contact=contact
    )
    alerts.do_apply_rules(response.pk)
    case = Case.objects.get()

    page = browser_login("manager")
    page.get_by_role("link", name="Cases").click()
    page.wait_for_url("**/cases/")
    screenshot(page, "loop-inbox-desktop")
    page.get_by_role("link", name=case.title).click()
    page.get_by_text("The parcel came a week late.").wait_for()
    page.get_by_label("Status").select_option("in_progress")
    page.get_by_label("Note with this change").fill("Called Dana, parcel re-sent.")
    page.get_by_role("button", name="Save status").click()
    page.get_by_text("Case is now in progress.").wait_for()
    page.get_by_label("Status").select_option("resolved")
    page.get_by_role("button", name="Save status").click()
    page.get_by_label("Status").select_option("closed")
    page.get_by_role("button", name="Save status").click()
    page.get_by_text("Choose a root cause before closing the case.").wait_for()
    page.get_by_label("Status").select_option("closed")
    page.get_by_label("Root cause").select_option(str(late.pk))
    page.get_by_label("Outcome").select_option("recovered")
    page.get_by_role("button", name="Save status").click()
    page.get_by_text("Case is now closed.").wait_for()
    screenshot(page, "loop-case-desktop")
    page.set_viewport_size({"width": 360, "height": 740})
    screenshot(page, "loop-case-360")
    page.goto("/cases/?status=all")
    screenshot(page, "loop-inbox-360")

    case.refresh_from_db()
    assert (case.status, case.root_cause, case.outcome) == (Status.CLOSED, late, "recovered")
    assert list(case.events.values_list("actor__username", flat=True)) == [
        None,
        "manager",
        "manager",
        "manager",
        "manager",
    ]


def test_the_actions_page_reads_well_on_a_phone(org: Any, browser_login: Any) -> None:
    import datetime as dt

    from django.utils import timezone

    from harken.loop.models import Action, Milestone

    today = timezone.localdate()
    action = Action.objects.create(
        name="Call back every detractor within a day",
        theme=Theme.objects.create(name="Slow follow-up"),
        started_on=today,
        window_days=30,
    )
    action.units.set([org.north])
    Milestone.objects.create(action=action, title="Train store managers", due_on=today + dt.timedelta(days=7))
    page = browser_login("manager")
    page.goto("/actions/")
    page.get_by_role("heading", name="Call back every detractor within a day").wait_for()
    # The org fixture's answers 3 days ago are all before the start: North (9, 5, 7) n=21 → +9.5.
    assert page.get_by_role("row", name=re.compile(r"^Before \(")).inner_text().split()[-2:] == ["21", "9.5"]
    # No comments on either side: the theme's share cannot be compared yet.
    page.get_by_text("Not enough comments on both sides yet to compare the theme's share.").wait_for()
    screenshot(page, "loop-actions-desktop")
    page.set_viewport_size({"width": 360, "height": 740})
    screenshot(page, "loop-actions-360")
