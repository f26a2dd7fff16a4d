"""Queueing and sending email invitations and reminders.

An invitation's ``scheduled_at`` is when it is next due.  Sending claims it with a conditional update
(``scheduled`` → ``sending``), so two workers never send the same one.  A temporary failure (the server is
down, a 4xx reply) puts it back to ``scheduled`` with ``scheduled_at`` moved on by an exponential backoff; a
permanent one (a 5xx refusal) or the last allowed attempt marks it ``failed`` with the error kept.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import smtplib
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.mail import get_connection
from django.db import connections, transaction
from django.db.models import F
from django.utils import timezone

from harken.contacts.models import Consent, Contact
from harken.distribution import eligibility, emails, fatigue, sms
from harken.distribution.models import Channel, Invitation
from harken.org.models import Employee, Unit
from harken.surveys.models import Survey, Touchpoint

logger = logging.getLogger(__name__)
MAX_BACKOFF_SECONDS = 6 * 3600


@dataclass(frozen=True)
class Outcome:
    """What one send attempt did: ``sent``, ``retry`` (at ``retry_at``), ``failed``, ``suppressed`` or ``skipped``."""

    status: str
    retry_at: dt.datetime | None = None


SKIPPED = Outcome("skipped")


def backoff(attempts: int) -> dt.timedelta:
    """Wait after the ``attempts``-th failed try: base, 2·base, 4·base … capped at six hours."""
    seconds = settings.EMAIL_RETRY_SECONDS * 2 ** max(attempts - 1, 0)
    return dt.timedelta(seconds=min(seconds, MAX_BACKOFF_SECONDS))


def is_permanent(error: BaseException) -> bool:
    """Whether an error will not go away by retrying: an SMTP 5xx reply (or every recipient refused with
    5xx), or an SMS provider refusing the number."""
    if isinstance(error, sms.SmsError):
        return error.permanent
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _message in error.recipients.values()]
        return bool(codes) and all(code >= 500 for code in codes)
    if isinstance(error, smtplib.SMTPResponseException):
        return error.smtp_code >= 500
    return False


def quiet_hours() -> tuple[dt.time, dt.time] | None:
    """The configured quiet hours (start, end), or ``None`` when switched off."""
    if settings.QUIET_HOURS == "off":
        return None
    start, end = settings.QUIET_HOURS.split("-")
    return fatigue.parse_clock(start), fatigue.parse_clock(end)


def send_time(contact: Contact, when: dt.datetime) -> dt.datetime:
    """``when``, moved out of the contact's quiet hours."""
    hours = quiet_hours()
    if hours is None:
        return when
    return fatigue.after_quiet_hours(when, contact.time_zone, *hours)


# --- Queueing ----------------------------------------------------------------------------------------------


def do_queue_invitation(
    survey: Survey,
    contact: Contact,
    unit: Unit,
    *,
    channel: str = Channel.EMAIL,
    touchpoint: Touchpoint | None = None,
    employee: Employee | None = None,
    context: dict[str, Any] | None = None,
    event_id: str = "",
    when: dt.datetime | None = None,
) -> Invitation | None:
    """Create an invitation due at ``when`` (outside quiet hours), or record in the ledger why not.

    Returns the invitation, a ``suppressed`` one when the rules say no, or ``None`` for a duplicate event.
    """
    now = timezone.now()
    due = send_time(contact, when or now)
    decision = eligibility.check_eligibility(contact, survey, channel, due, event_id=event_id)
    if decision.reason == fatigue.Reason.DUPLICATE_EVENT:
        eligibility.do_record_skip(contact, survey, channel, decision, now)
        return None
    with transaction.atomic():
        invitation = Invitation.objects.create(
            survey=survey,
            contact=contact,
            unit=unit,
            channel=channel,
            touchpoint=touchpoint or survey.touchpoint,
            employee=employee,
            context=context or {},
            event_id=event_id,
            language=contact.language,
            scheduled_at=due,
            status=Invitation.Status.SCHEDULED if decision.eligible else Invitation.Status.SUPPRESSED,
            last_error="" if decision.eligible else fatigue.Reason(decision.reason).label,
        )
        if not decision.eligible:
            eligibility.do_record_skip(contact, survey, channel, decision, now, invitation)
        elif channel in (Channel.EMAIL, Channel.SMS):
            transaction.on_commit(lambda: _enqueue_send(invitation.pk, due))
    return invitation


def _enqueue_send(invitation_id: int, when: dt.datetime) -> None:
    from harken.distribution import tasks

    tasks.enqueue_send(invitation_id, when)


