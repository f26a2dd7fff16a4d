"""The contact page and the eligibility ledger in the API: history, skipped sends, and outsiders refused."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from harken.api.keys import do_create_key
from harken.contacts.models import Contact
from harken.distribution import sending
from tests.conftest import screenshot


@pytest.fixture
def ann(org: Any, settings: Any) -> Contact:
    """A North 1 contact asked 10 days ago, so a new invitation is skipped by the 30-day rule."""
    settings.QUIET_HOURS = "off"
    org.survey.min_days_between_invitations = 30
    org.survey.save()
    contact = Contact.objects.create(
        email="ann@example.com",
        name="Ann Example",
        home_unit=org.north_1,
        attributes={"plan": "gold"},
        last_surveyed_at=timezone.now() - dt.timedelta(days=10),
    )
    sending.do_queue_invitation(org.survey, contact, org.north_1)
    return contact


def test_the_api_shows_the_ledger_with_the_next_eligible_date(org: Any, ann: Contact, client: Any) -> None:
    token = do_create_key(org.users["manager"], "test", "read")[1]
    body = client.get(f"/api/v1/contacts/{ann.pk}/eligibility", headers={"Authorization": f"Bearer {token}"}).json()
    expected = ann.last_surveyed_at + dt.timedelta(days=30)  # type: ignore[operator]
    assert [entry["reason"] for entry in body["skipped"]] == ["too_soon"]
    for value in (body["skipped"][0]["next_eligible_at"], body["next_eligible_at"]):
        assert abs(dt.datetime.fromisoformat(value) - expected) < dt.timedelta(milliseconds=1)  # JSON keeps ms


def test_the_api_refuses_an_outsider_the_ledger(org: Any, ann: Contact, client: Any) -> None:
    token = do_create_key(org.users["outsider"], "test", "read")[1]
    response = client.get(f"/api/v1/contacts/{ann.pk}/eligibility", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 404


def test_the_contact_page_shows_what_was_sent_and_skipped(login: Any, ann: Contact) -> None:
    page = login("manager").get(f"/contacts/{ann.pk}/").content.decode()
    assert "Ann Example" in page and "Asked too recently (fatigue rule)" in page and "gold" in page


def test_the_contact_page_hides_other_units_contacts(login: Any, ann: Contact) -> None:
    assert login("outsider").get(f"/contacts/{ann.pk}/").status_code == 404


@pytest.mark.browser
def test_the_contact_page_reads_well_on_a_phone_and_a_desktop(browser_login: Any, ann: Contact) -> None:
    page = browser_login("manager")
    for name, size in (("phone", {"width": 360, "height": 740}), ("desktop", {"width": 1280, "height": 800})):
        page.set_viewport_size(size)
        page.goto(f"/contacts/{ann.pk}/")
        page.get_by_text("Skipped sends").wait_for()
        screenshot(page, f"contact-page-{name}")
