"""Webhooks: signed bodies, retries with backoff against a real receiver on 127.0.0.1, the log, redelivery,
and the Slack and Teams message formats."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django_tasks_db.models import DBTaskResult

from harken.collect.models import Response
from harken.integrations.webhooks import delivery, signing
from harken.integrations.webhooks.models import Delivery, Webhook
from harken.integrations.webhooks.tasks import deliver
from harken.loop import alerts
from harken.loop.models import AlertRule


class Receiver:
    """An HTTP endpoint that answers 500 to the first ``failures`` tries of each event, then 200, recording all."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.requests: list[tuple[dict[str, str], bytes, int]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                event_id = self.headers["X-Harken-Event-Id"]
                tries = sum(1 for headers, _, _ in receiver.requests if headers["X-Harken-Event-Id"] == event_id)
                status = 500 if tries < receiver.failures else 200
                receiver.requests.append((dict(self.headers), body, status))
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"

    def accepted(self) -> list[tuple[dict[str, str], bytes]]:
        return [(headers, body) for headers, body, status in self.requests if status == 200]


@pytest.fixture
def receiver_factory() -> Iterator[Any]:
    servers: list[Receiver] = []

    def start(failures: int = 0) -> Receiver:
        receiver = Receiver(failures)
        threading.Thread(target=receiver.server.serve_forever, daemon=True).start()
        servers.append(receiver)
        return receiver

    yield start
    for receiver in servers:
        receiver.server.shutdown()
        receiver.server.server_close()


def detractor(org: Any, comment: str = "Parcel lost") -> Response:
    return Response.objects.create(survey=org.survey, unit=org.north_1, score=1, comment=comment)


def run_worker_until_idle(start: dt.datetime, rounds: int = 10) -> None:
    """What the worker does over time: attempt whatever is due, then jump to the next attempt time."""
    now = start
    for _ in range(rounds):
        delivery.do_deliver_due(now)
        pending = Delivery.objects.filter(state=Delivery.State.QUEUED).order_by("next_attempt_at").first()
        if pending is None:
            return
        now = pending.next_attempt_at


def test_a_receiver_that_fails_first_gets_each_event_exactly_once_with_a_valid_signature(
    org: Any, receiver_factory: Any
) -> None:
    receiver = receiver_factory(failures=2)
    hook = Webhook.objects.create(name="CRM", url=receiver.url, events=["case.opened"])
    AlertRule.objects.create(name="Detractors", categories=["detractor"])
    first, second = detractor(org, "Parcel lost"), detractor(org, "Rude driver")
    alerts.do_apply_rules(first.pk)
    alerts.do_apply_rules(second.pk)
    assert Delivery.objects.count() == 2  # only case.opened: response.created is not subscribed

    start = dt.datetime.now(dt.UTC)
    run_worker_until_idle(start)

    accepted = receiver.accepted()
    assert len(receiver.requests) == 6  # each event fails twice, then arrives once
    bodies = [json.loads(body) for _, body in accepted]
    assert sorted(body["data"]["comment"] for body in bodies) == ["Parcel lost", "Rude driver"]
    assert len({body["id"] for body in bodies}) == 2
    for headers, body in accepted:
        assert headers["X-Harken-Event"] == "case.opened"
        sent_at = int(headers["X-Harken-Timestamp"])
        assert signing.verify(hook.secret, headers["X-Harken-Timestamp"], body, headers["X-Harken-Signature"], sent_at)
    assert set(Delivery.objects.values_list("state", flat=True)) == {"delivered"}
    log = Delivery.objects.order_by("pk").first().log  # type: ignore[union-attr]
    assert [(entry["attempt"], entry["status"]) for entry in log] == [(1, 500), (2, 500), (3, 200)]
    # The retries waited 30 s, then 60 s: the default backoff.
    times = [dt.datetime.fromisoformat(entry["at"]) for entry in log]
    assert [(b - a).total_seconds() for a, b in itertools.pairwise(times)] == [30, 60]
    run_worker_until_idle(start + dt.timedelta(days=3))
    assert len(receiver.requests) == 6  # nothing is sent twice


def test_the_task_tries_once_and_queues_the_next_attempt_after_the_backoff(org: Any, receiver_factory: Any) -> None:
    receiver = receiver_factory(failures=1)
    hook = Webhook.objects.create(name="CRM", url=receiver.url)
    (queued,) = delivery.do_publish("case.opened", {"case_id": 1}, webhooks=[hook])
    assert deliver.call(queued.pk) == "queued"
    queued.refresh_from_db()
    assert queued.attempts == 1 and queued.last_status == 500
    retry = DBTaskResult.objects.get(task_path=deliver.module_path)
    assert retry.args_kwargs["args"] == [queued.pk] and retry.run_after == queued.next_attempt_at
    assert deliver.call(queued.pk) == "skipped"  # not due yet: nothing is sent
    assert len(receiver.requests) == 1


