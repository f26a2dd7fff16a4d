"""The API's resources: cursor pagination, the dashboards' filters, NPS through the query path, field errors."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from harken.api.keys import do_create_key
from harken.contacts.models import Consent, Contact
from harken.surveys.models import Question


@pytest.fixture
def api(client, org):
    """``api("manager", "write").get(path, **params)`` and ``.post(path, data)`` with that user's key."""

    class Caller:
        def __init__(self, username: str, scope: str) -> None:
            self.headers = {"Authorization": f"Bearer {do_create_key(org.users[username], 'test', scope)[1]}"}

        def get(self, path: str, **params):
            return client.get(f"/api/v1{path}", params, headers=self.headers)

        def post(self, path: str, data: dict):
            return client.post(f"/api/v1{path}", data, content_type="application/json", headers=self.headers)

        def patch(self, path: str, data: dict):
            return client.patch(f"/api/v1{path}", data, content_type="application/json", headers=self.headers)

    return Caller


def fields(response) -> list[str]:
    return [error["field"] for error in response.json()["errors"]]


def test_lists_are_paginated_with_cursors_until_the_last_page(api, org):
    caller = api("analyst", "read")
    seen, cursor, pages = [], None, 0
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        body = caller.get("/units", **params).json()
        seen += [unit["name"] for unit in body["items"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert pages == 3
    assert sorted(seen) == sorted(["Acme", "North", "South", "North 1", "North 2", "South 1"])


def test_a_bad_cursor_or_limit_is_an_error_naming_the_parameter(api):
    caller = api("analyst", "read")
    response = caller.get("/responses", cursor="not-ours")
    assert response.status_code == 422
    assert fields(response) == ["cursor"]
    response = caller.get("/responses", limit=0)
    assert response.status_code == 422
    assert fields(response) == ["limit"]
    assert "limit" in response.json()["detail"]


def test_nps_by_unit_matches_the_hand_computed_values(api, org):
    body = api("analyst", "read").get("/analytics/nps", by="unit").json()
    groups = {group["label"]: group for group in body["groups"]}
    assert groups["North"]["n"] == 21 and round(groups["North"]["nps"], 1) == 9.5
    assert groups["South"]["n"] == 15 and round(groups["South"]["nps"], 1) == 13.3  # all time: five old 0s
    assert groups["North"]["ci_low"] < groups["North"]["nps"] < groups["North"]["ci_high"]
    assert body["confidence"] == 0.95


def test_nps_for_a_period_has_the_adjusted_wald_interval(api, org):
    today = timezone.localdate()
    params = {"from": (today - dt.timedelta(days=364)).isoformat(), "to": today.isoformat()}
    (group,) = api("analyst", "read").get("/analytics/nps", **params).json()["groups"]
    assert (group["n"], group["promoters"], group["passives"], group["detractors"]) == (31, 17, 6, 8)
    assert round(group["nps"], 1) == 29.0
    assert (round(group["ci_low"], 1), round(group["ci_high"], 1)) == (-1.8, 54.8)


def test_a_period_that_ends_before_it_starts_names_the_parameter(api):
    response = api("analyst", "read").get("/analytics/nps", **{"from": "2026-02-01", "to": "2026-01-01"})
    assert response.status_code == 422 and fields(response) == ["from"]


def test_nps_is_limited_to_the_callers_units(api, org):
    body = api("manager", "read").get("/analytics/nps").json()
    assert body["groups"][0]["n"] == 21  # North only


def test_nps_filters_like_the_dashboards(api, org):
    caller = api("analyst", "read")
    body = caller.get("/analytics/nps", by="touchpoint", unit=org.north.pk, touchpoint=[org.purchase.pk]).json()
    purchase = next(group for group in body["groups"] if group["key"] == "purchase")
    assert (purchase["promoters"], purchase["passives"], purchase["detractors"]) == (5, 3, 1)


def test_an_unknown_grouping_or_channel_names_the_parameter(api):
    caller = api("analyst", "read")
    assert fields(caller.get("/analytics/nps", by="colour")) == ["by"]
    response = caller.get("/analytics/nps", channel="pigeon")
    assert response.status_code == 422 and fields(response) == ["channel"]


def test_responses_include_skipped_scores_and_filter_by_category(api, org):
    caller = api("analyst", "read")
    unscored = caller.get("/responses", category="none").json()["items"]
    assert len(unscored) == 1 and unscored[0]["score"] is None and unscored[0]["category"] is None
    detractors = caller.get("/responses", category="detractor", unit=org.south.pk, limit=500).json()["items"]
    assert len(detractors) == 6  # 1 recent + 5 old


def test_a_response_is_added_with_its_category_from_the_database(api, org):
    Question.objects.create(survey=org.survey, key="speed", kind="rating_0_10", text="Speed?")
    data = {"survey_id": org.survey.pk, "unit_id": org.north_1.pk, "score": 6, "answers": {"speed": 4}}
    response = api("manager", "write").post("/responses", data)
    assert response.status_code == 201
    assert response.json()["category"] == "detractor"
    assert response.json()["channel"] == "api"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"score": 11}, "score"),
        ({"score": 6.5}, "score"),
        ({"answers": {"colour": 1}}, "answers.colour"),
        ({"survey_id": 999999}, "survey_id"),
        ({"touchpoint_id": 999999}, "touchpoint_id"),
    ],
)
def test_a_bad_response_is_refused_naming_the_field(api, org, change, field):
    data = {"survey_id": org.survey.pk, "unit_id": org.north_1.pk, "score": 9, **change}
    response = api("manager", "write").post("/responses", data)
    assert response.status_code == 422
    assert fields(response) == [field]


