"""Journey triggers: touchpoint events through the API and a CSV upload become invitations after a delay."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from harken.api.keys import do_create_key
from harken.contacts.models import Contact
from harken.distribution.models import Invitation, JourneyTrigger
from harken.org.models import Employee

URL = "/api/v1/touchpoint-events"


@pytest.fixture
def trigger(org: Any, settings: Any) -> JourneyTrigger:
    settings.QUIET_HOURS = "off"
    return JourneyTrigger.objects.create(touchpoint=org.delivery, survey=org.survey, delay_minutes=120)


def auth(org: Any, user: str = "manager", scope: str = "write") -> dict[str, str]:
    return {"Authorization": f"Bearer {do_create_key(org.users[user], 'test', scope)[1]}"}


def event(org: Any, **extra: Any) -> dict[str, Any]:
    return {
        "event_id": "order-1001",
        "touchpoint": "delivery",
        "unit_id": org.north_1.pk,
        "email": "ann@example.com",
    } | extra


def post(client: Any, org: Any, *events: dict[str, Any], user: str = "manager") -> list[dict[str, Any]]:
    response = client.post(URL, {"events": list(events)}, content_type="application/json", headers=auth(org, user))
    assert response.status_code == 200, response.content
    return list(response.json()["results"])


def test_an_event_queues_an_invitation_after_the_delay_with_unit_employee_and_context(
    org: Any, trigger: JourneyTrigger, client: Any
) -> None:
    clerk = Employee.objects.create(name="Bo", unit=org.north_1)
    occurred = timezone.now().replace(microsecond=0)
    [result] = post(
        client, org, event(org, employee_id=clerk.pk, occurred_at=occurred.isoformat(), context={"order": "1001"})
    )
    assert result["status"] == "queued"
    invitation = Invitation.objects.get(pk=result["invitation_id"])
    assert invitation.scheduled_at == occurred + dt.timedelta(minutes=120)
    assert (invitation.unit, invitation.touchpoint, invitation.employee) == (org.north_1, org.delivery, clerk)
    assert invitation.context == {"order": "1001"} and invitation.survey == org.survey
    assert Contact.objects.get().home_unit == org.north_1  # a new customer is added to the event's unit


def test_a_repeated_event_id_is_ignored(org: Any, trigger: JourneyTrigger, client: Any) -> None:
    first, second = post(client, org, event(org), event(org, email="other@example.com"))
    assert (first["status"], second["status"]) == ("queued", "duplicate")
    assert post(client, org, event(org))[0]["status"] == "duplicate"
    assert Invitation.objects.count() == 1


def test_an_event_at_night_waits_for_the_end_of_quiet_hours(
    org: Any, trigger: JourneyTrigger, client: Any, settings: Any
) -> None:
    settings.QUIET_HOURS = "21:00-08:00"
    trigger.delay_minutes = 0
    trigger.save()
    Contact.objects.create(email="ann@example.com", time_zone="Europe/Berlin", home_unit=org.north_1)
    berlin = zoneinfo.ZoneInfo("Europe/Berlin")
    night = (timezone.now() + dt.timedelta(days=1)).astimezone(berlin).replace(hour=23, minute=30, second=0)
    [result] = post(client, org, event(org, occurred_at=night.isoformat()))
    assert result["status"] == "queued"
    scheduled = dt.datetime.fromisoformat(result["scheduled_at"])
    assert scheduled.astimezone(berlin) == (night + dt.timedelta(days=1)).replace(hour=8, minute=0, microsecond=0)


def test_an_outsider_cannot_report_events_for_another_units_customers(
    org: Any, trigger: JourneyTrigger, client: Any
) -> None:
    [result] = post(client, org, event(org), user="outsider")
    assert result["status"] == "error" and result["message"].startswith("unit_id:")
    assert Invitation.objects.count() == 0


def test_a_read_only_key_is_refused(org: Any, trigger: JourneyTrigger, client: Any) -> None:
    headers = auth(org, scope="read")
    response = client.post(URL, {"events": [event(org)]}, content_type="application/json", headers=headers)
    assert response.status_code == 403


def test_an_unknown_touchpoint_and_a_missing_customer_are_reported_per_event(
    org: Any, trigger: JourneyTrigger, client: Any
) -> None:
    bad_touchpoint, no_customer, good = post(
        client, org, event(org, touchpoint="nope"), event(org, event_id="e2", email=""), event(org, event_id="e3")
    )
    assert bad_touchpoint["message"].startswith("touchpoint:") and no_customer["message"].startswith("email:")
    assert good["status"] == "queued"


def test_a_csv_upload_queues_its_events_and_names_the_line_of_a_bad_row(
    org: Any, trigger: JourneyTrigger, client: Any
) -> None:
    csv = (
        "event_id;touchpoint;unit_id;email;order_id\n"
        f"t-1;delivery;{org.north_1.pk};ann@example.com;A-1\n"
        f"t-2;delivery;north;bob@example.com;A-2\n"
        f"t-1;delivery;{org.north_1.pk};ann@example.com;A-1\n"
    ).encode()
    upload = SimpleUploadedFile("events.csv", csv, content_type="text/csv")
    response = client.post(f"{URL}/file", {"file": upload}, headers=auth(org))
    assert response.status_code == 200, response.content
    results = response.json()["results"]
    assert [(r["line"], r["status"]) for r in results] == [(2, "queued"), (3, "error"), (4, "duplicate")]
    assert "unit_id" in results[1]["message"]
    assert Invitation.objects.get().context == {"order_id": "A-1"}
