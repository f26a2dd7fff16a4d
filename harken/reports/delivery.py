"""Scheduled delivery of the executive report: claim due schedules, then send each period's report once.

Schedules are data with a ``next_run_at`` read by the worker's heartbeat (DESIGN.md §5).  Each due schedule
gets one ``ReportDelivery`` row per period (a unique constraint), so two workers — or a worker and the
"Send now" button — cannot send the same period twice.  Sending claims the row with a conditional update
(``queued`` → ``sending``); temporary SMTP failures are retried with backoff (``HARKEN_EMAIL_MAX_ATTEMPTS``,
``HARKEN_EMAIL_RETRY_SECONDS``), permanent refusals (5xx) fail at once and show on the schedules page.
"""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
from urllib.parse import urlencode

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from harken.analytics.queries import local_zone
from harken.reports import executive, rendering
from harken.reports.models import ReportDelivery, ReportSchedule
from harken.reports.periods import ReportPeriod, containing, last_complete

log = logging.getLogger(__name__)
STUCK_AFTER = dt.timedelta(minutes=15)  # a "sending" row this old belongs to a worker that died
MAX_BACKOFF = dt.timedelta(hours=6)


def next_run(kind: str, after: dt.datetime, hour: int) -> dt.datetime:
    """The first moment after ``after`` that starts a new period (local time, at ``hour``): when the period
    that contains ``after`` has ended and can be reported."""
    local = after.astimezone(local_zone())
    current = containing(kind, local.date())
    moment = dt.datetime.combine(current.start, dt.time(hour), local_zone())
    if moment <= after:
        following = containing(kind, current.end + dt.timedelta(days=1))
        moment = dt.datetime.combine(following.start, dt.time(hour), local_zone())
    return moment


def report_period(schedule: ReportSchedule, now: dt.datetime) -> ReportPeriod:
    """The period a run at ``now`` reports: the last complete quarter, month or year."""
    return last_complete(schedule.period_kind, now.astimezone(local_zone()).date())


def do_queue(schedule: ReportSchedule, period: ReportPeriod, now: dt.datetime) -> tuple[ReportDelivery, bool]:
    """The delivery of ``period`` for ``schedule``, created if new (True) — never a second one."""
    try:
        with transaction.atomic():
            delivery = ReportDelivery.objects.create(
                schedule=schedule, period_start=period.start, period_end=period.end, next_attempt_at=now
            )
            return delivery, True
    except IntegrityError:
        found = ReportDelivery.objects.get(schedule=schedule, period_start=period.start, period_end=period.end)
        return found, False


def do_queue_due(now: dt.datetime | None = None) -> int:
    """Queue the last complete period of every due schedule and move its next run on; how many were queued."""
    now = now or timezone.now()
    queued = 0
    for schedule in ReportSchedule.objects.filter(is_active=True, next_run_at__lte=now):
        following = next_run(schedule.period_kind, now, schedule.send_hour)
        claimed = ReportSchedule.objects.filter(pk=schedule.pk, next_run_at=schedule.next_run_at).update(
            next_run_at=following
        )
        if claimed:  # another worker moved it first otherwise
            queued += do_queue(schedule, report_period(schedule, now), now)[1]
    return queued


def do_send_due(now: dt.datetime | None = None) -> dict[str, int]:
    """Send every delivery that is due; counts of sent, retried and failed."""
    now = now or timezone.now()
    ReportDelivery.objects.filter(state=ReportDelivery.State.SENDING, next_attempt_at__lt=now - STUCK_AFTER).update(
        state=ReportDelivery.State.QUEUED
    )
    result = {"sent": 0, "retried": 0, "failed": 0}
    due = ReportDelivery.objects.filter(state=ReportDelivery.State.QUEUED, next_attempt_at__lte=now)
    for delivery_id in due.values_list("pk", flat=True):
        result[do_send(delivery_id, now)] += 1
    return result


def do_send(delivery_id: int, now: dt.datetime | None = None) -> str:
    """Send one delivery if it is still queued: "sent", "retried", "failed" or "skipped" (taken by another)."""
    now = now or timezone.now()
    claimed = ReportDelivery.objects.filter(pk=delivery_id, state=ReportDelivery.State.QUEUED).update(
        state=ReportDelivery.State.SENDING, next_attempt_at=now, attempts=F("attempts") + 1
    )
    if not claimed:
        return "skipped"
    delivery = ReportDelivery.objects.select_related("schedule__unit").get(pk=delivery_id)
    schedule = delivery.schedule
    recipients = schedule.addresses()
    if not recipients:
        return _fail(delivery, "The schedule has no recipients with an email address.")
    period = ReportPeriod(schedule.period_kind, delivery.period_start, delivery.period_end)
    report = executive.build(schedule.unit, period, None, now)
    try:
        rendering.email(report, recipients, link(schedule, period)).send()
    except smtplib.SMTPRecipientsRefused as error:
        return _fail(delivery, f"Every recipient was refused: {error.recipients}")
    except smtplib.SMTPResponseException as error:
        if 500 <= error.smtp_code < 600:
            return _fail(delivery, f"The mail server refused the message: {error.smtp_code} {error.smtp_error!r}")
        return _retry(delivery, f"{error.smtp_code} {error.smtp_error!r}", now)
    except (OSError, smtplib.SMTPException) as error:
        return _retry(delivery, str(error) or error.__class__.__name__, now)
    ReportDelivery.objects.filter(pk=delivery.pk).update(
        state=ReportDelivery.State.SENT, sent_at=timezone.now(), recipients="\n".join(recipients), last_error=""
    )
    return "sent"


def _fail(delivery: ReportDelivery, message: str) -> str:
    log.warning("Report delivery %s failed: %s", delivery.pk, message)
    ReportDelivery.objects.filter(pk=delivery.pk).update(state=ReportDelivery.State.FAILED, last_error=message)
    return "failed"


def _retry(delivery: ReportDelivery, message: str, now: dt.datetime) -> str:
    if delivery.attempts >= settings.EMAIL_MAX_ATTEMPTS:
        return _fail(delivery, f"Gave up after {delivery.attempts} tries; last error: {message}")
    wait = min(dt.timedelta(seconds=settings.EMAIL_RETRY_SECONDS * 2 ** (delivery.attempts - 1)), MAX_BACKOFF)
    ReportDelivery.objects.filter(pk=delivery.pk).update(
        state=ReportDelivery.State.QUEUED, next_attempt_at=now + wait, last_error=message
    )
    return "retried"


def link(schedule: ReportSchedule, period: ReportPeriod) -> str:
    """The report's page for this scope and period, for the email's "open in Harken" link."""
    query = urlencode({"unit": schedule.unit_id, "period": f"{period.kind}:{period.start.isoformat()}"})
    return f"{settings.BASE_URL.rstrip('/')}{reverse('reports:executive')}?{query}"
