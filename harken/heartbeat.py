"""Heartbeat tasks: periodic work (schedules, reminders, escalation) as tasks that queue their next run.

Schedules are data read by the worker, not a crontab (DESIGN.md §5).  Each heartbeat task ends by calling
``queue_next``; every worker calls ``ensure_running`` for each heartbeat when it starts.  When two workers
start at once, both may queue a run; ``queue_next`` then declines to add a successor while another run is
already waiting, so duplicate chains die out after one beat.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone


def _waiting(task: Any, statuses: tuple[str, ...]) -> bool:
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    wanted = [getattr(TaskResultStatus, status) for status in statuses]
    return DBTaskResult.objects.filter(task_path=task.module_path, status__in=wanted).exists()


def ensure_running(task: Any) -> bool:
    """Queue ``task`` now unless a run of it is already waiting or running; True if one was queued."""
    if _waiting(task, ("READY", "RUNNING")):
        return False
    task.enqueue()
    return True


def queue_next(task: Any, seconds: float) -> bool:
    """Queue the next run of ``task`` in ``seconds`` unless another run is already waiting."""
    if _waiting(task, ("READY",)):
        return False
    task.using(run_after=timezone.now() + dt.timedelta(seconds=seconds)).enqueue()
    return True


def heartbeats() -> list[Any]:
    """Every heartbeat task of the installation."""
    from harken.contacts.tasks import retention_tick
    from harken.distribution.tasks import tick
    from harken.loop.tasks import loop_tick
    from harken.reports.digests.tasks import digest_tick
    from harken.reports.metric_alerts.tasks import metric_alert_tick
    from harken.reports.tasks import reports_tick
    from harken.text.tasks import text_tick

    return [tick, loop_tick, text_tick, retention_tick, digest_tick, metric_alert_tick, reports_tick]


def ensure_all() -> int:
    """Start every heartbeat that is not already queued; the number started."""
    return sum(ensure_running(task) for task in heartbeats())