# --- Sending -----------------------------------------------------------------------------------------------


def claim(invitation_id: int, now: dt.datetime) -> bool:
    """Take a due invitation for sending; ``False`` if it is not due or another worker has it."""
    claimed = Invitation.objects.filter(
        pk=invitation_id, status=Invitation.Status.SCHEDULED, scheduled_at__lte=now
    ).update(status=Invitation.Status.SENDING, attempts=F("attempts") + 1, scheduled_at=now)
    return claimed == 1


def claim_many(invitation_ids: list[int], now: dt.datetime) -> list[int]:
    """Claim a batch in one statement (``UPDATE … RETURNING``, SQLite ≥ 3.35 and PostgreSQL); the ids we got."""
    if not invitation_ids:
        return []
    table = Invitation._meta.db_table
    marks = ", ".join(["%s"] * len(invitation_ids))
    sql = (
        f"UPDATE {table} SET status = %s, attempts = attempts + 1, scheduled_at = %s "  # noqa: S608 (no user input)
        f"WHERE id IN ({marks}) AND status = %s AND scheduled_at <= %s RETURNING id"
    )
    database = connections["default"]
    moment = database.ops.adapt_datetimefield_value(now)  # stored exactly as the ORM stores it
    params: list[Any] = [Invitation.Status.SENDING.value, moment, *invitation_ids]
    params += [Invitation.Status.SCHEDULED.value, moment]
    with transaction.atomic(), database.cursor() as cursor:
        cursor.execute(sql, params)
        return sorted(row[0] for row in cursor.fetchall())


def do_send(invitation_id: int, connection: Any = None, now: dt.datetime | None = None) -> Outcome:
    """Send one due invitation, if it is still due and the contact still eligible."""
    now = now or timezone.now()
    if not claim(invitation_id, now):
        return SKIPPED
    invitation = Invitation.objects.select_related("survey", "contact", "unit").get(pk=invitation_id)
    return _send_claimed(invitation, connection, now)


def _send_claimed(
    invitation: Invitation,
    connection: Any,
    now: dt.datetime,
    rules: list[fatigue.AttributeRule] | None = None,
) -> Outcome:
    """Check the rules again, then deliver an invitation this worker has claimed and record the outcome."""
    decision = eligibility.check_eligibility(
        invitation.contact, invitation.survey, invitation.channel, now, rules=rules
    )
    if not decision.eligible:
        return _suppress(invitation, decision, now)
    try:
        deliver(invitation, connection)
    except (smtplib.SMTPException, OSError, sms.SmsError) as error:
        if connection is not None:
            _close_quietly(connection)  # the next send opens a fresh connection
        return _failed_attempt(invitation, error, now)
    return _mark_sent(invitation, now)


def deliver(invitation: Invitation, connection: Any = None, reminder: bool = False) -> None:
    """Hand the invitation (or a reminder) to the SMTP server or the SMS provider; raises on failure."""
    if invitation.channel == Channel.SMS:
        sms.provider().send(invitation.contact.phone, sms.message_for(invitation, reminder))
        return
    message = emails.build_message(invitation, reminder)
    if connection is None:
        message.send()
        return
    connection.open()  # keeps the connection open across messages (send_messages alone closes what it opened)
    connection.send_messages([message])


def _suppress(invitation: Invitation, decision: fatigue.Decision, now: dt.datetime) -> Outcome:
    Invitation.objects.filter(pk=invitation.pk).update(
        status=Invitation.Status.SUPPRESSED, last_error=fatigue.Reason(decision.reason).label
    )
    eligibility.do_record_skip(invitation.contact, invitation.survey, invitation.channel, decision, now, invitation)
    return Outcome("suppressed")


def _mark_sent(invitation: Invitation, now: dt.datetime) -> Outcome:
    with transaction.atomic():
        Invitation.objects.filter(pk=invitation.pk).update(status=Invitation.Status.SENT, sent_at=now, last_error="")
        Contact.objects.filter(pk=invitation.contact_id).update(last_surveyed_at=now)
        survey = invitation.survey
        if survey.max_reminders > 0:
            remind_at = now + dt.timedelta(days=survey.reminder_after_days)
            transaction.on_commit(lambda: _enqueue_reminder(invitation.pk, remind_at))
    return Outcome("sent")


