"""Alert rules applied to new responses, cases with owners and due times, the workflow, and escalation."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import pytest
from django.core import mail
from django_tasks_db.models import DBTaskResult

from harken.collect.answers import Respondent, do_record
from harken.collect.models import Response
from harken.contacts.models import Contact
from harken.loop import alerts, cases, mailing
from harken.loop.models import AlertCheck, AlertRule, Case, CaseEvent, Outcome, Status
from harken.loop.tasks import apply_rules
from harken.org.models import Membership, Unit
from harken.text.models import Theme

MONDAY_10_UTC = dt.datetime(2026, 11, 23, 10, tzinfo=dt.UTC)


def respond(org: Any, unit: Unit, score: int, comment: str = "", **extra: Any) -> Response:
    return Response.objects.create(survey=org.survey, unit=unit, score=score, comment=comment, **extra)


@pytest.fixture
def detractor_rule(org: Any) -> AlertRule:
    return AlertRule.objects.create(name="Detractors", categories=["detractor"], sla_hours=8)


def test_a_response_queues_its_alert_rules_when_saved_and_again_when_the_comment_arrives(
    org: Any, django_capture_on_commit_callbacks: Any
) -> None:
    respondent = Respondent(
        survey=org.survey, unit_id=org.north_1.pk, channel="link", language="en", submission_key="k" * 20
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = do_record(respondent, score=2)
        do_record(respondent, comment="Too slow")  # the second step of the survey page
    queued = DBTaskResult.objects.filter(task_path=apply_rules.module_path).order_by("enqueued_at")
    assert [row.args_kwargs["args"] for row in queued] == [[response.pk], [response.pk]]


def test_a_keyword_in_a_comment_sent_after_the_score_fires_its_rule_once(
    org: Any, detractor_rule: AlertRule, django_capture_on_commit_callbacks: Any, run_worker: Any
) -> None:
    from harken.integrations.webhooks.models import Delivery, Webhook

    Webhook.objects.create(name="All events", url="http://127.0.0.1:9/hook")
    legal = AlertRule.objects.create(name="Legal threat", keywords="lawyer", sla_hours=4)
    respondent = Respondent(
        survey=org.survey, unit_id=org.north_1.pk, channel="link", language="en", submission_key="l" * 20
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = do_record(respondent, score=3)
    run_worker()
    assert AlertCheck.objects.get(response=response).matched_rules == [detractor_rule.pk]

    with django_capture_on_commit_callbacks(execute=True):
        do_record(respondent, comment="My lawyer will hear about this")
        do_record(respondent, comment="My lawyer will hear about this, and soon")
    run_worker()
    assert AlertCheck.objects.get(response=response).matched_rules == [detractor_rule.pk, legal.pk]
    assert sorted(Case.objects.filter(response=response).values_list("rule_id", flat=True)) == sorted(
        [detractor_rule.pk, legal.pk]
    )
    events = list(Delivery.objects.order_by("pk").values_list("event", flat=True))
    assert events.count("response.created") == 1
    assert events.count("response.updated") == 2
    assert alerts.do_apply_rules(response.pk) == []  # nothing new: no rule fires twice


def test_the_worker_opens_the_case_within_seconds_of_the_answer(
    org: Any, detractor_rule: AlertRule, django_capture_on_commit_callbacks: Any, run_worker: Any
) -> None:
    respondent = Respondent(
        survey=org.survey, unit_id=org.north_1.pk, channel="link", language="en", submission_key="w" * 20
    )
    started = time.monotonic()
    with django_capture_on_commit_callbacks(execute=True):
        response = do_record(respondent, score=1)
    run_worker()
    assert Case.objects.get().response == response
    assert time.monotonic() - started < 5


def test_a_detractor_opens_one_case_owned_by_the_manager_of_its_unit(org: Any, detractor_rule: AlertRule) -> None:
    org.users["manager"].email = "manager@example.com"
    response = respond(org, org.north_1, 2, "Never again")
    assert alerts.do_apply_rules(response.pk) == [detractor_rule.pk]
    assert alerts.do_apply_rules(response.pk) == []  # each rule fires once: a second run fires nothing
    case = Case.objects.get()
    assert (case.response, case.unit, case.owner, case.status) == (response, org.north_1, org.users["manager"], "new")
    assert case.due_at is not None and case.events.get().kind == CaseEvent.Kind.OPENED


def test_a_promoter_opens_no_case(org: Any, detractor_rule: AlertRule) -> None:
    response = respond(org, org.north_1, 10)
    assert alerts.do_apply_rules(response.pk) == []
    assert not Case.objects.exists()
    assert AlertCheck.objects.get(response=response).matched_rules == []


def test_rules_match_keywords_and_contact_attributes(org: Any) -> None:
    rule = AlertRule.objects.create(
        name="Big account threatens to leave",
        keywords="cancel, lawyer",
        attribute_conditions=[{"name": "revenue", "op": ">=", "value": 100000}],
        notify_emails="alerts@example.com",
        open_case=False,
    )
    big = Contact.objects.create(email="big@example.com", attributes={"revenue": 250000})
    small = Contact.objects.create(email="small@example.com", attributes={"revenue": 900})
    assert alerts.do_apply_rules(respond(org, org.south_1, 8, "I will cancel", contact=big).pk) == [rule.pk]
    assert alerts.do_apply_rules(respond(org, org.south_1, 8, "I will cancel", contact=small).pk) == []
    assert alerts.do_apply_rules(respond(org, org.south_1, 8, "Lovely", contact=big).pk) == []
    mailing.do_send_due()  # notifications go out through the worker, with retries
    assert [message.subject for message in mail.outbox] == ["Alert: Big account threatens to leave"]
    assert not Case.objects.exists()


def test_the_due_time_counts_business_hours_of_the_units_time_zone(org: Any, detractor_rule: AlertRule) -> None:
    Unit.objects.filter(pk=org.north_1.pk).update(time_zone="America/New_York")
    response = Response.objects.select_related("unit").get(pk=respond(org, org.north_1, 0).pk)
    # Monday 10:00 UTC = 05:00 New York: counting starts at 09:00 there, 8 h → 17:00 EST = 22:00 UTC.
    case = cases.do_open_case(response, detractor_rule, now=MONDAY_10_UTC)
    assert case is not None and case.due_at == dt.datetime(2026, 11, 23, 22, tzinfo=dt.UTC)


def test_round_robin_hands_cases_to_the_units_team_in_turn(org: Any) -> None:
    rule = AlertRule.objects.create(name="All", assign=AlertRule.Assign.ROUND_ROBIN)
    extra = type(org.users["frontline"]).objects.create(username="second")
    Membership.objects.create(user=extra, unit=org.north_1, role=Membership.Role.FRONTLINE)
    owners = []
    for _ in range(3):
        alerts.do_apply_rules(respond(org, org.north_1, 5).pk)
        owners.append(Case.objects.order_by("-pk").first().owner)  # type: ignore[union-attr]
    assert owners == [org.users["frontline"], extra, org.users["frontline"]]
    assert rule.cases.count() == 3


def open_case(org: Any, rule: AlertRule, unit: Unit | None = None) -> Case:
    response = respond(org, unit or org.north_1, 1)
    alerts.do_apply_rules(response.pk)
    return Case.objects.get(response=response)


def test_a_case_is_worked_through_the_workflow_and_cannot_close_without_a_root_cause(
    org: Any, detractor_rule: AlertRule
) -> None:
    case = open_case(org, detractor_rule)
    manager = org.users["manager"]
    delivery = Theme.objects.create(name="Delivery")
    with pytest.raises(cases.CaseError, match="cannot become closed"):
        cases.check_status_change(case, Status.CLOSED)
    cases.do_change_status(case, Status.IN_PROGRESS, manager, note="Called the customer")
    assert case.first_contact_at is not None
    cases.do_change_status(case, Status.WAITING, manager)
    cases.do_change_status(case, Status.RESOLVED, manager)
    with pytest.raises(cases.CaseError, match="root cause"):
        cases.check_status_change(case, Status.CLOSED)
    with pytest.raises(cases.CaseError, match="outcome"):
        cases.check_status_change(case, Status.CLOSED, root_cause=delivery)
    cases.check_status_change(case, Status.CLOSED, delivery, Outcome.RECOVERED)
    cases.do_change_status(case, Status.CLOSED, manager, root_cause=delivery, outcome=Outcome.RECOVERED)
    assert case.closed_at is not None and case.resolved_at is not None
    cases.check_status_change(case, Status.IN_PROGRESS)  # reopenable
    cases.do_change_status(case, Status.IN_PROGRESS, manager)
    assert case.closed_at is None
    history = [(e.kind, e.actor.username if e.actor else None, e.text) for e in case.events.all()]
    assert history == [
        ("opened", None, "Assigned to manager"),
        ("status", "manager", "New → In progress"),
        ("note", "manager", "Called the customer"),
        ("status", "manager", "In progress → Waiting on customer"),
        ("status", "manager", "Waiting on customer → Resolved"),
        ("status", "manager", "Resolved → Closed (root cause: Delivery; outcome: Customer recovered)"),
        ("status", "manager", "Closed → In progress"),
    ]


def test_an_overdue_case_escalates_to_the_next_manager_up_and_notifies_them(
    org: Any, detractor_rule: AlertRule
) -> None:
    boss = type(org.users["manager"]).objects.create(username="boss", email="boss@example.com")
    Membership.objects.create(user=boss, unit=org.acme, role=Membership.Role.MANAGER)
    case = open_case(org, detractor_rule)
    assert case.owner == org.users["manager"]
    later = case.due_at + dt.timedelta(minutes=1)  # type: ignore[operator]
    assert cases.do_escalate_overdue(now=case.due_at) == 0  # not yet overdue
    assert cases.do_escalate_overdue(now=later) == 1
    case.refresh_from_db()
    assert (case.owner, case.escalation_level) == (boss, 1)
    assert case.due_at > later  # type: ignore[operator]
    assert case.events.last().kind == CaseEvent.Kind.ESCALATED  # type: ignore[union-attr]
    mailing.do_send_due()
    assert [m.to for m in mail.outbox] == [["boss@example.com"]]
    # Nobody is above the boss: a case overdue again stays with them.
    assert cases.do_escalate_overdue(now=case.due_at + dt.timedelta(minutes=1)) == 0  # type: ignore[operator]


def test_closed_cases_never_escalate(org: Any, detractor_rule: AlertRule) -> None:
    boss = type(org.users["manager"]).objects.create(username="boss")
    Membership.objects.create(user=boss, unit=org.acme, role=Membership.Role.MANAGER)
    case = open_case(org, detractor_rule)
    Case.objects.filter(pk=case.pk).update(status=Status.CLOSED)
    assert cases.do_escalate_overdue(now=case.due_at + dt.timedelta(days=1)) == 0  # type: ignore[operator]


def test_the_apply_rules_task_runs_the_rules(org: Any, detractor_rule: AlertRule) -> None:
    response = respond(org, org.south_1, 3)
    assert apply_rules.call(response.pk) == [detractor_rule.pk]
    assert Case.objects.get().owner is None  # South has no manager: the case waits in the unit's inbox
