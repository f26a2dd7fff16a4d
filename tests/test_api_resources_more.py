"""The API's themes, improvement actions and webhooks: round trips, scopes, role scoping, field errors."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django_tasks_db.models import DBTaskResult

from harken.api.keys import do_create_key
from harken.collect.models import Response
from harken.integrations.webhooks.models import Delivery, Webhook
from harken.loop.models import Action
from harken.org.models import Membership
from harken.text import tasks
from harken.text.models import ResponseTheme, Theme
from tests.conftest import Org


@pytest.fixture
def api(client: Any, org: Org) -> Any:
    """``api("manager", "write").get(path)``, ``.post``, ``.patch``, ``.delete`` with that user's key."""

    class Caller:
        def __init__(self, username: str, scope: str) -> None:
            self.headers = {"Authorization": f"Bearer {do_create_key(org.users[username], 'test', scope)[1]}"}

        def get(self, path: str, **params: Any) -> Any:
            return client.get(f"/api/v1{path}", params, headers=self.headers)

        def post(self, path: str, data: dict[str, Any] | None = None) -> Any:
            return client.post(f"/api/v1{path}", data or {}, content_type="application/json", headers=self.headers)

        def patch(self, path: str, data: dict[str, Any]) -> Any:
            return client.patch(f"/api/v1{path}", data, content_type="application/json", headers=self.headers)

        def delete(self, path: str) -> Any:
            return client.delete(f"/api/v1{path}", headers=self.headers)

    return Caller


def fields(response: Any) -> list[str]:
    return [error["field"] for error in response.json()["errors"]]


# --- Themes ----------------------------------------------------------------------------------------------------


def test_a_theme_round_trip_and_a_rule_change_queues_the_re_tag(
    api: Any, org: Org, django_capture_on_commit_callbacks: Any
) -> None:
    admin = api("admin", "write")
    with django_capture_on_commit_callbacks(execute=True):
        service = admin.post("/themes", {"name": "Service"})
        assert service.status_code == 201
        created = admin.post(
            "/themes",
            {"name": "Queues", "parent_id": service.json()["id"], "rules": {"any_of": ["queue", "waited"]}},
        )
    assert created.status_code == 201
    body = created.json()
    assert (body["path"], body["parent_id"], body["is_active"]) == ("Service → Queues", service.json()["id"], True)
    assert body["rules"] == {
        "any_of": ["queue", "waited"],
        "all_of": [],
        "none_of": [],
        "near": [],
        "near_words": 5,
        "count_negated": True,
    }
    assert body["rules_version"] == 1
    slow = Response.objects.create(survey=org.survey, unit=org.north_1, score=2, comment="Checkout was so slow")
    queue = Response.objects.create(survey=org.survey, unit=org.north_1, score=6, comment="Long queue")
    retags = DBTaskResult.objects.filter(task_path=tasks.retag_theme.module_path)
    before = retags.count()

    with django_capture_on_commit_callbacks(execute=True):
        changed = admin.patch(f"/themes/{body['id']}", {"rules": {"any_of": ["slow"]}})
    assert changed.status_code == 200
    assert (changed.json()["rules"]["any_of"], changed.json()["rules_version"]) == (["slow"], 2)
    assert retags.count() == before + 1
    assert tasks.retag_theme.call(body["id"], 2) == 1
    links = set(ResponseTheme.objects.filter(theme_id=body["id"]).values_list("response_id", flat=True))
    assert links == {slow.pk}
    assert queue.pk not in links

    with django_capture_on_commit_callbacks(execute=True):
        renamed = admin.patch(f"/themes/{body['id']}", {"name": "Waiting"})
    assert (renamed.json()["path"], renamed.json()["rules_version"]) == ("Service → Waiting", 2)
    assert retags.count() == before + 1  # only the name changed: no re-tag

    listed = api("frontline", "read").get("/themes", limit=1)
    assert [theme["name"] for theme in listed.json()["items"]] == ["Service"]
    second = api("frontline", "read").get("/themes", cursor=listed.json()["next_cursor"]).json()
    assert [theme["name"] for theme in second["items"]] == ["Waiting"]
    assert second["next_cursor"] is None
    assert api("frontline", "read").get(f"/themes/{body['id']}").json()["name"] == "Waiting"