def test_a_delivery_that_keeps_failing_is_marked_failed_and_can_be_redelivered(
    org: Any, receiver_factory: Any, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.WEBHOOK_MAX_ATTEMPTS = 3
    receiver = receiver_factory(failures=3)
    hook = Webhook.objects.create(name="CRM", url=receiver.url)
    (item,) = delivery.do_publish("case.closed", {"case_id": 7}, webhooks=[hook])
    run_worker_until_idle(dt.datetime.now(dt.UTC))
    item.refresh_from_db()
    assert (item.state, item.attempts, item.last_error) == ("failed", 3, "HTTP 500 Internal Server Error")
    with django_capture_on_commit_callbacks(execute=False):
        assert delivery.do_redeliver(item.pk)
        assert not delivery.do_redeliver(item.pk)  # already queued
    delivery.do_deliver_due()
    item.refresh_from_db()
    assert item.state == "delivered" and len(item.log) == 4
    ids = {json.loads(body)["id"] for _, body, _ in receiver.requests}
    assert ids == {str(item.event_id)}  # the same event id on every try, so receivers can deduplicate


def test_an_unreachable_endpoint_is_retried_with_the_error_logged(org: Any) -> None:
    hook = Webhook.objects.create(name="Down", url="http://127.0.0.1:9/nothing")
    (item,) = delivery.do_publish("case.opened", {"case_id": 1}, webhooks=[hook])
    assert delivery.do_attempt(item.pk) == "queued"
    item.refresh_from_db()
    assert item.last_status is None and item.last_error.startswith("Could not connect")


def test_the_backoff_doubles_and_retries_span_more_than_a_day() -> None:
    assert [delivery.backoff(n, 30).total_seconds() for n in (1, 2, 3, 4)] == [30, 60, 120, 240]
    assert delivery.backoff(20, 30) == dt.timedelta(hours=6)
    total = sum((delivery.backoff(n, 30) for n in range(1, 15)), dt.timedelta())  # 15 attempts: 14 waits
    assert total > dt.timedelta(hours=24)


def test_a_signature_is_refused_for_a_changed_body_a_wrong_secret_or_an_old_timestamp() -> None:
    body, now = b'{"id":"x"}', 1_800_000_000
    signature = signing.sign("whsec_a", now, body)
    assert signing.verify("whsec_a", str(now), body, signature, now + 299)
    assert not signing.verify("whsec_a", str(now), body + b" ", signature, now)
    assert not signing.verify("whsec_b", str(now), body, signature, now)
    assert not signing.verify("whsec_a", str(now), body, signature, now + 301)
    assert not signing.verify("whsec_a", "soon", body, signature, now)


def test_endpoints_get_only_the_events_and_units_they_subscribed_to(org: Any) -> None:
    north = Webhook.objects.create(name="North", url="http://127.0.0.1:9/", unit=org.north, events=["case.closed"])
    everything = Webhook.objects.create(name="All", url="http://127.0.0.1:9/")
    assert north.wants("case.closed", org.north_1.path) and not north.wants("case.opened", org.north_1.path)
    assert not north.wants("case.closed", org.south_1.path)
    published = delivery.do_publish("case.opened", {}, org.south_1.path)
    assert [item.webhook for item in published] == [everything]


def test_an_alert_posts_slack_and_teams_messages(org: Any, receiver_factory: Any) -> None:
    receiver = receiver_factory()
    slack = Webhook.objects.create(name="Slack", url=receiver.url, kind=Webhook.Kind.SLACK, events=["none"])
    teams = Webhook.objects.create(name="Teams", url=receiver.url, kind=Webhook.Kind.TEAMS, events=["none"])
    rule = AlertRule.objects.create(name="Lawyer mentioned", keywords="lawyer", open_case=False)
    rule.webhooks.set([slack, teams])
    alerts.do_apply_rules(detractor(org, "Talking to my lawyer").pk)
    delivery.do_deliver_due()
    bodies = {headers["X-Harken-Delivery"]: json.loads(body) for headers, body in receiver.accepted()}
    by_hook = {Delivery.objects.get(pk=int(pk)).webhook.kind: body for pk, body in bodies.items()}
    assert by_hook["slack"] == {"text": "Alert: Lawyer mentioned · score 1/10 · North 1\n> Talking to my lawyer"}
    card = by_hook["teams"]["attachments"][0]
    assert by_hook["teams"]["type"] == "message"
    assert card["contentType"] == "application/vnd.microsoft.card.adaptive"
    assert card["content"]["type"] == "AdaptiveCard"
    assert card["content"]["body"][0]["text"].startswith("Alert: Lawyer mentioned · score 1/10")
