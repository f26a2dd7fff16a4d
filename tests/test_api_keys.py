"""Personal API keys: hashed at rest, scoped, limited to the owner's units, revocable, last use recorded."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from harken.api.keys import do_create_key, hash_secret
from harken.api.models import ApiKey


@pytest.fixture
def key_for(org):
    def make(username: str, scope: str = "read") -> str:
        return do_create_key(org.users[username], f"{username} {scope}", scope)[1]

    return make


def get(client, path: str, token: str | None = None, **params):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return client.get(f"/api/v1{path}", params, headers=headers)


def post(client, path: str, data: dict, token: str):
    return client.post(
        f"/api/v1{path}", data, content_type="application/json", headers={"Authorization": f"Bearer {token}"}
    )


def test_a_new_key_is_stored_only_as_a_hash(org):
    key, token = do_create_key(org.users["analyst"], "warehouse", "read")
    stored = ApiKey.objects.get(pk=key.pk)
    assert token.startswith(f"hk_{stored.prefix}_")
    assert stored.hashed_secret == hash_secret(token)
    assert token not in str(ApiKey.objects.filter(pk=key.pk).values().get())


def test_a_request_without_a_key_is_refused_with_a_json_401(client, org):
    response = get(client, "/units")
    assert response.status_code == 401
    assert "Bearer" in response.json()["detail"]


def test_a_wrong_or_malformed_key_is_refused(client, key_for):
    token = key_for("analyst")
    for bad in (token[:-1] + ("x" if token[-1] != "x" else "y"), "hk_nothing", "garbage"):
        assert get(client, "/units", bad).status_code == 401


def test_a_key_works_until_it_is_revoked(client, org, key_for):
    token = key_for("analyst")
    assert get(client, "/units", token).status_code == 200
    key = ApiKey.objects.get(user=org.users["analyst"])
    assert key.last_used_at is not None
    client.force_login(org.users["analyst"])
    assert client.delete(f"/api/v1/keys/{key.pk}").status_code == 200
    client.logout()
    assert get(client, "/units", token).status_code == 401
    assert ApiKey.objects.get(pk=key.pk).revoked_at is not None


def test_a_read_key_cannot_write(client, org, key_for):
    token = key_for("manager", "read")
    data = {"survey_id": org.survey.pk, "unit_id": org.north_1.pk, "score": 9}
    response = post(client, "/responses", data, token)
    assert response.status_code == 403
    assert "'write'" in response.json()["detail"]
    assert post(client, "/responses", data, key_for("manager", "write")).status_code == 201


def test_a_write_key_cannot_administer(client, org, key_for):
    data = {"name": "Returns", "slug": "returns"}
    assert post(client, "/touchpoints", data, key_for("admin", "write")).status_code == 403
    assert post(client, "/touchpoints", data, key_for("admin", "admin")).status_code == 201


def test_an_admin_key_of_a_non_administrator_still_cannot_administer(client, org, key_for):
    response = post(client, "/touchpoints", {"name": "Returns", "slug": "returns"}, key_for("manager", "admin"))
    assert response.status_code == 403


def test_a_key_sees_only_its_owners_units(client, org, key_for):
    token = key_for("outsider")
    names = {unit["name"] for unit in get(client, "/units", token).json()["items"]}
    assert names == {"South 1"}
    assert get(client, f"/units/{org.north_1.pk}", token).status_code == 404
    responses = get(client, "/responses", token, limit=500).json()["items"]
    assert responses and {item["unit_id"] for item in responses} == {org.south_1.pk}


def test_an_outsider_cannot_write_to_a_unit_it_does_not_see(client, org, key_for):
    data = {"survey_id": org.survey.pk, "unit_id": org.north_1.pk, "score": 0}
    response = post(client, "/responses", data, key_for("outsider", "write"))
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "unit_id"


def test_an_analyst_key_reads_everything_but_writes_nothing(client, org, key_for):
    token = key_for("analyst", "write")
    assert len(get(client, "/units", token).json()["items"]) == 6
    data = {"survey_id": org.survey.pk, "unit_id": org.north_1.pk, "score": 9}
    assert post(client, "/responses", data, token).status_code == 403


def test_a_key_cannot_make_a_stronger_key(client, key_for):
    token = key_for("manager", "read")
    response = post(client, "/keys", {"name": "escalate", "scope": "write"}, token)
    assert response.status_code == 403
    assert response.json()["errors"][0]["field"] == "scope"
    made = post(client, "/keys", {"name": "another reader", "scope": "read"}, token)
    assert made.status_code == 201
    assert made.json()["token"].startswith("hk_")


def test_the_key_list_shows_last_use_but_never_secrets(client, org, key_for):
    token = key_for("manager")
    body = get(client, "/keys", token).json()
    assert [item["scope"] for item in body["items"]] == ["read"]
    assert body["items"][0]["last_used_at"] is not None
    assert "token" not in body["items"][0] and "hashed_secret" not in body["items"][0]


def test_the_apikey_command_creates_lists_and_revokes(client, org):
    out = StringIO()
    call_command("apikey", "create", "--user", "manager", "--name", "BI tool", "--scope", "write", stdout=out)
    token = out.getvalue().strip().splitlines()[-1]
    assert get(client, "/units", token).status_code == 200
    prefix = ApiKey.objects.get().prefix
    listing = StringIO()
    call_command("apikey", "list", stdout=listing)
    assert prefix in listing.getvalue() and "BI tool" in listing.getvalue()
    call_command("apikey", "revoke", prefix, stdout=StringIO())
    assert get(client, "/units", token).status_code == 401