def test_theme_validation_names_the_field(api: Any, org: Org) -> None:
    admin = api("admin", "write")
    bad_near = admin.post("/themes", {"name": "Noise", "rules": {"near": ["loud music"]}})
    assert bad_near.status_code == 422
    assert fields(bad_near) == ["near"]
    assert "~" in bad_near.json()["errors"][0]["message"]
    assert not Theme.objects.filter(name="Noise").exists()
    assert fields(admin.post("/themes", {"name": ""})) == ["name"]
    assert fields(admin.post("/themes", {"name": "X", "parent_id": 999})) == ["parent_id"]
    top = admin.post("/themes", {"name": "Staff"}).json()
    child = admin.post("/themes", {"name": "Friendly", "parent_id": top["id"]}).json()
    duplicate = admin.post("/themes", {"name": "staff"})
    assert (duplicate.status_code, fields(duplicate)) == (409, ["name"])
    cycle = admin.patch(f"/themes/{top['id']}", {"parent_id": child["id"]})
    assert (cycle.status_code, fields(cycle)) == (422, ["parent"])
    assert admin.get("/themes/999").status_code == 404


def test_themes_need_the_write_scope_and_an_administrator(api: Any, org: Org) -> None:
    assert api("admin", "read").post("/themes", {"name": "Price"}).status_code == 403
    assert api("manager", "write").post("/themes", {"name": "Price"}).status_code == 403
    assert api("analyst", "admin").post("/themes", {"name": "Price"}).status_code == 403
    assert not Theme.objects.exists()


# --- Improvement actions ---------------------------------------------------------------------------------------


def action_on(org: Org, name: str, *units: Any) -> Action:
    action = Action.objects.create(name=name, started_on=dt.date(2026, 3, 1))
    action.units.set(units)
    return action


def test_an_action_round_trip_by_a_manager(api: Any, org: Org) -> None:
    manager = api("manager", "write")
    theme = Theme.objects.create(name="Queues")
    created = manager.post(
        "/actions",
        {
            "name": "  Second till at lunch ",
            "unit_ids": [org.north_2.pk, org.north_1.pk],
            "theme_id": theme.pk,
            "owner": "frontline",
            "started_on": "2026-04-01",
            "window_days": 60,
        },
    )
    assert created.status_code == 201
    body = created.json()
    assert {key: body[key] for key in ("name", "unit_ids", "theme_id", "owner", "state", "window_days")} == {
        "name": "Second till at lunch",
        "unit_ids": sorted([org.north_1.pk, org.north_2.pk]),
        "theme_id": theme.pk,
        "owner": "frontline",
        "state": "planned",
        "window_days": 60,
    }
    assert body["started_on"] == "2026-04-01"
    changed = manager.patch(f"/actions/{body['id']}", {"state": "in_progress", "unit_ids": [org.north_1.pk]})
    assert changed.status_code == 200
    assert (changed.json()["state"], changed.json()["unit_ids"], changed.json()["name"]) == (
        "in_progress",
        [org.north_1.pk],
        "Second till at lunch",
    )
    got = api("frontline", "read").get(f"/actions/{body['id']}")
    assert (got.status_code, got.json()["state"]) == (200, "in_progress")


def test_actions_are_scoped_to_the_viewers_units(api: Any, org: Org) -> None:
    north = action_on(org, "North till", org.north_1)
    south = action_on(org, "South greeting", org.south_1)
    both = action_on(org, "Company training", org.north_2, org.south_1)
    outsider = api("outsider", "read")
    assert [row["name"] for row in outsider.get("/actions").json()["items"]] == ["South greeting", "Company training"]
    assert outsider.get(f"/actions/{north.pk}").status_code == 404
    frontline = api("frontline", "read")
    assert [row["id"] for row in frontline.get("/actions").json()["items"]] == [north.pk]
    assert frontline.get(f"/actions/{south.pk}").status_code == 404
    assert [row["id"] for row in api("analyst", "read").get("/actions").json()["items"]] == [
        north.pk,
        south.pk,
        both.pk,
    ]
    # the manager of North sees the shared action but may not change it: South is not theirs
    refused = api("manager", "write").patch(f"/actions/{both.pk}", {"state": "done"})
    assert refused.status_code == 403
    assert api("manager", "write").patch(f"/actions/{south.pk}", {"state": "done"}).status_code == 404
    assert Action.objects.get(pk=both.pk).state == "planned"


