"""Background tasks of digests: the heartbeat that schedules and sends them, each send by its id."""

from __future__ import annotations

from django.utils import timezone
from django_tasks import task

from harken import heartbeat
from harken.reports.digests import sending

TICK_SECONDS = 60


@task()
def send_digest(send_id: int) -> str:
    """Send (or pause) one scheduled digest; a temporary failure is tried again by a later beat."""
    send = sending.do_send(send_id)
    return send.status if send is not None else "skipped"


@task()
def digest_tick() -> dict[str, int]:
    """The digests' heartbeat: create the digests whose time has come, send what is due, run again in a minute."""
    try:
        now = timezone.now()
        sending.do_release_stuck(now)
        created = sending.do_schedule_due(now)
        counts: dict[str, int] = {"scheduled": len(created)}
        for send_id in sending.due_sends(now):
            outcome = send_digest.call(send_id)
            counts[outcome] = counts.get(outcome, 0) + 1
        return counts
    finally:
        heartbeat.queue_next(digest_tick, TICK_SECONDS)
