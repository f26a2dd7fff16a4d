"""Background work of the reports: the heartbeat that sends scheduled executive reports."""

from __future__ import annotations

from django_tasks import task

from harken import heartbeat
from harken.reports import delivery

TICK_SECONDS = 60


@task()
def reports_tick() -> dict[str, int]:
    """Queue the reports of due schedules, send due deliveries (with retries), then run again in a minute."""
    try:
        return {"queued": delivery.do_queue_due(), **delivery.do_send_due()}
    finally:
        heartbeat.queue_next(reports_tick, TICK_SECONDS)
