"""Background tasks of the loop: each takes ids, looks rows up, and does one thing."""

from __future__ import annotations

import datetime as dt
import logging

from django.utils import timezone
from django_tasks import default_task_backend, task

from harken import heartbeat
from harken.loop import alerts, cases, mailing
from harken.loop.models import LoopEmail

TICK_SECONDS = 60
logger = logging.getLogger(__name__)


@task()
def apply_rules(response_id: int) -> list[int] | None:
    """Analyse the comment if that has not happened yet, then apply the alert rules to one new response
    (once: a second run does nothing)."""
    return alerts.do_apply_rules(response_id)


@task()
def apply_rules_to(response_ids: list[int]) -> int:
    """``apply_rules`` for each response of a filed batch of answers (``harken.lib.batching``); the number of
    rules that fired.  One response's failure is logged and does not stop the others."""
    fired = 0
    active = alerts.load_active_rules()  # once for the batch
    for response_id in response_ids:
        try:
            fired += len(alerts.do_apply_rules(response_id, active) or [])
        except Exception:
            logger.exception("Applying the alert rules to response %s failed", response_id)
    return fired


def enqueue_email(email_id: int, when: dt.datetime) -> None:
    """Queue the sending of a loop email at ``when``."""
    later = when if when > timezone.now() and default_task_backend.supports_defer else None
    send_email.using(run_after=later).enqueue(email_id)


@task()
def send_email(email_id: int) -> str:
    """Send one loop email; after a temporary failure, queue the next try at its backoff time."""
    state = mailing.do_send(email_id)
    if state == LoopEmail.State.QUEUED:
        next_at = LoopEmail.objects.filter(pk=email_id).values_list("next_attempt_at", flat=True).first()
        if next_at is not None:
            enqueue_email(email_id, next_at)
    return state


@task()
def loop_tick() -> dict[str, int]:
    """The loop's heartbeat: escalate overdue cases, send webhook deliveries and loop emails that are due (a
    safety net next to their own tasks), then run again in a minute."""
    from harken.integrations.webhooks.delivery import do_deliver_due

    try:
        return {"escalated": cases.do_escalate_overdue(), **do_deliver_due(), **mailing.do_send_due()}
    finally:
        heartbeat.queue_next(loop_tick, TICK_SECONDS)
