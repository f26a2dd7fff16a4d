"""Emails sent through the worker with retries: the owner writing to a customer from a case, shout-outs, and
notifications to staff (alert rules, escalations, metric alerts).

``do_*`` functions are the only writers of ``LoopEmail``.  Sending follows invitations (DESIGN.md §5): a row
is claimed with a conditional update (``queued`` → ``sending``); a temporary failure puts it back with the
backoff of ``harken.distribution.sending`` (``HARKEN_EMAIL_RETRY_SECONDS`` doubling, at most
``HARKEN_EMAIL_MAX_ATTEMPTS`` tries); a permanent refusal (SMTP 5xx) fails it at once.  The outcome is
written to the case's history.
"""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
from email.utils import formataddr, parseaddr
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from harken.distribution.sending import backoff, is_permanent
from harken.loop.models import Case, CaseEvent, LoopEmail, Shoutout

logger = logging.getLogger(__name__)
STUCK_AFTER = dt.timedelta(minutes=15)
MAX_SUBJECT = 200
MAX_BODY = 20_000


class EmailError(ValueError):
    """An email that cannot be sent; the message names the problem and is shown as it is."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def _erased(contact: Any) -> bool:
    return not any((contact.email, contact.phone, contact.name, contact.external_id))


def customer_address(case: Case) -> str:
    """The customer's email address, or raise ``EmailError`` saying why there is none."""
    from harken.contacts.erasure import ERASED

    contact = case.response.contact
    if case.title == ERASED or (contact is not None and _erased(contact)):
        raise EmailError("The customer's personal data was erased: they cannot be emailed.")
    if contact is None:
        raise EmailError("This response is anonymous: there is no customer to email.")
    if not contact.email:
        raise EmailError(f"{contact.name or 'This customer'} has no email address: call them instead.")
    return str(contact.email)


def reply_address(user: Any) -> str:
    """Where the customer's answer goes: the case owner (or the writer) by name and address."""
    if not getattr(user, "email", ""):
        return ""
    return formataddr((user.get_full_name() or user.get_username(), user.email))


def check_customer_email(case: Case, sender: Any, subject: str, body: str) -> tuple[str, str, str]:
    """The recipient, subject and body of an email to the case's customer, or ``EmailError``."""
    to = customer_address(case)
    subject, body = (subject or "").strip(), (body or "").replace("\r\n", "\n").strip()
    if not subject:
        raise EmailError("Write a subject.", "subject")
    if len(subject) > MAX_SUBJECT:
        raise EmailError(f"A subject is at most {MAX_SUBJECT} characters.", "subject")
    if not body:
        raise EmailError("Write a message.", "body")
    if len(body) > MAX_BODY:
        raise EmailError(f"A message is at most {MAX_BODY:,} characters.", "body")
    owner = case.owner if case.owner is not None and case.owner.email else sender
    if not reply_address(owner):
        raise EmailError("Add an email address to your profile first: the customer's reply goes there.")
    return to, subject, body


def do_queue_customer_email(case: Case, sender: Any, subject: str, body: str) -> LoopEmail:
    """Queue an email to the case's customer (call ``check_customer_email`` first), Reply-To the case owner.

    The message and the reply address go into the case's history; the first email counts as the first
    contact for the close-the-loop metrics.
    """
    to, subject, body = check_customer_email(case, sender, subject, body)
    owner = case.owner if case.owner is not None and case.owner.email else sender
    reply_to = reply_address(owner)
    now = timezone.now()
    with transaction.atomic():
        email = LoopEmail.objects.create(
            case=case, sender=sender, to=to, reply_to=reply_to, subject=subject, body=body, next_attempt_at=now
        )
        text = f"To the customer, replies to {reply_to}. Subject: {subject}\n\n{body}"
        CaseEvent.objects.create(case=case, actor=sender, kind=CaseEvent.Kind.EMAILED, text=text, created_at=now)
        if case.first_contact_at is None:
            Case.objects.filter(pk=case.pk, first_contact_at__isnull=True).update(first_contact_at=now)
            case.first_contact_at = now
        transaction.on_commit(lambda: _enqueue(email.pk, now))
    return email


def do_queue_shoutout_emails(shoutout: Shoutout) -> list[LoopEmail]:
    """Queue the shout-out email to each recipient (the person praised and their manager)."""
    from harken.loop.recognition import recipients

    response = shoutout.response
    subject = f"A customer named {shoutout.recipient_name}: a shout-out"[:MAX_SUBJECT]
    score = "" if response.score is None else f" ({response.score}/10)"
    body = (
        f"A customer of {response.unit.name}{score} wrote:\n\n"
        f"“{response.comment.strip()}”\n\n"
        f"Thank you, {shoutout.recipient_name} — this is the experience we want every customer to have.\n\n"
        f"{settings.BASE_URL}/my-unit/\n"
    )
    now = timezone.now()
    emails = []
    for address in recipients(shoutout):
        email = LoopEmail.objects.create(shoutout=shoutout, to=address, subject=subject, body=body)
        transaction.on_commit(lambda email_id=email.pk: _enqueue(email_id, now))  # type: ignore[misc]
        emails.append(email)
    return emails


