"""Background delivery: each task takes a delivery id, tries it once, and re-queues itself after the backoff."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django_tasks import default_task_backend, task

from harken.integrations.webhooks import delivery
from harken.integrations.webhooks.models import Delivery


def enqueue_delivery(delivery_id: int, when: dt.datetime) -> None:
    """Queue an attempt of the delivery at ``when``."""
    later = when if when > timezone.now() and default_task_backend.supports_defer else None
    deliver.using(run_after=later).enqueue(delivery_id)


@task()
def deliver(delivery_id: int) -> str:
    """Try one delivery; after a failure, queue the next attempt at its backoff time."""
    state = delivery.do_attempt(delivery_id)
    if state == Delivery.State.QUEUED:
        next_at = Delivery.objects.filter(pk=delivery_id).values_list("next_attempt_at", flat=True).first()
        if next_at is not None:
            enqueue_delivery(delivery_id, next_at)
    return state
