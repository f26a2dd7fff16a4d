"""Subscribing, scheduling and sending digests; the ``do_*`` functions are the only writers of their models.

Scheduling claims a due subscription with a conditional update on ``next_period_start`` (two workers never
take the same one) and creates its ``DigestSend`` for that period; the unique (subscription, period) row
means a period is never sent twice, whatever crashes or retries happen.  Sending claims the row
(``queued`` → ``sending``).  A digest whose period brought no new feedback is not sent: it is marked
``paused`` and the log says so.  Temporary SMTP failures are retried with the invitations' backoff
(``HARKEN_EMAIL_RETRY_SECONDS`` doubling, ``HARKEN_EMAIL_MAX_ATTEMPTS`` tries); a 5xx refusal fails at once.
"""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from harken.distribution.sending import backoff, is_permanent
from harken.org.models import Unit
from harken.reports.digests import content, emails, schedule
from harken.reports.digests.models import DigestSend, Subscription

logger = logging.getLogger(__name__)
STUCK_AFTER = dt.timedelta(minutes=15)


def today_here(now: dt.datetime | None = None) -> dt.date:
    """Today's date in the installation's time zone."""
    return timezone.localdate(now or timezone.now(), timezone=content.queries.local_zone())


def plan_first(subscription: Subscription, now: dt.datetime | None = None) -> None:
    """Point a new (or changed) subscription at the period in progress and its send time (not saved)."""
    start = schedule.first_period(subscription.frequency, today_here(now))
    subscription.next_period_start = start
    subscription.next_run_at = _send_time(subscription, start)


def _send_time(subscription: Subscription, start: dt.date) -> dt.datetime:
    return schedule.send_time(
        subscription.frequency, start, subscription.time_zone, subscription.send_hour, settings.TIME_ZONE
    )


@transaction.atomic
def do_subscribe(
    *,
    frequency: str,
    units: Iterable[Unit],
    time_zone: str,
    send_hour: int,
    user: Any | None = None,
    email: str = "",
    name: str = "",
    created_by: Any | None = None,
    now: dt.datetime | None = None,
) -> Subscription:
    """Create a subscription whose first digest covers the period in progress."""
    subscription = Subscription(
        user=user,
        email=email,
        name=name,
        frequency=frequency,
        time_zone=time_zone,
        send_hour=send_hour,
        created_by=created_by,
    )
    plan_first(subscription, now)
    subscription.full_clean(exclude=["units"])
    subscription.save()
    subscription.units.set(list(units))
    return subscription


@transaction.atomic
def do_update(subscription: Subscription, now: dt.datetime | None = None, **changes: Any) -> Subscription:
    """Change a subscription (frequency, units, zone, hour, active) and plan its next digest again."""
    units = changes.pop("units", None)
    for name, value in changes.items():
        setattr(subscription, name, value)
    plan_first(subscription, now)
    subscription.full_clean(exclude=["units"])
    subscription.save()
    if units is not None:
        subscription.units.set(list(units))
    return subscription


def do_unsubscribe(subscription_id: int) -> bool:
    """Stop a subscription's digests (it stays listed, inactive); True if it was active."""
    return bool(Subscription.objects.filter(pk=subscription_id, is_active=True).update(is_active=False))


def do_schedule_due(now: dt.datetime | None = None) -> list[int]:
    """Create the ``DigestSend`` of every subscription whose send time has come; the new sends' ids.

    A period that a stopped worker let pass unsent is skipped in favour of the latest ended period: a
    reader wants last week's digest, not a pile of old ones.
    """
    now = now or timezone.now()
    created: list[int] = []
    due = Subscription.objects.filter(is_active=True, next_run_at__lte=now).order_by("next_run_at")
    for subscription in due[:500]:
        send = _claim_period(subscription, now)
        if send is not None:
            created.append(send.pk)
    return created


