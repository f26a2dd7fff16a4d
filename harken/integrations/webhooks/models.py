"""Webhook endpoints and their deliveries (the delivery log)."""

from __future__ import annotations

import secrets
import uuid

from django.db import models
from django.utils import timezone


class Event(models.TextChoices):
    RESPONSE_CREATED = "response.created", "Response created"
    RESPONSE_UPDATED = "response.updated", "Response updated"
    ALERT_FIRED = "alert.fired", "Alert rule fired"
    CASE_OPENED = "case.opened", "Case opened"
    CASE_CHANGED = "case.changed", "Case changed"
    CASE_CLOSED = "case.closed", "Case closed"
    CONTACT_UNSUBSCRIBED = "contact.unsubscribed", "Contact unsubscribed"
    METRIC_ALERT_FIRED = "metric_alert.fired", "Metric alert fired"


def new_secret() -> str:
    """A signing secret for a new endpoint."""
    return "whsec_" + secrets.token_urlsafe(32)


class Webhook(models.Model):
    """An endpoint that receives events: a generic signed JSON webhook, or a Slack or Teams incoming webhook."""

    class Kind(models.TextChoices):
        JSON = "json", "Signed JSON"
        SLACK = "slack", "Slack incoming webhook"
        TEAMS = "teams", "Microsoft Teams incoming webhook"

    name = models.CharField(max_length=200)
    url = models.URLField(max_length=1000)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.JSON)
    events = models.JSONField(default=list, blank=True, help_text='Event names, e.g. ["case.opened"]; empty: all.')
    unit = models.ForeignKey(
        "org.Unit", null=True, blank=True, on_delete=models.CASCADE, help_text="Only events of this subtree."
    )
    secret = models.CharField(max_length=100, default=new_secret, help_text="HMAC-SHA256 signing key.")
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def wants(self, event: str, unit_path: str | None) -> bool:
        """Whether this endpoint is subscribed to ``event`` from a unit at ``unit_path``."""
        if self.events and event not in self.events:
            return False
        return self.unit is None or (unit_path is not None and unit_path.startswith(self.unit.path))


class Delivery(models.Model):
    """One event sent (or being sent) to one endpoint; ``log`` holds every attempt."""

    class State(models.TextChoices):
        QUEUED = "queued", "Queued"
        SENDING = "sending", "Sending"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed"

    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="deliveries")
    event = models.CharField(max_length=50)
    event_id = models.UUIDField(default=uuid.uuid4, editable=False, help_text="The same on every redelivery.")
    payload = models.JSONField()
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED, db_index=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now, db_index=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    last_status = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    log = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name_plural = "deliveries"

    def __str__(self) -> str:
        return f"{self.event} → {self.webhook} ({self.state})"
