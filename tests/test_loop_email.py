"""The owner emails the customer from a case: sent by the worker over real SMTP, Reply-To the owner, logged."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from harken.collect.models import Response
from harken.contacts.erasure import do_erase_contact
from harken.contacts.models import Contact
from harken.loop import alerts, mailing
from harken.loop.metrics import loop_metrics
from harken.loop.models import AlertRule, Case, CaseEvent, LoopEmail
from tests.conftest import Smtp


@pytest.fixture
def case(org: Any) -> Case:
    org.users["manager"].email = "mia.manager@acme.example"
    org.users["manager"].last_name = "Manager"
    org.users["manager"].save()
    AlertRule.objects.create(name="Detractors", categories=["detractor"], sla_hours=8)
    dana = Contact.objects.create(name="Dana Customer", email="dana@example.com")
    response = Response.objects.create(
        survey=org.survey, unit=org.north_1, score=2, comment="My parcel never came.", contact=dana
    )
    alerts.do_apply_rules(response.pk)
    return Case.objects.select_related("response__contact", "owner", "unit").get()


def test_the_owner_emails_the_customer_and_the_worker_sends_it_reply_to_the_owner(
    org: Any, case: Case, smtp: Smtp, login: Any, django_capture_on_commit_callbacks: Any, run_worker: Any
) -> None:
    smtp.start()
    client = login("manager")
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert "To <strong>dana@example.com</strong>" in page
    with django_capture_on_commit_callbacks(execute=True):
        reply = client.post(
            f"/cases/{case.pk}/email/",
            {"subject": "Your parcel", "body": "Dear Dana,\n\nI am sorry. A new parcel leaves today.\n\nMia"},
        )
    assert reply.status_code == 302
    run_worker()

    [message] = smtp.inbox.messages
    assert message["To"] == "dana@example.com"
    assert message["Reply-To"] == "Manager Manager <mia.manager@acme.example>"
    assert message["From"] == "Harken <surveys@acme.example>"
    assert message["Subject"] == "Your parcel"
    assert (
        message.get_content().replace("\r\n", "\n").strip()
        == "Dear Dana,\n\nI am sorry. A new parcel leaves today.\n\nMia"
    )

    email = LoopEmail.objects.get()
    assert (email.state, email.attempts, email.to, email.body) == ("sent", 1, "", "")  # address not kept here
    history = list(case.events.filter(kind=CaseEvent.Kind.EMAILED).values_list("actor__username", "text"))
    assert history == [
        (
            "manager",
            "To the customer, replies to Manager Manager <mia.manager@acme.example>. Subject: Your parcel\n\n"
            "Dear Dana,\n\nI am sorry. A new parcel leaves today.\n\nMia",
        ),
        (None, "“Your parcel” was sent to the customer."),
    ]


def test_the_first_email_counts_as_the_first_contact(org: Any, case: Case, smtp: Smtp) -> None:
    assert case.first_contact_at is None
    mailing.do_queue_customer_email(case, org.users["manager"], "Sorry", "We will call you.")
    case.refresh_from_db()
    first = case.first_contact_at
    assert first is not None and case.due_at is not None and first <= case.due_at
    mailing.do_queue_customer_email(case, org.users["manager"], "Again", "Second message.")
    case.refresh_from_db()
    assert case.first_contact_at == first
    [metrics] = loop_metrics(Case.objects.all(), "all")
    assert (metrics.contacted, metrics.contacted_within_sla, metrics.detractor_cases) == (1, 1, 1)


def test_the_smtp_server_being_down_retries_with_backoff_then_sends_once(
    org: Any, case: Case, smtp: Smtp, settings: Any
) -> None:
    settings.EMAIL_RETRY_SECONDS = 60
    email = mailing.do_queue_customer_email(case, org.users["manager"], "Sorry", "We will call you.")
    now = timezone.now()
    assert mailing.do_send(email.pk, now) == "queued"  # nothing listens on the port yet
    email.refresh_from_db()
    assert (email.attempts, email.next_attempt_at, email.to) == (1, now + dt.timedelta(seconds=60), "dana@example.com")
    assert "ConnectionRefusedError" in email.last_error
    assert mailing.do_send(email.pk, now + dt.timedelta(seconds=59)) == "skipped"  # not due yet
    smtp.start()
    assert mailing.do_send_due(now + dt.timedelta(seconds=60)) == {"emails_sent": 1}
    assert mailing.do_send_due(now + dt.timedelta(seconds=600)) == {}
    assert [m["To"] for m in smtp.inbox.messages] == ["dana@example.com"]


def test_the_last_attempt_fails_the_email_and_says_so_in_the_history(
    org: Any, case: Case, smtp: Smtp, settings: Any
) -> None:
    settings.EMAIL_MAX_ATTEMPTS = 2
    email = mailing.do_queue_customer_email(case, org.users["manager"], "Sorry", "We will call you.")
    now = timezone.now()
    assert mailing.do_send(email.pk, now) == "queued"
    assert mailing.do_send(email.pk, now + dt.timedelta(hours=1)) == "failed"
    email.refresh_from_db()
    assert (email.state, email.attempts, email.to, email.body) == ("failed", 2, "", "")
    last = case.events.order_by("-pk").first()
    assert last is not None and last.text.startswith("“Sorry” could not be sent after 2 attempt(s): ")


def test_a_permanent_refusal_fails_at_once(org: Any, case: Case, smtp: Smtp) -> None:
    smtp.start()
    Contact.objects.filter(pk=case.response.contact_id).update(email="nobody@example.com")  # the server says 550
    case.response.contact.refresh_from_db()
    email = mailing.do_queue_customer_email(case, org.users["manager"], "Sorry", "We will call you.")
    assert mailing.do_send(email.pk) == "failed"
    assert LoopEmail.objects.get().attempts == 1 and smtp.inbox.messages == []


def test_it_refuses_when_the_contact_has_no_email(org: Any, case: Case, login: Any) -> None:
    Contact.objects.filter(pk=case.response.contact_id).update(email="", phone="+447700900123")
    page = login("manager").get(f"/cases/{case.pk}/").content.decode()
    assert "Dana Customer has no email address: call them instead." in page and "Send email" not in page
    posted = login("manager").post(f"/cases/{case.pk}/email/", {"subject": "Hi", "body": "Hello"})
    assert "Dana Customer has no email address: call them instead." in posted.content.decode()
    assert not LoopEmail.objects.exists()


def test_it_refuses_when_the_customer_was_erased(org: Any, case: Case) -> None:
    do_erase_contact(case.response.contact)
    case.refresh_from_db()
    with pytest.raises(mailing.EmailError, match="The customer's personal data was erased"):
        mailing.check_customer_email(case, org.users["manager"], "Hi", "Hello")


def test_it_refuses_an_anonymous_response(org: Any, case: Case) -> None:
    Response.objects.filter(pk=case.response_id).update(contact=None)
    case = Case.objects.select_related("response").get(pk=case.pk)
    with pytest.raises(mailing.EmailError, match="This response is anonymous"):
        mailing.check_customer_email(case, org.users["manager"], "Hi", "Hello")


def test_an_empty_subject_or_message_is_refused_naming_the_field(case: Case, login: Any) -> None:
    page = login("manager").post(f"/cases/{case.pk}/email/", {"subject": "  ", "body": ""}).content.decode()
    assert page.count("This field is required.") == 2
    assert not LoopEmail.objects.exists()


def test_an_analyst_or_another_unit_cannot_email_the_customer(case: Case, login: Any) -> None:
    assert login("analyst").post(f"/cases/{case.pk}/email/", {"subject": "x", "body": "y"}).status_code == 403
    assert login("outsider").post(f"/cases/{case.pk}/email/", {"subject": "x", "body": "y"}).status_code == 404
    assert not LoopEmail.objects.exists()


def test_a_customer_erased_while_the_email_waits_is_not_emailed(org: Any, case: Case, smtp: Smtp) -> None:
    smtp.start()
    email = mailing.do_queue_customer_email(case, org.users["manager"], "Sorry", "We will call you.")
    do_erase_contact(case.response.contact)
    assert mailing.do_send(email.pk) == "failed"
    email.refresh_from_db()
    assert (email.to, email.last_error) == ("", "The customer's personal data was erased: they cannot be emailed.")
    assert smtp.inbox.messages == []