def _claim_period(subscription: Subscription, now: dt.datetime) -> DigestSend | None:
    start = schedule.latest_ended(subscription.frequency, subscription.next_period_start, now, settings.TIME_ZONE)
    end = schedule.period_containing(subscription.frequency, start)[1]
    after = schedule.following(subscription.frequency, start)
    with transaction.atomic():
        moved = Subscription.objects.filter(
            pk=subscription.pk, next_period_start=subscription.next_period_start, is_active=True
        ).update(next_period_start=after, next_run_at=_send_time(subscription, after))
        if not moved:
            return None  # another worker took it
        try:
            with transaction.atomic():
                return DigestSend.objects.create(
                    subscription=subscription, period_start=start, period_end=end, next_attempt_at=now
                )
        except IntegrityError:
            return None  # this period was already sent


def claim(send_id: int, now: dt.datetime) -> bool:
    """Take a due queued digest for sending; False if it is not due or another worker has it."""
    return bool(
        DigestSend.objects.filter(pk=send_id, status=DigestSend.Status.QUEUED, next_attempt_at__lte=now).update(
            status=DigestSend.Status.SENDING, attempts=F("attempts") + 1, claimed_at=now
        )
    )


def do_send(send_id: int, now: dt.datetime | None = None) -> DigestSend | None:
    """Build and send one due digest (or pause it); None when it was not ours to send."""
    now = now or timezone.now()
    if not claim(send_id, now):
        return None
    send = DigestSend.objects.select_related("subscription", "subscription__user").get(pk=send_id)
    subscription = send.subscription
    recipient = subscription.recipient()
    send.recipient = recipient
    if not subscription.is_active:
        return _finish(send, DigestSend.Status.PAUSED, "Unsubscribed before it was sent.")
    if not recipient:
        return _finish(send, DigestSend.Status.FAILED, "The user has no email address.")
    digest = content.build(list(subscription.units.all()), send.period_start, send.period_end, subscription.user)
    send.responses = digest.responses
    if not digest.has_feedback:
        note = f"Paused: no new feedback from {send.period_start} to {send.period_end}; nothing was sent."
        logger.info("Digest %s for %s: %s", send.pk, recipient, note)
        return _finish(send, DigestSend.Status.PAUSED, note)
    try:
        emails.build_message(subscription, digest, recipient).send()
    except (smtplib.SMTPException, OSError) as error:
        return _failed_attempt(send, error, now)
    send.sent_at = now
    return _finish(send, DigestSend.Status.SENT, "")


def _finish(send: DigestSend, status: str, note: str) -> DigestSend:
    send.status, send.note = status, note[:500]
    send.save(update_fields=["status", "note", "recipient", "responses", "sent_at"])
    return send


def _failed_attempt(send: DigestSend, error: BaseException, now: dt.datetime) -> DigestSend:
    message = f"{type(error).__name__}: {error}"[:500]
    logger.warning("Digest %s to %s failed (attempt %s): %s", send.pk, send.recipient, send.attempts, message)
    if is_permanent(error) or send.attempts >= settings.EMAIL_MAX_ATTEMPTS:
        return _finish(send, DigestSend.Status.FAILED, message)
    send.next_attempt_at = now + backoff(send.attempts)
    send.save(update_fields=["next_attempt_at"])
    return _finish(send, DigestSend.Status.QUEUED, message)


def do_release_stuck(now: dt.datetime | None = None) -> int:
    """Put back digests whose worker died while sending."""
    now = now or timezone.now()
    return DigestSend.objects.filter(status=DigestSend.Status.SENDING, claimed_at__lt=now - STUCK_AFTER).update(
        status=DigestSend.Status.QUEUED, next_attempt_at=now
    )


def due_sends(now: dt.datetime) -> list[int]:
    """Queued digests whose (next) attempt is due."""
    queued = DigestSend.objects.filter(status=DigestSend.Status.QUEUED, next_attempt_at__lte=now)
    return list(queued.order_by("next_attempt_at").values_list("pk", flat=True)[:500])