def test_actions_refuse_weak_keys_other_roles_and_bad_values(api: Any, org: Org) -> None:
    new = {"name": "Till", "unit_ids": [org.north_1.pk], "started_on": "2026-04-01"}
    assert api("manager", "read").post("/actions", new).status_code == 403
    assert api("frontline", "write").post("/actions", new).status_code == 403
    assert api("analyst", "write").post("/actions", new).status_code == 403
    manager = api("manager", "write")
    outside = manager.post("/actions", {**new, "unit_ids": [org.south_1.pk]})
    assert (outside.status_code, fields(outside)) == (422, ["unit_ids"])
    assert fields(manager.post("/actions", {**new, "unit_ids": []})) == ["unit_ids"]
    assert fields(manager.post("/actions", {**new, "name": "   "})) == ["name"]
    assert fields(manager.post("/actions", {**new, "state": "someday"})) == ["state"]
    assert fields(manager.post("/actions", {**new, "window_days": 3})) == ["window_days"]
    assert fields(manager.post("/actions", {**new, "owner": "nobody"})) == ["owner"]
    assert fields(manager.post("/actions", {**new, "theme_id": 999})) == ["theme_id"]
    assert fields(manager.post("/actions", {**new, "started_on": "April"})) == ["started_on"]
    assert not Action.objects.exists()


# --- Webhooks --------------------------------------------------------------------------------------------------


def test_a_webhook_round_trip_shows_the_secret_once(api: Any, org: Org) -> None:
    admin = api("admin", "admin")
    created = admin.post("/webhooks", {"name": "CRM", "url": "https://crm.example.com/hook", "events": ["case.opened"]})
    assert created.status_code == 201
    body = created.json()
    hook = Webhook.objects.get(pk=body["id"])
    assert body["secret"] == hook.secret and body["secret"].startswith("whsec_")
    assert (body["kind"], body["events"], body["unit_id"], body["is_active"]) == ("json", ["case.opened"], None, True)
    got = admin.get(f"/webhooks/{hook.pk}").json()
    assert "secret" not in got and got["url"] == "https://crm.example.com/hook"
    assert all("secret" not in row for row in admin.get("/webhooks").json()["items"])
    assert hook.secret not in admin.get("/webhooks").content.decode()

    changed = admin.patch(f"/webhooks/{hook.pk}", {"is_active": False, "unit_id": org.north.pk})
    assert changed.status_code == 200
    assert (changed.json()["is_active"], changed.json()["unit_id"], changed.json()["name"]) == (
        False,
        org.north.pk,
        "CRM",
    )
    assert "secret" not in changed.json()
    hook.refresh_from_db()
    assert (hook.is_active, hook.unit_id, hook.events) == (False, org.north.pk, ["case.opened"])

    assert admin.delete(f"/webhooks/{hook.pk}").status_code == 204
    assert not Webhook.objects.filter(pk=hook.pk).exists()
    assert admin.get(f"/webhooks/{hook.pk}").status_code == 404