def _failed_attempt(invitation: Invitation, error: BaseException, now: dt.datetime) -> Outcome:
    message = f"{type(error).__name__}: {error}"[:1000]
    if is_permanent(error) or invitation.attempts >= settings.EMAIL_MAX_ATTEMPTS:
        Invitation.objects.filter(pk=invitation.pk).update(status=Invitation.Status.FAILED, last_error=message)
        logger.warning("invitation %s failed after %s attempts: %s", invitation.pk, invitation.attempts, message)
        return Outcome("failed")
    retry_at = now + backoff(invitation.attempts)
    Invitation.objects.filter(pk=invitation.pk, status=Invitation.Status.SENDING).update(
        status=Invitation.Status.SCHEDULED, scheduled_at=retry_at, last_error=message
    )
    return Outcome("retry", retry_at)


def due_ids(now: dt.datetime, limit: int = 1000, shard: tuple[int, int] | None = None) -> list[int]:
    """Ids of email and SMS invitations due at ``now``, oldest first; with ``shard=(i, n)`` only ids ≡ i (mod n),
    so that n parallel senders do not contend for the same rows."""
    queryset = Invitation.objects.filter(
        status=Invitation.Status.SCHEDULED, channel__in=[Channel.EMAIL, Channel.SMS], scheduled_at__lte=now
    ).order_by("scheduled_at", "pk")
    if shard is not None:
        queryset = queryset.alias(shard=F("pk") % shard[1]).filter(shard=shard[0])
    return list(queryset.values_list("pk", flat=True)[:limit])


def do_send_due(
    now: dt.datetime | None = None, limit: int = 1000, shard: tuple[int, int] | None = None
) -> dict[str, int]:
    """Send due invitations (at most ``limit``), emails over one SMTP connection; returns counts per outcome.

    The batch is claimed first (one conditional update), then loaded in one query and sent.
    """
    now = now or timezone.now()
    counts: dict[str, int] = {}
    claimed = claim_many(due_ids(now, limit, shard), now)
    invitations = Invitation.objects.select_related("survey", "contact", "unit").filter(pk__in=claimed).order_by("pk")
    rules = eligibility.attribute_rules()
    connection = get_connection()
    try:
        for invitation in invitations:
            status = _send_claimed(invitation, connection, now, rules).status
            counts[status] = counts.get(status, 0) + 1
    finally:
        _close_quietly(connection)
    return counts


def _close_quietly(connection: Any) -> None:
    with contextlib.suppress(smtplib.SMTPException, OSError):
        connection.close()


def do_release_stuck(older_than: dt.timedelta = dt.timedelta(minutes=15)) -> int:
    """Put invitations left ``sending`` by a worker that died back in the queue (rare; run by the sweep).

    A claim sets ``scheduled_at`` to the moment of the claim, so only claims older than ``older_than`` count.
    """
    cutoff = timezone.now() - older_than
    return Invitation.objects.filter(status=Invitation.Status.SENDING, scheduled_at__lt=cutoff).update(
        status=Invitation.Status.SCHEDULED
    )


# --- Reminders ---------------------------------------------------------------------------------------------


def _enqueue_reminder(invitation_id: int, when: dt.datetime) -> None:
    from harken.distribution import tasks

    tasks.enqueue_reminder(invitation_id, when)


def do_remind(invitation_id: int, now: dt.datetime | None = None) -> Outcome:
    """Send the next reminder of a sent, unanswered invitation if its survey allows one more."""
    now = now or timezone.now()
    invitation = Invitation.objects.select_related("survey", "contact").filter(pk=invitation_id).first()
    if invitation is None or invitation.status != Invitation.Status.SENT or invitation.answered_at is not None:
        return SKIPPED
    survey, count = invitation.survey, invitation.reminder_count
    unsubscribed = eligibility.consent_of(invitation.contact, invitation.channel) == Consent.UNSUBSCRIBED
    if count >= survey.max_reminders or unsubscribed:
        return SKIPPED
    claimed = Invitation.objects.filter(
        pk=invitation_id, status=Invitation.Status.SENT, answered_at__isnull=True, reminder_count=count
    ).update(reminder_count=count + 1, reminded_at=now)
    if not claimed:
        return SKIPPED
    try:
        deliver(invitation, reminder=True)
    except (smtplib.SMTPException, OSError, sms.SmsError) as error:
        Invitation.objects.filter(pk=invitation_id, reminder_count=count + 1).update(
            reminder_count=count, last_error=f"Reminder: {type(error).__name__}: {error}"[:1000]
        )
        if is_permanent(error):
            return Outcome("failed")
        return Outcome("retry", now + backoff(1))
    if count + 1 < survey.max_reminders:
        next_at = now + dt.timedelta(days=survey.reminder_after_days)
        transaction.on_commit(lambda: _enqueue_reminder(invitation_id, next_at))
    return Outcome("sent")
