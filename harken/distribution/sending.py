"""Queueing and sending email invitations and reminders.

An invitation's ``scheduled_at`` is when it is next due.  Sending claims it with a conditional update
(``scheduled`` → ``sending``), so two workers never send the same one.  A temporary failure (the server is
down, a 4xx reply) puts it back to ``scheduled`` with ``scheduled_at`` moved on by an exponential backoff; a
permanent one (a 5xx refusal) or the last allowed attempt marks it ``failed`` with the error kept.  A 5xx
refusal of the recipient is also a hard bounce: the contact's address is not mailed again.

Sending is done in batches: one claim statement, one query to load them, one SMTP connection, each email
variant rendered once (``emails.Renderer``), and the sent ones marked with one update per
``MARK_EVERY`` emails (a worker that dies mid-batch can re-send at most that many after the stuck-claim sweep).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import smtplib
from dataclasses import dataclass
from functools import partial
from typing import Any

from django.conf import settings
from django.core.mail import get_connection
from django.core.mail.backends.smtp import EmailBackend as SmtpBackend
from django.db import connections, transaction
from django.db.models import F
from django.utils import timezone

from harken.contacts.models import Consent, Contact
from harken.distribution import eligibility, emails, fatigue, sms, smtp, tracking
from harken.distribution.models import Channel, Invitation
from harken.org.models import Employee, Unit
from harken.surveys.models import Survey, Touchpoint

logger = logging.getLogger(__name__)
MAX_BACKOFF_SECONDS = 6 * 3600
MARK_EVERY = 100


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


def is_bad_address(error: BaseException) -> bool:
    """Whether the server refused the recipient permanently (a synchronous hard bounce)."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _message in error.recipients.values()]
        return bool(codes) and all(code >= 500 for code in codes)
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
    batch = _Batch(now, connection)
    outcome = batch.send(invitation, eligibility.attribute_rules())
    batch.flush()
    return outcome


class _Batch:
    """Invitations this worker claimed, sent over one connection with one renderer; sent ones marked in bulk."""

    def __init__(self, now: dt.datetime, connection: Any = None) -> None:
        self.now = now
        self.connection = connection
        self.renderer = emails.Renderer()
        self.sent: list[Invitation] = []

    def send(self, invitation: Invitation, rules: list[fatigue.AttributeRule]) -> Outcome:
        """Check the rules again, then deliver a claimed invitation; failures are recorded at once."""
        decision = eligibility.check_eligibility(
            invitation.contact, invitation.survey, invitation.channel, self.now, rules=rules
        )
        if not decision.eligible:
            return _suppress(invitation, decision, self.now)
        try:
            deliver(invitation, self.connection, renderer=self.renderer)
        except (smtplib.SMTPException, OSError, sms.SmsError) as error:
            if self.connection is not None and not is_permanent(error):
                _close_quietly(self.connection)  # broken or refused for now: the next send opens a fresh one
            return _failed_attempt(invitation, error, self.now)
        self.sent.append(invitation)
        if len(self.sent) >= MARK_EVERY:
            self.flush()
        return Outcome("sent")

    def flush(self) -> None:
        """Mark the invitations sent so far as sent and delivered, and their contacts as surveyed now."""
        if self.sent:
            _mark_sent(self.sent, self.now)
            self.sent = []


def deliver(
    invitation: Invitation, connection: Any = None, reminder: bool = False, renderer: emails.Renderer | None = None
) -> None:
    """Hand the invitation (or a reminder) to the SMTP server or the SMS provider; raises on failure."""
    if invitation.channel == Channel.SMS:
        sms.provider().send(invitation.contact.phone, sms.message_for(invitation, reminder))
        return
    message = (renderer or emails.Renderer()).message(invitation, reminder)
    if connection is None:
        message.send()
        return
    connection.open()  # keeps the connection open across messages (send_messages alone closes what it opened)
    if isinstance(message, emails.PreparedEmail) and isinstance(connection, SmtpBackend) and connection.connection:
        # The finished bytes and envelope straight to the backend's open SMTP connection: what
        # ``send_messages`` does, without parsing both addresses again, and pipelined if the server can.
        smtp.send(connection.connection, message.envelope_from, message.envelope_to, message.raw)
        return
    connection.send_messages([message])