def test_deliveries_are_paged_and_a_finished_one_can_be_sent_again(api: Any, org: Org) -> None:
    hook = Webhook.objects.create(name="CRM", url="https://crm.example.com/hook")
    done = [
        Delivery.objects.create(webhook=hook, event="case.opened", payload={"n": n}, state=Delivery.State.FAILED)
        for n in range(3)
    ]
    queued = Delivery.objects.create(webhook=hook, event="case.closed", payload={}, state=Delivery.State.QUEUED)
    admin = api("admin", "admin")
    first = admin.get(f"/webhooks/{hook.pk}/deliveries", limit=2).json()
    second = admin.get(f"/webhooks/{hook.pk}/deliveries", limit=2, cursor=first["next_cursor"]).json()
    assert [row["id"] for row in first["items"] + second["items"]] == [d.pk for d in [*done, queued]]
    assert second["next_cursor"] is None
    failed = admin.get(f"/webhooks/{hook.pk}/deliveries", state="failed").json()["items"]
    assert [row["id"] for row in failed] == [d.pk for d in done]

    again = admin.post(f"/webhooks/{hook.pk}/deliveries/{done[0].pk}/redeliver")
    assert again.status_code == 202
    assert (again.json()["state"], again.json()["attempts"], again.json()["event_id"]) == (
        "queued",
        0,
        str(done[0].event_id),
    )
    busy = admin.post(f"/webhooks/{hook.pk}/deliveries/{queued.pk}/redeliver")
    assert busy.status_code == 409
    other = Webhook.objects.create(name="Other", url="https://other.example.com/")
    assert admin.post(f"/webhooks/{other.pk}/deliveries/{done[1].pk}/redeliver").status_code == 404


def test_webhooks_need_the_admin_scope_and_a_manager_or_administrator(api: Any, org: Org) -> None:
    everywhere = Webhook.objects.create(name="Everywhere", url="https://a.example.com/")
    north = Webhook.objects.create(name="North", url="https://n.example.com/", unit=org.north)
    new = {"name": "Mine", "url": "https://m.example.com/"}
    assert api("admin", "write").post("/webhooks", new).status_code == 403
    assert api("admin", "write").get("/webhooks").status_code == 403
    for name in ("analyst", "frontline", "outsider"):
        assert api(name, "admin").get("/webhooks").status_code == 403
        assert api(name, "admin").post("/webhooks", new).status_code == 403
        assert api(name, "admin").get(f"/webhooks/{north.pk}").status_code == 403
    manager = api("manager", "admin")
    assert [row["name"] for row in manager.get("/webhooks").json()["items"]] == ["North"]
    assert manager.get(f"/webhooks/{everywhere.pk}").status_code == 404
    assert manager.delete(f"/webhooks/{everywhere.pk}").status_code == 404
    # a manager must bind an endpoint to a unit of their subtree (the page's rule)
    unbound = manager.post("/webhooks", new)
    assert (unbound.status_code, fields(unbound)) == (422, ["unit_id"])
    south = manager.post("/webhooks", {**new, "unit_id": org.south.pk})
    assert (south.status_code, fields(south)) == (422, ["unit_id"])
    mine = manager.post("/webhooks", {**new, "unit_id": org.north_1.pk})
    assert (mine.status_code, mine.json()["unit_id"]) == (201, org.north_1.pk)
    assert Membership.objects.filter(user=org.users["manager"]).count() == 1


def test_webhook_validation_names_the_field(api: Any, org: Org) -> None:
    admin = api("admin", "admin")
    bad_url = admin.post("/webhooks", {"name": "CRM", "url": "ftp://example.com/"})
    assert (bad_url.status_code, fields(bad_url)) == (422, ["url"])
    assert fields(admin.post("/webhooks", {"name": "", "url": "https://example.com/"})) == ["name"]
    assert fields(admin.post("/webhooks", {"name": "CRM", "url": "https://x/", "events": ["nope"]})) == ["events"]
    assert fields(admin.post("/webhooks", {"name": "CRM", "url": "https://x/", "kind": "email"})) == ["kind"]
    assert not Webhook.objects.exists()


def test_a_nul_character_is_an_error_naming_the_field(api: Any, org: Org) -> None:
    theme = api("admin", "write").post("/themes", {"name": "Queue\x00s"})
    assert (theme.status_code, fields(theme)) == (422, ["name"])
    new = {"name": "Till", "unit_ids": [org.north_1.pk], "started_on": "2026-04-01", "description": "a\x00b"}
    assert fields(api("manager", "write").post("/actions", new)) == ["description"]
    assert fields(api("admin", "admin").post("/webhooks", {"name": "C\x00", "url": "https://x/"})) == ["name"]
