"""Publishing events to endpoints and delivering them: ``do_*`` functions are the only writers of deliveries.

A delivery is claimed by a conditional update (``state = queued`` → ``sending``) so two workers never send it
twice; a failure puts it back in the queue after an exponential backoff (``WEBHOOK_RETRY_SECONDS`` doubling,
capped at 6 hours) until ``WEBHOOK_MAX_ATTEMPTS``, after which it is ``failed`` and shown as such.
"""

from __future__ import annotations

import datetime as dt
import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import F
from django.utils import timezone

import harken
from harken.integrations.webhooks import formats, signing
from harken.integrations.webhooks.models import Delivery, Webhook

MAX_BACKOFF = dt.timedelta(hours=6)
STUCK_AFTER = dt.timedelta(minutes=10)
LOG_LIMIT = 50


def backoff(attempts: int, base_seconds: int | None = None) -> dt.timedelta:
    """The wait after the ``attempts``-th failed attempt: base · 2^(attempts − 1), at most 6 hours."""
    base = settings.WEBHOOK_RETRY_SECONDS if base_seconds is None else base_seconds
    return min(dt.timedelta(seconds=base * 2 ** max(attempts - 1, 0)), MAX_BACKOFF)


def do_publish(
    event: str,
    data: dict[str, Any],
    unit_path: str | None = None,
    webhooks: Iterable[Webhook] | None = None,
    enqueue: Callable[[int], None] | None = None,
) -> list[Delivery]:
    """Queue ``event`` for every active endpoint subscribed to it (or for ``webhooks``), sent after commit."""
    candidates = webhooks if webhooks is not None else Webhook.objects.filter(is_active=True).select_related("unit")
    targets = [hook for hook in candidates if hook.is_active and (webhooks is not None or hook.wants(event, unit_path))]
    payload = json.loads(json.dumps(data, cls=DjangoJSONEncoder))
    deliveries = [Delivery.objects.create(webhook=hook, event=event, payload=payload) for hook in targets]
    send = enqueue or _enqueue
    for delivery in deliveries:
        delivery_id = delivery.pk
        transaction.on_commit(lambda delivery_id=delivery_id: send(delivery_id))  # type: ignore[misc]
    return deliveries


def _enqueue(delivery_id: int) -> None:
    from harken.integrations.webhooks.tasks import enqueue_delivery

    enqueue_delivery(delivery_id, timezone.now())


def request_for(delivery: Delivery, now: float) -> urllib.request.Request:
    """The signed POST of one delivery."""
    hook = delivery.webhook
    event_id = str(delivery.event_id)
    body = json.dumps(
        formats.body_for(hook.kind, delivery.event, event_id, delivery.created_at, delivery.payload),
        separators=(",", ":"),
    ).encode()
    timestamp = int(now)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": f"Harken-Webhooks/{harken.__version__}",
        "X-Harken-Event": delivery.event,
        "X-Harken-Event-Id": event_id,
        "X-Harken-Delivery": str(delivery.pk),
        "X-Harken-Timestamp": str(timestamp),
        "X-Harken-Signature": signing.sign(hook.secret, timestamp, body),
    }
    return urllib.request.Request(hook.url, data=body, headers=headers, method="POST")  # noqa: S310


def _post(request: urllib.request.Request) -> tuple[int | None, str]:
    """Send; the HTTP status (None if none came back) and an error message ('' on success)."""
    if not request.full_url.startswith(("http://", "https://")):
        return None, "Only http and https URLs are allowed."
    try:
        with urllib.request.urlopen(request, timeout=settings.WEBHOOK_TIMEOUT_SECONDS) as reply:  # noqa: S310
            return reply.status, ""
    except urllib.error.HTTPError as error:
        return error.code, f"HTTP {error.code} {error.reason}"
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        return None, f"Could not connect: {reason}"[:500]


def do_attempt(delivery_id: int, now: dt.datetime | None = None) -> str:
    """Try one due delivery once; returns its new state ('skipped' if it was not due or taken by another)."""
    now = now or timezone.now()
    claimed = Delivery.objects.filter(pk=delivery_id, state=Delivery.State.QUEUED, next_attempt_at__lte=now).update(
        state=Delivery.State.SENDING, attempts=F("attempts") + 1, claimed_at=now
    )
    if not claimed:
        return "skipped"
    delivery = Delivery.objects.select_related("webhook").get(pk=delivery_id)
    started = time.monotonic()
    status, error = _post(request_for(delivery, now.timestamp()))
    elapsed_ms = round((time.monotonic() - started) * 1000)
    ok = status is not None and 200 <= status < 300
    entry = {"at": now.isoformat(), "attempt": delivery.attempts, "status": status, "error": error, "ms": elapsed_ms}
    delivery.log = [*delivery.log, entry][-LOG_LIMIT:]
    delivery.last_status, delivery.last_error = status, error
    if ok:
        delivery.state, delivery.delivered_at = Delivery.State.DELIVERED, now
    elif delivery.attempts >= settings.WEBHOOK_MAX_ATTEMPTS:
        delivery.state = Delivery.State.FAILED
    else:
        delivery.state, delivery.next_attempt_at = Delivery.State.QUEUED, now + backoff(delivery.attempts)
    delivery.save(update_fields=["log", "last_status", "last_error", "state", "delivered_at", "next_attempt_at"])
    return delivery.state


def do_redeliver(delivery_id: int) -> bool:
    """Send a delivered or failed delivery again now (same event id); ``False`` if it is queued or sending."""
    now = timezone.now()
    done = [Delivery.State.DELIVERED, Delivery.State.FAILED]
    queued = Delivery.objects.filter(pk=delivery_id, state__in=done).update(
        state=Delivery.State.QUEUED, next_attempt_at=now, attempts=0, delivered_at=None
    )
    if queued:
        transaction.on_commit(lambda: _enqueue(delivery_id))
    return bool(queued)


def do_release_stuck(now: dt.datetime | None = None) -> int:
    """Put back deliveries whose worker died while sending (claimed over ten minutes ago)."""
    now = now or timezone.now()
    return Delivery.objects.filter(state=Delivery.State.SENDING, claimed_at__lt=now - STUCK_AFTER).update(
        state=Delivery.State.QUEUED, next_attempt_at=now
    )


def do_deliver_due(now: dt.datetime | None = None, limit: int = 200) -> dict[str, int]:
    """Attempt every due queued delivery (the safety net next to the per-delivery tasks)."""
    now = now or timezone.now()
    do_release_stuck(now)
    due = Delivery.objects.filter(state=Delivery.State.QUEUED, next_attempt_at__lte=now).order_by("next_attempt_at")
    counts: dict[str, int] = {}
    for delivery_id in list(due.values_list("pk", flat=True)[:limit]):
        state = do_attempt(delivery_id, now)
        counts[state] = counts.get(state, 0) + 1
    return counts
