"""Managing alert rules and webhook endpoints: admins everywhere, managers for their subtree, others refused."""

from __future__ import annotations

from typing import Any

import pytest

from harken.integrations.webhooks.models import Delivery, Webhook
from harken.loop.models import AlertRule
from harken.org.models import AuditEvent

RULE = {
    "name": "Angry gold customers",
    "is_active": "on",
    "unit": "",
    "categories": ["detractor"],
    "sentiments": ["negative"],
    "min_score": "",
    "max_score": "",
    "keywords": "cancel\nlawyer",
    "attributes_text": "revenue >= 100000\nplan = Gold",
    "open_case": "on",
    "assign": "manager",
    "priority": "3",
    "sla_hours": "8",
    "notify_emails": "",
}


def test_an_admin_creates_a_rule_with_every_kind_of_condition(login: Any) -> None:
    client = login("admin")
    response = client.post("/alert-rules/new/", {**RULE, "notify_emails": "ops@acme.example, cx@acme.example"})
    assert response.status_code == 302
    rule = AlertRule.objects.get()
    assert (rule.unit, rule.categories, rule.sentiments, rule.priority, rule.sla_hours) == (
        None,
        ["detractor"],
        ["negative"],
        3,
        8,
    )
    assert rule.attribute_conditions == [
        {"name": "revenue", "op": ">=", "value": 100000},
        {"name": "plan", "op": "=", "value": "Gold"},
    ]
    assert rule.notify_list() == ["ops@acme.example", "cx@acme.example"]
    page = client.get("/alert-rules/").content.decode()
    assert "Angry gold customers" in page and "revenue &gt;= 100000" in page
    assert AuditEvent.objects.filter(action="alert_rule.created").count() == 1


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"name": ""}, "name", "This field is required."),
        ({"min_score": "11"}, "min_score", "A score is from 0 to 10."),
        ({"min_score": "8", "max_score": "3"}, "max_score", "The highest score must not be below the lowest."),
        ({"attributes_text": "revenue about 5"}, "attributes_text", "Line 1 (&#x27;revenue about 5&#x27;): write"),
        ({"notify_emails": "ops@acme"}, "notify_emails", "&#x27;ops@acme&#x27; is not an email address."),
        ({"sla_hours": "-1"}, "sla_hours", "Ensure this value is greater than or equal to 0."),
    ],
)
def test_bad_input_is_refused_with_an_error_on_the_field(
    login: Any, changes: dict[str, str], field: str, message: str
) -> None:
    page = login("admin").post("/alert-rules/new/", {**RULE, **changes}).content.decode()
    assert f'id="id_{field}-error"' in page and message in page
    assert not AlertRule.objects.exists()


def test_a_rule_without_any_action_is_refused(login: Any) -> None:
    data = {key: value for key, value in RULE.items() if key != "open_case"}
    page = login("admin").post("/alert-rules/new/", data).content.decode()
    assert "Choose at least one action" in page and not AlertRule.objects.exists()


def test_a_manager_sees_and_binds_rules_only_in_their_subtree(org: Any, login: Any) -> None:
    mine = AlertRule.objects.create(name="North detractors", unit=org.north_1, categories=["detractor"])
    theirs = AlertRule.objects.create(name="South detractors", unit=org.south_1, categories=["detractor"])
    everywhere = AlertRule.objects.create(name="Company-wide", categories=["detractor"])
    client = login("manager")
    page = client.get("/alert-rules/").content.decode()
    assert "North detractors" in page and "South detractors" not in page and "Company-wide" not in page
    assert client.get(f"/alert-rules/{theirs.pk}/").status_code == 404
    assert client.get(f"/alert-rules/{everywhere.pk}/").status_code == 404
    assert client.post(f"/alert-rules/{theirs.pk}/toggle/").status_code == 404
    form = client.get("/alert-rules/new/").content.decode()
    assert f'value="{org.north_2.pk}"' in form and f'value="{org.south_1.pk}"' not in form
    forged = client.post("/alert-rules/new/", {**RULE, "unit": str(org.south_1.pk)}).content.decode()
    assert "Select a valid choice." in forged
    unbound = client.post("/alert-rules/new/", {**RULE, "unit": ""}).content.decode()
    assert 'id="id_unit-error"' in unbound
    assert client.post("/alert-rules/new/", {**RULE, "unit": str(org.north.pk)}).status_code == 302
    assert AlertRule.objects.get(name="Angry gold customers").unit == org.north
    assert client.post(f"/alert-rules/{mine.pk}/toggle/").status_code == 302
    mine.refresh_from_db()
    assert mine.is_active is False


@pytest.mark.parametrize("name", ["frontline", "analyst", "outsider", "newcomer"])
def test_others_may_not_manage_rules_or_webhooks(login: Any, name: str) -> None:
    client = login(name)
    for url in ("/alert-rules/", "/alert-rules/new/", "/webhooks/", "/webhooks/new/"):
        assert client.get(url).status_code == 403


