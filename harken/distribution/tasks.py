"""Background tasks of sending: each takes an invitation id, looks it up, and does one thing.

A task whose send failed temporarily enqueues itself again to run at the invitation's retry time. The
``send_due`` sweep sends anything due that has no task waiting (e.g. after the queue was cleared).
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django_tasks import default_task_backend, task

from harken import heartbeat
from harken.distribution import sending


def _later(when: dt.datetime) -> dt.datetime | None:
    """``when`` as a ``run_after`` if it is in the future and the backend can defer tasks."""
    if when <= timezone.now() or not default_task_backend.supports_defer:
        return None
    return when


def enqueue_send(invitation_id: int, when: dt.datetime) -> None:
    """Queue the sending of an invitation at ``when``."""
    send_invitation.using(run_after=_later(when)).enqueue(invitation_id)


def enqueue_reminder(invitation_id: int, when: dt.datetime) -> None:
    """Queue a reminder for an invitation at ``when``."""
    send_reminder.using(run_after=_later(when)).enqueue(invitation_id)


@task()
def send_invitation(invitation_id: int) -> str:
    """Send one invitation (with whatever else is due, over one connection); on a temporary failure, try again
    after the backoff.  Others of the batch that must retry are picked up by their own tasks or the sweep."""
    outcome = sending.do_send_with_due(invitation_id)
    if outcome.status == "retry" and outcome.retry_at is not None:
        enqueue_send(invitation_id, outcome.retry_at)
    return outcome.status


@task()
def send_reminder(invitation_id: int) -> str:
    """Send the next reminder of an unanswered invitation."""
    outcome = sending.do_remind(invitation_id)
    if outcome.status == "retry" and outcome.retry_at is not None:
        enqueue_reminder(invitation_id, outcome.retry_at)
    return outcome.status


@task()
def send_due() -> dict[str, int]:
    """Send every due email invitation (a safety net next to the per-invitation tasks)."""
    sending.do_release_stuck()
    return sending.do_send_due()


TICK_SECONDS = 60


@task()
def tick() -> dict[str, int]:
    """The schedule heartbeat: run due waves, send anything due, then run again in a minute."""
    from harken.distribution import waves

    try:
        return {"waves": waves.do_run_due_waves(), **send_due.call()}
    finally:
        heartbeat.queue_next(tick, TICK_SECONDS)