def test_a_second_response_with_the_same_external_id_is_a_conflict(api, org):
    caller = api("manager", "write")
    data = {"survey_id": org.survey.pk, "unit_id": org.north_1.pk, "score": 9, "external_id": "ticket-1"}
    assert caller.post("/responses", data).status_code == 201
    response = caller.post("/responses", data)
    assert response.status_code == 409
    assert fields(response) == ["external_id"]


def test_contacts_and_invitations_are_created_and_scoped(api, org):
    manager = api("manager", "write")
    contact = manager.post(
        "/contacts",
        {"email": "ann@example.com", "name": "Ann", "home_unit_id": org.north_1.pk, "attributes": {"plan": "gold"}},
    )
    assert contact.status_code == 201
    duplicate = manager.post("/contacts", {"email": "ANN@example.com", "home_unit_id": org.north_1.pk})
    assert duplicate.status_code == 409 and fields(duplicate) == ["email"]
    contact_id = contact.json()["id"]
    invitation = manager.post(
        "/invitations", {"survey_id": org.survey.pk, "contact_id": contact_id, "unit_id": org.north_1.pk}
    )
    assert invitation.status_code == 201 and invitation.json()["status"] == "scheduled"
    assert "token" not in invitation.json()
    tracking = ("sent_at", "delivered_at", "opened_at", "clicked_at", "answered_at", "bounce", "bounced_at")
    assert {key: invitation.json()[key] for key in tracking} == dict.fromkeys(tracking) | {"bounce": ""}
    # The API follows the consent and fatigue rules too: an unsubscribed customer is not invited.
    Contact.objects.filter(pk=contact_id).update(email_consent=Consent.UNSUBSCRIBED)
    again = manager.post(
        "/invitations", {"survey_id": org.survey.pk, "contact_id": contact_id, "unit_id": org.north_1.pk}
    )
    assert again.status_code == 201 and again.json()["status"] == "suppressed"
    outsider = api("outsider", "read")
    assert outsider.get(f"/contacts/{contact_id}").status_code == 404
    assert outsider.get("/invitations").json()["items"] == []
    assert manager.get("/contacts", email="ann@EXAMPLE.com").json()["items"][0]["id"] == contact_id
    changed = manager.patch(f"/contacts/{contact_id}", {"attributes": {"plan": "silver"}})
    assert changed.json()["attributes"] == {"plan": "silver"}
    assert Contact.objects.get(pk=contact_id).attributes == {"plan": "silver"}


def test_units_and_touchpoints_are_added_by_administrators(api, org):
    admin = api("admin", "admin")
    unit = admin.post("/units", {"name": "North 3", "parent_id": org.north.pk})
    assert unit.status_code == 201 and unit.json()["path"].startswith(org.north.path)
    again = admin.post("/units", {"name": "North 3", "parent_id": org.north.pk})
    assert again.status_code == 409 and fields(again) == ["name"]
    survey = admin.post(
        "/surveys",
        {"name": "Support survey", "slug": "support", "kind": "transactional", "touchpoint_id": org.support.pk},
    )
    assert survey.status_code == 201 and survey.json()["questions"] == []


def test_the_openapi_schema_and_interactive_docs_are_served(client, org):
    schema = client.get("/api/v1/openapi.json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    for path in (
        "/api/v1/units",
        "/api/v1/responses",
        "/api/v1/analytics/nps",
        "/api/v1/keys",
        "/api/v1/contacts",
        "/api/v1/invitations",
        "/api/v1/surveys",
        "/api/v1/touchpoints",
    ):
        assert path in paths
    docs = client.get("/api/v1/docs")
    assert docs.status_code == 200
    assert b"/static/ninja/swagger-ui-bundle.js" in docs.content  # our own copy: the CSP allows no CDN
    assert b"cdn" not in docs.content.lower()


def test_the_api_answers_json_even_for_a_path_that_does_not_exist(api):
    response = api("analyst", "read").get("/responses/999999")
    assert response.status_code == 404
    assert "detail" in response.json()