def _suppress(invitation: Invitation, decision: fatigue.Decision, now: dt.datetime) -> Outcome:
    Invitation.objects.filter(pk=invitation.pk).update(
        status=Invitation.Status.SUPPRESSED, last_error=fatigue.Reason(decision.reason).label
    )
    eligibility.do_record_skip(invitation.contact, invitation.survey, invitation.channel, decision, now, invitation)
    return Outcome("suppressed")


def _mark_sent(invitations: list[Invitation], now: dt.datetime) -> None:
    """One update for the invitations, one for their contacts; reminders queued for surveys that have them."""
    with transaction.atomic():
        Invitation.objects.filter(pk__in=[i.pk for i in invitations]).update(
            status=Invitation.Status.SENT, sent_at=now, delivered_at=now, last_error=""
        )
        Contact.objects.filter(pk__in={i.contact_id for i in invitations}).update(last_surveyed_at=now)
        for invitation in invitations:
            survey = invitation.survey
            if survey.max_reminders > 0:
                remind_at = now + dt.timedelta(days=survey.reminder_after_days)
                transaction.on_commit(partial(_enqueue_reminder, invitation.pk, remind_at))


def _failed_attempt(invitation: Invitation, error: BaseException, now: dt.datetime) -> Outcome:
    message = f"{type(error).__name__}: {error}"[:1000]
    if is_permanent(error) or invitation.attempts >= settings.EMAIL_MAX_ATTEMPTS:
        with transaction.atomic():
            changes: dict[str, Any] = {"status": Invitation.Status.FAILED, "last_error": message}
            if is_permanent(error):  # the server answered: it was sent, and refused
                changes["sent_at"] = now
            if is_bad_address(error):
                changes.update(bounce=Invitation.Bounce.HARD, bounced_at=now)
                tracking.do_mark_undeliverable(invitation.contact, message, now)
            Invitation.objects.filter(pk=invitation.pk).update(**changes)
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
    outcomes = _send_claimed_batch(claim_many(due_ids(now, limit, shard), now), now)
    counts: dict[str, int] = {}
    for outcome in outcomes.values():
        counts[outcome.status] = counts.get(outcome.status, 0) + 1
    return counts


def do_send_with_due(invitation_id: int, now: dt.datetime | None = None, limit: int = 200) -> Outcome:
    """Send one invitation together with up to ``limit`` others that are due, over one connection (what the
    worker's per-invitation task does, so that a burst of invitations shares connections and renders)."""
    now = now or timezone.now()
    ids = [invitation_id, *(pk for pk in due_ids(now, limit) if pk != invitation_id)]
    outcomes = _send_claimed_batch(claim_many(ids, now), now)
    return outcomes.get(invitation_id, SKIPPED)


def _send_claimed_batch(claimed: list[int], now: dt.datetime) -> dict[int, Outcome]:
    """Send invitations this worker has claimed; the outcome of each."""
    if not claimed:
        return {}
    invitations = list(Invitation.objects.select_related("contact").filter(pk__in=claimed).order_by("pk"))
    surveys = Survey.objects.in_bulk({invitation.survey_id for invitation in invitations})
    for invitation in invitations:  # one Survey object per survey, not per row
        invitation.survey = surveys[invitation.survey_id]
    rules = eligibility.attribute_rules()
    batch = _Batch(now, get_connection())
    outcomes: dict[int, Outcome] = {}
    try:
        for invitation in invitations:
            outcomes[invitation.pk] = batch.send(invitation, rules)
    finally:
        _close_quietly(batch.connection)
        batch.flush()
    return outcomes


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
