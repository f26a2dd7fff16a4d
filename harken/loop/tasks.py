"""Background tasks of the loop: each takes ids, looks rows up, and does one thing."""

from __future__ import annotations

from django_tasks import task

from harken import heartbeat
from harken.loop import alerts, cases

TICK_SECONDS = 60


@task()
def apply_rules(response_id: int) -> list[int] | None:
    """Apply the alert rules to one new response (once: a second run does nothing)."""
    return alerts.do_apply_rules(response_id)


@task()
def loop_tick() -> dict[str, int]:
    """The loop's heartbeat: escalate overdue cases, send webhook deliveries that are due (a safety net next
    to the per-delivery tasks), then run again in a minute."""
    from harken.integrations.webhooks.delivery import do_deliver_due

    try:
        return {"escalated": cases.do_escalate_overdue(), **do_deliver_due()}
    finally:
        heartbeat.queue_next(loop_tick, TICK_SECONDS)
