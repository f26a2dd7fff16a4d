"""The audit log: sign-ins, exports, membership and API key changes are recorded; only administrators read it."""

from __future__ import annotations

import io
from typing import Any

from django.core.management import call_command
from django.urls import reverse

from harken.api.keys import do_create_key, do_revoke_key
from harken.org.models import AuditEvent, Membership


def actions() -> list[str]:
    return list(AuditEvent.objects.order_by("pk").values_list("action", flat=True))


def test_it_records_sign_ins_and_exports(org: Any, client: Any) -> None:
    client.post("/login/", {"username": "manager", "password": org.password})
    assert client.get("/api/v1/exports/responses?format=csv").status_code == 200
    assert client.get(reverse("dashboards:export", args=["headline", "csv"])).status_code == 200
    assert {"sign_in", "export"} <= set(actions())
    assert AuditEvent.objects.filter(action="export", details__via="dashboard").exists()
    assert AuditEvent.objects.filter(action="export", actor=org.users["manager"]).exists()


def test_it_records_api_keys_and_membership_changes(org: Any) -> None:
    key, _ = do_create_key(org.users["manager"], "ci", "read")
    do_revoke_key(key)
    Membership.objects.create(user=org.users["newcomer"], unit=org.south, role=Membership.Role.MANAGER)
    assert {"api_key_created", "api_key_revoked", "membership_added"} <= set(actions())


def test_only_administrators_read_the_audit_log(org: Any, client: Any) -> None:
    admin_token = do_create_key(org.users["admin"], "a", "admin")[1]
    manager_token = do_create_key(org.users["manager"], "m", "read")[1]
    body = client.get("/api/v1/audit", headers={"Authorization": f"Bearer {admin_token}"}).json()
    assert "api_key_created" in [item["action"] for item in body["items"]]
    assert client.get("/api/v1/audit", headers={"Authorization": f"Bearer {manager_token}"}).status_code == 403


def membership_events() -> list[tuple[str, str, dict[str, Any]]]:
    rows = AuditEvent.objects.filter(action__startswith="membership").order_by("pk")
    return [(event.action, event.actor_name, event.details) for event in rows]


def test_membership_changes_through_the_api_record_who_made_them(org: Any, client: Any) -> None:
    Membership.objects.filter(user=org.users["manager"]).update(role=Membership.Role.ADMIN)  # admin of North
    headers = {"Authorization": f"Bearer {do_create_key(org.users['manager'], 'hr', 'admin')[1]}"}
    newcomer, north_1 = org.users["newcomer"].pk, org.north_1.pk
    AuditEvent.objects.all().delete()

    created = client.post(
        "/api/v1/memberships",
        {"user_id": newcomer, "unit_id": north_1, "role": "frontline"},
        content_type="application/json",
        headers=headers,
    )
    assert created.status_code == 201 and created.json()["username"] == "newcomer"
    pk = created.json()["id"]
    changed = client.patch(
        f"/api/v1/memberships/{pk}", {"role": "manager"}, content_type="application/json", headers=headers
    )
    assert changed.json()["role"] == "manager"
    assert client.delete(f"/api/v1/memberships/{pk}", headers=headers).status_code == 204
    details = {"user": newcomer, "unit": north_1}
    assert membership_events() == [
        ("membership_added", "manager", {**details, "role": "frontline"}),
        ("membership_changed", "manager", {**details, "role": "manager"}),
        ("membership_removed", "manager", {**details, "role": "manager"}),
    ]


def test_only_administrators_of_the_unit_may_grant_roles_on_it(org: Any, client: Any) -> None:
    Membership.objects.filter(user=org.users["manager"]).update(role=Membership.Role.ADMIN)  # admin of North only
    headers = {"Authorization": f"Bearer {do_create_key(org.users['manager'], 'hr', 'admin')[1]}"}
    body = {"user_id": org.users["newcomer"].pk, "unit_id": org.south_1.pk, "role": "frontline"}
    refused = client.post("/api/v1/memberships", body, content_type="application/json", headers=headers)
    # An administrator reads the whole organisation but grants roles only under their own unit.
    assert refused.status_code == 403 and "administrators of South 1" in refused.json()["detail"]
    twice = {**body, "unit_id": org.north.pk, "user_id": org.users["manager"].pk}
    conflict = client.post("/api/v1/memberships", twice, content_type="application/json", headers=headers)
    assert conflict.status_code == 409
    reader = {"Authorization": f"Bearer {do_create_key(org.users['frontline'], 'r', 'read')[1]}"}
    listed = client.get("/api/v1/memberships", headers=reader).json()["items"]
    assert [(item["username"], item["role"]) for item in listed] == [("frontline", "frontline")]  # North 1 only


def test_membership_changes_in_the_admin_record_the_administrator(org: Any, login: Any) -> None:
    client = login("admin")
    AuditEvent.objects.all().delete()
    answer = client.post(
        "/admin/org/membership/add/",
        {"user": org.users["newcomer"].pk, "unit": org.south.pk, "role": "analyst"},
    )
    assert answer.status_code == 302
    membership = Membership.objects.get(user=org.users["newcomer"])
    client.post(f"/admin/org/membership/{membership.pk}/delete/", {"post": "yes"})
    assert [(action, actor) for action, actor, _ in membership_events()] == [
        ("membership_added", "admin"),
        ("membership_removed", "admin"),
    ]


def test_changes_outside_any_request_are_the_systems(org: Any) -> None:
    AuditEvent.objects.all().delete()
    Membership.objects.create(user=org.users["newcomer"], unit=org.south, role=Membership.Role.MANAGER)
    event = AuditEvent.objects.get(action="membership_added")
    assert (event.actor, event.actor_name) == (None, "")


def test_the_export_command_is_audited(org: Any, tmp_path: Any) -> None:
    output = tmp_path / "responses.parquet"
    call_command("export", "responses", "--output", str(output), "--user", "manager", stderr=io.StringIO())
    event = AuditEvent.objects.get(action="export")
    assert event.actor == org.users["manager"]
    assert {key: event.details[key] for key in ("dataset", "format", "via", "rows", "incremental", "output")} == {
        "dataset": "responses",
        "format": "parquet",
        "via": "cli",
        "rows": 22,  # North 1's 10 and North 2's 11 + 1 without a score: the manager sees North only
        "incremental": False,
        "output": str(output.resolve()),
    }
    assert event.details["system_user"]
