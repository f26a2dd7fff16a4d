"""The metric alerts' heartbeat: check the rules that are due, then run again in a minute."""

from __future__ import annotations

from django_tasks import task

from harken import heartbeat
from harken.reports.metric_alerts import checks

TICK_SECONDS = 60


@task()
def metric_alert_tick() -> dict[str, int]:
    """Check every due metric alert rule (each at most hourly), then queue the next beat."""
    try:
        return {"checked": checks.do_check_due()}
    finally:
        heartbeat.queue_next(metric_alert_tick, TICK_SECONDS)