def do_queue_notification(addresses: list[str], subject: str, body: str) -> list[LoopEmail]:
    """Queue a plain notification to staff (an alert rule fired, a case escalated, a metric alert), one email
    per address, sent by the worker with the same retries and backoff as every other email."""
    now = timezone.now()
    emails = []
    for address in dict.fromkeys(a.strip() for a in addresses if a and a.strip()):
        email = LoopEmail.objects.create(to=address, subject=subject[:MAX_SUBJECT], body=body, next_attempt_at=now)
        transaction.on_commit(lambda email_id=email.pk: _enqueue(email_id, now))  # type: ignore[misc]
        emails.append(email)
    return emails


def _enqueue(email_id: int, when: dt.datetime) -> None:
    from harken.loop.tasks import enqueue_email

    enqueue_email(email_id, when)


def message_for(email: LoopEmail) -> EmailMessage:
    """The email as Django sends it: from the installation, with the reply address as Reply-To."""
    name, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    sender = formataddr((name or settings.SITE_NAME, address))
    reply_to = [email.reply_to] if email.reply_to else None
    return EmailMessage(email.subject, email.body, sender, [email.to], reply_to=reply_to)


def do_send(email_id: int, now: dt.datetime | None = None) -> str:
    """Send one due email once; its new state, or 'skipped' if it was not due or another worker has it."""
    now = now or timezone.now()
    claimed = LoopEmail.objects.filter(pk=email_id, state=LoopEmail.State.QUEUED, next_attempt_at__lte=now).update(
        state=LoopEmail.State.SENDING, attempts=F("attempts") + 1, claimed_at=now
    )
    if not claimed:
        return "skipped"
    email = LoopEmail.objects.select_related("case__response__contact").get(pk=email_id)
    if email.case is not None:
        try:
            customer_address(email.case)  # erased (or changed) since it was written: do not send
        except EmailError as error:
            _finish(email, LoopEmail.State.FAILED, now, str(error), quote=False)
            return LoopEmail.State.FAILED
    try:
        message_for(email).send()
    except (smtplib.SMTPException, OSError) as error:
        return _failed(email, error, now)
    _finish(email, LoopEmail.State.SENT, now, "")
    return LoopEmail.State.SENT


def _failed(email: LoopEmail, error: BaseException, now: dt.datetime) -> str:
    message = f"{type(error).__name__}: {error}"[:1000]
    if is_permanent(error) or email.attempts >= settings.EMAIL_MAX_ATTEMPTS:
        logger.warning("loop email %s failed after %s attempts: %s", email.pk, email.attempts, message)
        _finish(email, LoopEmail.State.FAILED, now, message)
        return LoopEmail.State.FAILED
    LoopEmail.objects.filter(pk=email.pk, state=LoopEmail.State.SENDING).update(
        state=LoopEmail.State.QUEUED, next_attempt_at=now + backoff(email.attempts), last_error=message
    )
    return LoopEmail.State.QUEUED


def _finish(email: LoopEmail, state: str, now: dt.datetime, error: str, quote: bool = True) -> None:
    """Record the outcome, and blank the recipient and text: the case's history keeps what was written.

    ``quote=False`` leaves the subject out of the history (the customer was erased meanwhile)."""
    with transaction.atomic():
        LoopEmail.objects.filter(pk=email.pk).update(
            state=state, sent_at=now if state == LoopEmail.State.SENT else None, last_error=error, to="", body=""
        )
        if email.case_id is not None:
            name = f"“{email.subject}”" if quote else "An email"
            if state == LoopEmail.State.SENT:
                text = f"{name} was sent to the customer."
            else:
                text = f"{name} could not be sent after {email.attempts} attempt(s): {error}"
            CaseEvent.objects.create(case_id=email.case_id, kind=CaseEvent.Kind.EMAILED, text=text, created_at=now)


def do_release_stuck(now: dt.datetime | None = None) -> int:
    """Put back emails whose worker died while sending."""
    now = now or timezone.now()
    return LoopEmail.objects.filter(state=LoopEmail.State.SENDING, claimed_at__lt=now - STUCK_AFTER).update(
        state=LoopEmail.State.QUEUED, next_attempt_at=now
    )


def do_send_due(now: dt.datetime | None = None, limit: int = 200) -> dict[str, int]:
    """Send every due queued email (the safety net next to the per-email tasks); counts per outcome."""
    now = now or timezone.now()
    do_release_stuck(now)
    due = LoopEmail.objects.filter(state=LoopEmail.State.QUEUED, next_attempt_at__lte=now).order_by("next_attempt_at")
    counts: dict[str, int] = {}
    for email_id in list(due.values_list("pk", flat=True)[:limit]):
        state = do_send(email_id, now)
        counts[f"emails_{state}"] = counts.get(f"emails_{state}", 0) + 1
    return counts