def test_trying_a_rule_says_how_many_recent_responses_it_would_have_matched(org: Any, login: Any) -> None:
    # The org fixture's North 1 answered 3 days ago: 4, 6, 2 are detractors (10 answers in all).
    data = {**RULE, "unit": str(org.north_1.pk), "sentiments": [], "keywords": "", "attributes_text": "", "try": "1"}
    page = login("admin").post("/alert-rules/new/", data).content.decode()
    assert "Would have matched 3 of 10 responses" in page
    assert not AlertRule.objects.exists()  # trying saves nothing
    rule = AlertRule.objects.create(name="North 2 detractors", unit=org.north_2, categories=["detractor"])
    saved = login("admin").get(f"/alert-rules/{rule.pk}/try/").content.decode()
    assert "Would have matched 4 of 12 responses" in saved  # 6, 5, 0, 3; one skipped score is checked too


def test_a_webhook_secret_is_shown_once_and_can_be_rotated(org: Any, login: Any) -> None:
    client = login("admin")
    created = client.post(
        "/webhooks/new/",
        {"name": "CRM", "url": "https://crm.example/hooks/harken", "kind": "json", "events": ["case.opened"]},
    )
    hook = Webhook.objects.get()
    assert created.url == f"/webhooks/{hook.pk}/" and hook.events == ["case.opened"]
    first = client.get(created.url).content.decode()
    assert hook.secret in first and "Copy it now" in first
    assert hook.secret not in client.get(created.url).content.decode()  # never again
    old = hook.secret
    client.post(f"/webhooks/{hook.pk}/rotate/")
    hook.refresh_from_db()
    assert hook.secret != old and hook.secret.startswith("whsec_")
    rotated = client.get(f"/webhooks/{hook.pk}/").content.decode()
    assert hook.secret in rotated and old not in rotated


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"url": "ftp://crm.example/"}, "Use an http:// or https:// address."),
        ({"url": "not a url"}, "Enter a valid URL."),
        ({"name": ""}, "This field is required."),
        ({"events": ["case.exploded"]}, "Select a valid choice. case.exploded is not one of the available choices."),
    ],
)
def test_a_bad_endpoint_is_refused_naming_the_field(login: Any, changes: dict[str, Any], message: str) -> None:
    data = {"name": "CRM", "url": "https://crm.example/", "kind": "json", **changes}
    page = login("admin").post("/webhooks/new/", data).content.decode()
    assert message in page and not Webhook.objects.exists()


def test_the_delivery_log_lists_attempts_and_redelivers_a_failed_one(
    org: Any, login: Any, django_capture_on_commit_callbacks: Any
) -> None:
    hook = Webhook.objects.create(name="CRM", url="http://127.0.0.1:9/", unit=org.north)
    failed = Delivery.objects.create(
        webhook=hook,
        event="case.opened",
        payload={"case_id": 1},
        state="failed",
        attempts=15,
        last_error="Could not connect: [Errno 111] Connection refused",
        log=[{"at": "2026-11-23T10:00:00+00:00", "attempt": 15, "status": None, "error": "refused", "ms": 3}],
    )
    client = login("manager")
    page = client.get(f"/webhooks/{hook.pk}/").content.decode()
    assert "Connection refused" in page and "1 attempt" in page and "Redeliver" in page
    with django_capture_on_commit_callbacks(execute=False):
        assert client.post(f"/webhooks/deliveries/{failed.pk}/redeliver/").status_code == 302
    failed.refresh_from_db()
    assert (failed.state, failed.attempts) == ("queued", 0)
    again = client.post(f"/webhooks/deliveries/{failed.pk}/redeliver/", follow=True).content.decode()
    assert "still queued or being sent" in again


def test_a_manager_cannot_touch_another_subtrees_endpoint(org: Any, login: Any) -> None:
    hook = Webhook.objects.create(name="South CRM", url="https://crm.example/", unit=org.south)
    delivery = Delivery.objects.create(webhook=hook, event="case.opened", payload={}, state="failed")
    client = login("manager")
    assert "South CRM" not in client.get("/webhooks/").content.decode()
    assert client.get(f"/webhooks/{hook.pk}/").status_code == 404
    assert client.post(f"/webhooks/{hook.pk}/rotate/").status_code == 404
    assert client.post(f"/webhooks/deliveries/{delivery.pk}/redeliver/").status_code == 404


def test_a_rule_posts_only_to_endpoints_the_user_may_use(org: Any, login: Any) -> None:
    north = Webhook.objects.create(
        name="North Slack", url="https://hooks.slack.example/n", kind="slack", unit=org.north
    )
    south = Webhook.objects.create(
        name="South Slack", url="https://hooks.slack.example/s", kind="slack", unit=org.south
    )
    client = login("manager")
    assert "South Slack" not in client.get("/alert-rules/new/").content.decode()
    data = {**RULE, "unit": str(org.north.pk), "webhooks": [str(north.pk)]}
    assert client.post("/alert-rules/new/", data).status_code == 302
    assert list(AlertRule.objects.get().webhooks.all()) == [north]
    refused = client.post("/alert-rules/new/", {**data, "name": "x", "webhooks": [str(south.pk)]}).content.decode()
    assert "Select a valid choice." in refused
