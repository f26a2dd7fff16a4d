"""The retention heartbeat: anonymise responses older than ``HARKEN_RETENTION_MONTHS`` (0: keep everything)."""

from __future__ import annotations

from django.conf import settings
from django_tasks import task

from harken.contacts import erasure
from harken.org import audit

RETENTION_SECONDS = 6 * 60 * 60


@task()
def retention_tick() -> int:
    """Anonymise what the retention policy says is too old; the number of responses anonymised."""
    from harken import heartbeat

    try:
        months = settings.RETENTION_MONTHS
        done = erasure.do_erase_older_than(months)
        if done.responses:
            audit.record(None, "erase_older_than", months=months, responses=done.responses, via="retention")
        return done.responses
    finally:
        heartbeat.queue_next(retention_tick, RETENTION_SECONDS)
