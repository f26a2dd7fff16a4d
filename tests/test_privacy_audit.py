"""The audit log: sign-ins, exports, membership and API key changes are recorded; only administrators read it."""

from __future__ import annotations

from typing import Any

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
