"""Email invitations end to end against a real SMTP server (aiosmtpd) started by the test.

The message is parsed as MIME, a one-click score link in it is followed in Chromium, and the response is
recorded with the invitation's unit and touchpoint.  SMTP down, then up again, loses no invitation.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from email.message import EmailMessage
from typing import Any

import pytest
from django.utils import timezone

from harken.collect.models import Response
from harken.contacts.models import Consent, Contact
from harken.distribution import emails, sending
from harken.distribution.models import Invitation
from tests.conftest import Smtp, screenshot


@pytest.fixture
def survey(org: Any) -> Any:
    org.survey.company_name = "Acme Stores"
    org.survey.touchpoint = org.delivery
    org.survey.save()
    return org.survey


def contact(org: Any, address: str = "ann@example.com", language: str = "en") -> Contact:
    return Contact.objects.create(email=address, name="Ann Example", language=language, home_unit=org.north_2)


def html_part(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("html",))
    assert part is not None
    return str(part.get_content())


def text_part(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


def score_links(html: str) -> list[str]:
    return re.findall(r'<a href="([^"]+/t/[^"]+/(?:\d+)/)"', html)


def test_an_invitation_arrives_with_both_parts_unsubscribe_headers_and_eleven_buttons(
    org: Any, survey: Any, smtp: Smtp
) -> None:
    smtp.start()
    invitation = sending.do_queue_invitation(survey, contact(org), org.north_2)
    assert invitation is not None

    assert sending.do_send_due() == {"sent": 1}

    [message] = smtp.inbox.messages
    assert message["From"].addresses[0].display_name == "Acme Stores"
    assert message["From"].addresses[0].addr_spec == "surveys@acme.example"
    assert message["To"] == "ann@example.com"
    assert message["Subject"] == "Acme Stores would like your opinion"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert str(message["List-Unsubscribe"]).strip() == f"<{emails.unsubscribe_url(invitation)}>"
    html = html_part(message)
    assert len(score_links(html)) == 11 and "<script" not in html and "<table" in html
    assert [link.rstrip("/").rsplit("/", 1)[1] for link in score_links(html)] == [str(n) for n in range(11)]
    assert "How likely are you to recommend us" in text_part(message)
    assert emails.unsubscribe_url(invitation) in text_part(message)
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.SENT and invitation.attempts == 1
    assert Contact.objects.get(pk=invitation.contact_id).last_surveyed_at == invitation.sent_at


@pytest.mark.parametrize(
    ("language", "subject", "phrase"),
    [
        ("es", "A Acme Stores le gustaría conocer su opinión", "Darse de baja"),
        ("fr", "Acme Stores aimerait connaître votre avis", "Se désabonner"),
        ("de", "Acme Stores möchte Ihre Meinung wissen", "Abmelden"),
    ],
)
def test_the_email_is_in_the_contacts_language(
    org: Any, survey: Any, smtp: Smtp, language: str, subject: str, phrase: str
) -> None:
    smtp.start()
    sending.do_queue_invitation(survey, contact(org, language=language), org.north_2)
    sending.do_send_due()
    [message] = smtp.inbox.messages
    assert message["Subject"] == subject
    assert message["Content-Language"] == language
    assert phrase in html_part(message) and phrase in text_part(message)


def test_smtp_down_then_up_loses_no_invitation_and_sends_each_once(org: Any, survey: Any, smtp: Smtp) -> None:
    for n in range(5):
        sending.do_queue_invitation(survey, contact(org, f"c{n}@example.com"), org.north_2)

    assert sending.do_send_due() == {"retry": 5}  # the server is down: connection refused
    assert set(Invitation.objects.values_list("status", "attempts")) == {(Invitation.Status.SCHEDULED, 1)}
    assert "ConnectionRefusedError" in Invitation.objects.first().last_error  # type: ignore[union-attr]
    assert sending.do_send_due() == {}  # nothing is due before the backoff has passed

    smtp.start()
    later = timezone.now() + dt.timedelta(minutes=2)
    assert sending.do_send_due(now=later) == {"sent": 5}
    assert sending.do_send_due(now=later + dt.timedelta(days=1)) == {}

    received = sorted(str(message["To"]) for message in smtp.inbox.messages)
    assert received == [f"c{n}@example.com" for n in range(5)]
    assert set(Invitation.objects.values_list("status", "attempts", "last_error")) == {(Invitation.Status.SENT, 2, "")}


def test_retries_back_off_and_the_last_attempt_marks_the_invitation_failed(
    org: Any, survey: Any, smtp: Smtp, settings: Any
) -> None:
    settings.EMAIL_MAX_ATTEMPTS, settings.EMAIL_RETRY_SECONDS = 3, 60
    invitation = sending.do_queue_invitation(survey, contact(org), org.north_2)
    assert invitation is not None
    now = timezone.now()
    first = sending.do_send(invitation.pk, now=now)
    second = sending.do_send(invitation.pk, now=first.retry_at)
    assert (first.status, first.retry_at) == ("retry", now + dt.timedelta(seconds=60))
    assert second.retry_at == first.retry_at + dt.timedelta(seconds=120)  # type: ignore[operator]
    assert sending.do_send(invitation.pk, now=second.retry_at).status == "failed"
    invitation.refresh_from_db()
    assert (invitation.status, invitation.attempts) == (Invitation.Status.FAILED, 3)


def test_a_permanent_refusal_fails_at_once(org: Any, survey: Any, smtp: Smtp) -> None:
    smtp.start()
    invitation = sending.do_queue_invitation(survey, contact(org, "nobody@example.com"), org.north_2)
    assert invitation is not None
    assert sending.do_send_due() == {"failed": 1}
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.FAILED and "550" in invitation.last_error


def test_two_workers_never_send_the_same_invitation(org: Any, survey: Any, smtp: Smtp) -> None:
    smtp.start()
    invitation = sending.do_queue_invitation(survey, contact(org), org.north_2)
    assert invitation is not None
    assert sending.claim(invitation.pk, timezone.now())
    assert sending.do_send(invitation.pk).status == "skipped"  # the other worker holds it
    assert smtp.inbox.messages == []


def test_an_unsubscribed_contact_is_not_sent_a_queued_invitation(org: Any, survey: Any, smtp: Smtp) -> None:
    smtp.start()
    ann = contact(org)
    invitation = sending.do_queue_invitation(survey, ann, org.north_2)
    Contact.objects.filter(pk=ann.pk).update(email_consent=Consent.UNSUBSCRIBED)
    assert sending.do_send_due() == {"suppressed": 1}
    assert smtp.inbox.messages == []
    assert invitation is not None and invitation.contact.eligibility.get().reason == "unsubscribed"


def test_reminders_go_to_non_responders_at_most_max_times_and_stop_when_answered(
    org: Any, survey: Any, smtp: Smtp
) -> None:
    smtp.start()
    survey.max_reminders = 2
    survey.save()
    first, second = (sending.do_queue_invitation(survey, contact(org, f"r{n}@example.com"), org.north_2) for n in "12")
    assert first is not None and second is not None
    sending.do_send_due()
    Invitation.objects.filter(pk=second.pk).update(answered_at=timezone.now(), status=Invitation.Status.ANSWERED)

    outcomes = [sending.do_remind(first.pk).status for _ in range(3)]
    assert outcomes == ["sent", "sent", "skipped"]
    assert sending.do_remind(second.pk).status == "skipped"
    reminders = [m for m in smtp.inbox.messages if str(m["Subject"]).startswith("Reminder:")]
    assert [str(m["To"]) for m in reminders] == ["r1@example.com", "r1@example.com"]
    first.refresh_from_db()
    assert first.reminder_count == 2 and first.reminded_at is not None


def test_one_click_unsubscribe_by_post_as_rfc_8058(org: Any, survey: Any, client: Any) -> None:
    ann = contact(org)
    invitation = sending.do_queue_invitation(survey, ann, org.north_2)
    assert invitation is not None
    url = emails.unsubscribe_url(invitation).removeprefix("http://127.0.0.1:8000")

    assert client.get(url).status_code == 200
    assert Contact.objects.get(pk=ann.pk).email_consent == Consent.UNKNOWN  # GET never unsubscribes
    response = client.post(url, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200 and b"You are unsubscribed" in response.content
    assert Contact.objects.get(pk=ann.pk).email_consent == Consent.UNSUBSCRIBED
    assert client.post(url[:-3] + "xx/").status_code == 400


@pytest.mark.browser
def test_a_score_clicked_in_the_email_records_the_response_with_unit_and_touchpoint(
    org: Any, survey: Any, smtp: Smtp, page: Any, settings: Any
) -> None:
    settings.BASE_URL = _live_url(page)
    smtp.start()
    sending.do_queue_invitation(survey, contact(org), org.north_2, employee=None)
    sending.do_send_due()
    [message] = smtp.inbox.messages
    nine = score_links(html_part(message))[9]

    # Headless Chromium says "HeadlessChrome", which the one-click page rightly takes for a link scanner.
    person = page.context.browser.new_context(user_agent="Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0 Safari/537.36")
    customer = person.new_page()
    customer.goto(nine)
    customer.wait_for_load_state()
    screenshot(customer, "email-one-click-desktop")
    person.close()

    response = Response.objects.get(invitation__isnull=False)
    assert (response.score, response.unit, response.touchpoint) == (9, org.north_2, org.delivery)
    assert response.channel == "email"
    assert Invitation.objects.get().status == Invitation.Status.ANSWERED
    assert sending.do_remind(Invitation.objects.get().pk).status == "skipped"


def _live_url(page: Any) -> str:
    page.goto("/login/")
    return str(page.url).split("/login/")[0]


@pytest.mark.browser
def test_the_email_and_the_unsubscribe_page_read_well_on_a_phone_and_a_desktop(
    org: Any, survey: Any, smtp: Smtp, page: Any, settings: Any
) -> None:
    settings.BASE_URL = _live_url(page)
    smtp.start()
    invitation = sending.do_queue_invitation(survey, contact(org), org.north_2)
    assert invitation is not None
    sending.do_send_due()
    html = html_part(smtp.inbox.messages[0])
    for name, size in (("phone", {"width": 360, "height": 740}), ("desktop", {"width": 1280, "height": 800})):
        page.set_viewport_size(size)
        page.set_content(html)
        assert page.locator("a", has_text="10").first.is_visible()
        screenshot(page, f"email-invitation-{name}")
        page.goto(emails.unsubscribe_url(invitation))
        screenshot(page, f"email-unsubscribe-{name}")
    page.get_by_role("button", name="Unsubscribe").click()
    page.get_by_text("You are unsubscribed").wait_for()
    screenshot(page, "email-unsubscribed-desktop")
    assert Contact.objects.get(pk=invitation.contact_id).email_consent == Consent.UNSUBSCRIBED


def test_the_worker_sends_queued_invitations_and_retries_once_smtp_is_back(
    org: Any, survey: Any, smtp: Smtp, settings: Any, django_capture_on_commit_callbacks: Any, run_worker: Any
) -> None:
    settings.EMAIL_RETRY_SECONDS = 1
    with django_capture_on_commit_callbacks(execute=True):
        for n in range(3):
            sending.do_queue_invitation(survey, contact(org, f"w{n}@example.com"), org.north_2)

    run_worker()  # SMTP is down: the first task tries the whole due batch, each invitation waits for its retry
    assert {status for status, attempts in Invitation.objects.values_list("status", "attempts")} == {"scheduled"}
    assert smtp.inbox.messages == []

    smtp.start()
    time.sleep(1.1)  # the retry tasks run after the one-second backoff
    run_worker()
    assert sorted(str(m["To"]) for m in smtp.inbox.messages) == [f"w{n}@example.com" for n in range(3)]
    # Each was tried at least once while SMTP was down (how often depends on how fast the worker ran), sent once.
    assert all(s == Invitation.Status.SENT and n >= 2 for s, n in Invitation.objects.values_list("status", "attempts"))
