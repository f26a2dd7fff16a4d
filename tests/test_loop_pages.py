"""The case inbox and case page, and the cases API: scoped so nobody sees or changes another unit's cases."""

from __future__ import annotations

import re
from typing import Any

import pytest

from harken.api.keys import do_create_key
from harken.collect.models import Response
from harken.loop import alerts
from harken.loop.models import AlertRule, Case, Status
from harken.org.models import Unit
from harken.text.models import Theme


def open_case(org: Any, unit: Unit, comment: str = "Late again") -> Case:
    response = Response.objects.create(survey=org.survey, unit=unit, score=2, comment=comment)
    alerts.do_apply_rules(response.pk)
    return Case.objects.get(response=response)


@pytest.fixture
def north_case(org: Any) -> Case:
    AlertRule.objects.create(name="Detractors", categories=["detractor"])
    return open_case(org, org.north_1, "North 1 was late")


@pytest.fixture
def south_case(org: Any, north_case: Case) -> Case:
    return open_case(org, org.south_1, "South 1 was rude")


def test_the_inbox_lists_the_cases_of_the_users_units(login: Any, north_case: Case, south_case: Case) -> None:
    page = login("frontline").get("/cases/").content.decode()
    assert "North 1 was late" not in page  # titles name the rule, not the comment
    assert north_case.title in page and f"/cases/{north_case.pk}/" in page
    assert f"/cases/{south_case.pk}/" not in page


def test_the_inbox_filters_by_status_owner_and_unit(login: Any, org: Any, north_case: Case, south_case: Case) -> None:
    client = login("analyst")
    assert f"/cases/{south_case.pk}/" in client.get("/cases/").content.decode()
    by_unit = client.get("/cases/", {"status": "open", "unit": org.north.pk}).content.decode()
    assert f"/cases/{north_case.pk}/" in by_unit and f"/cases/{south_case.pk}/" not in by_unit
    assert "No cases match" in client.get("/cases/", {"status": Status.CLOSED}).content.decode()
    mine = login("manager").get("/cases/", {"status": "all", "mine": "on"}).content.decode()
    assert f"/cases/{north_case.pk}/" in mine


def test_it_hides_other_units_cases_from_a_front_line_member(login: Any, south_case: Case) -> None:
    client = login("frontline")
    assert client.get(f"/cases/{south_case.pk}/").status_code == 404
    response = client.post(f"/cases/{south_case.pk}/status/", {"status": Status.IN_PROGRESS})
    assert response.status_code == 404
    assert client.post(f"/cases/{south_case.pk}/note/", {"text": "sneaky"}).status_code == 404
    south_case.refresh_from_db()
    assert south_case.status == Status.NEW and south_case.events.count() == 1


def test_an_analyst_reads_a_case_but_cannot_change_it(login: Any, north_case: Case) -> None:
    client = login("analyst")
    page = client.get(f"/cases/{north_case.pk}/").content.decode()
    assert "North 1 was late" in page and "Save status" not in page
    assert client.post(f"/cases/{north_case.pk}/status/", {"status": Status.IN_PROGRESS}).status_code == 403


def test_closing_without_a_root_cause_is_refused_with_a_message(login: Any, north_case: Case) -> None:
    client = login("manager")
    client.post(f"/cases/{north_case.pk}/status/", {"status": Status.RESOLVED})
    page = client.post(f"/cases/{north_case.pk}/status/", {"status": Status.CLOSED}).content.decode()
    assert "Choose a root cause before closing the case." in page
    north_case.refresh_from_db()
    assert north_case.status == Status.RESOLVED


def test_a_note_is_added_to_the_history(login: Any, north_case: Case) -> None:
    client = login("frontline")
    assert client.post(f"/cases/{north_case.pk}/note/", {"text": "Left a voicemail"}).status_code == 302
    assert "Left a voicemail" in client.get(f"/cases/{north_case.pk}/").content.decode()


# --- API -----------------------------------------------------------------------------------------------------


def token(org: Any, name: str, scope: str = "write") -> dict[str, str]:
    return {"Authorization": f"Bearer {do_create_key(org.users[name], name, scope)[1]}"}


def test_the_api_lists_only_the_callers_cases(client: Any, org: Any, north_case: Case, south_case: Case) -> None:
    listed = client.get("/api/v1/cases", headers=token(org, "outsider", "read")).json()
    assert [item["id"] for item in listed["items"]] == [south_case.pk]
    assert client.get(f"/api/v1/cases/{north_case.pk}", headers=token(org, "outsider", "read")).status_code == 404


def test_the_api_works_a_case_to_closed(client: Any, org: Any, north_case: Case) -> None:
    headers = token(org, "frontline")
    url = f"/api/v1/cases/{north_case.pk}"

    def patch(data: dict[str, str]) -> Any:
        return client.patch(url, data, content_type="application/json", headers=headers)

    assert patch({"status": "in_progress", "note": "Called back"}).json()["status"] == "in_progress"
    assert patch({"status": "resolved"}).status_code == 200
    refused = patch({"status": "closed"})
    assert refused.status_code == 422 and "root cause" in refused.json()["detail"]
    logistics = Theme.objects.create(name="Logistics")
    late = Theme.objects.create(name="Late delivery", parent=logistics)
    unknown = patch({"status": "closed", "root_cause_id": late.pk + 100, "outcome": "recovered"})
    assert unknown.status_code == 422 and f"There is no theme {late.pk + 100}." in unknown.json()["detail"]
    closed = patch({"status": "closed", "root_cause_id": late.pk, "outcome": "recovered"}).json()
    assert (closed["status"], closed["root_cause_id"], closed["root_cause"], closed["outcome"]) == (
        "closed",
        late.pk,
        "Logistics → Late delivery",
        "recovered",
    )
    assert [event["actor"] for event in closed["events"]] == [None, "frontline", "frontline", "frontline", "frontline"]


def test_the_api_refuses_changes_to_other_units_cases(client: Any, org: Any, north_case: Case) -> None:
    response = client.patch(
        f"/api/v1/cases/{north_case.pk}",
        {"status": "in_progress"},
        content_type="application/json",
        headers=token(org, "outsider"),
    )
    assert response.status_code == 404
    read_only = client.patch(
        f"/api/v1/cases/{north_case.pk}",
        {"status": "in_progress"},
        content_type="application/json",
        headers=token(org, "frontline", "read"),
    )
    assert read_only.status_code == 403


def test_a_long_inbox_comes_in_pages_that_keep_the_filters(login: Any, org: Any, north_case: Case) -> None:
    for number in range(50):
        open_case(org, org.north_1, comment=f"Late again {number}")
    client = login("analyst")
    first = client.get("/cases/", {"status": "open"}).content.decode()
    assert "51 cases · page 1 of 2" in first
    assert len(re.findall(r'href="/cases/\d+/"', first)) == 50
    assert "?status=open&amp;page=2" in first
    second = client.get("/cases/", {"status": "open", "page": 2}).content.decode()
    assert "page 2 of 2" in second and "← Previous" in second
