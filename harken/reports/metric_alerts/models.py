"""Metric alert rules (conditions on aggregates of a unit's subtree) and the history of their firings."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class Kind(models.TextChoices):
    NPS_BELOW = "nps_below", "NPS below a threshold"
    NPS_CHANGE = "nps_change", "NPS changed significantly against a baseline"
    THEME_RISING = "theme_rising", "A theme's share is rising significantly"
    RATE_DROP = "rate_drop", "The response rate dropped significantly"
    NO_FEEDBACK = "no_feedback", "No feedback for a number of days"


class Baseline(models.TextChoices):
    WEEK = "week", "Last 7 days against the 28 days before"
    MONTH = "month", "Last 30 days against the 90 days before"


class Direction(models.TextChoices):
    DOWN = "down", "A fall"
    UP = "up", "A rise"
    ANY = "any", "Either way"


class MetricAlertRule(models.Model):
    """A condition on a unit subtree's numbers, checked by the worker, and whom to tell when it holds.

    Only the fields of its ``kind`` matter: ``threshold`` and ``period_days`` for NPS below a threshold;
    ``baseline`` and ``direction`` for a change (and ``theme`` for a rising theme); ``days`` for no
    feedback.  ``min_sample`` responses are needed in each compared window, and a change must be
    significant at ``level``, so the rule never fires on noise.  ``state`` is ``firing`` from a firing
    until the condition no longer holds; it fires again only after it cleared and ``cooldown_hours`` passed.
    """

    class State(models.TextChoices):
        OK = "ok", "OK"
        FIRING = "firing", "Firing"

    name = models.CharField(max_length=200)
    unit = models.ForeignKey("org.Unit", on_delete=models.CASCADE, related_name="metric_alert_rules")
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.NPS_BELOW)
    threshold = models.FloatField(null=True, blank=True, help_text="NPS points (−100…100).")
    period_days = models.PositiveSmallIntegerField(default=30, help_text="Days the NPS is measured over.")
    baseline = models.CharField(max_length=10, choices=Baseline.choices, default=Baseline.WEEK)
    direction = models.CharField(max_length=10, choices=Direction.choices, default=Direction.DOWN)
    theme = models.ForeignKey("text.Theme", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    days = models.PositiveSmallIntegerField(default=7, help_text="Days without any response.")
    min_sample = models.PositiveIntegerField(default=30, help_text="Responses (or invitations) needed per window.")
    level = models.FloatField(default=0.05, help_text="Significance level of the tests (p below it).")
    cooldown_hours = models.PositiveIntegerField(default=24)
    notify_owners = models.BooleanField(default=True, help_text="Email the unit's managers.")
    notify_emails = models.TextField(blank=True, help_text="More addresses, one a line.")
    webhooks = models.ManyToManyField("webhooks.Webhook", blank=True, related_name="metric_alert_rules")
    is_active = models.BooleanField(default=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.OK)
    last_checked_at = models.DateTimeField(null=True, blank=True)
    last_fired_at = models.DateTimeField(null=True, blank=True)
    next_check_at = models.DateTimeField(default=timezone.now, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(level__gt=0) & models.Q(level__lt=0.5), name="metric_alert_level_range"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def notify_list(self) -> list[str]:
        """The extra addresses to email."""
        return [line.strip() for line in self.notify_emails.replace(",", "\n").splitlines() if line.strip()]


class MetricAlertEvent(models.Model):
    """One firing (or clearing) of a rule, with the numbers that decided it; the alert history.

    ``window`` names the data the decision was taken on (e.g. "2026-11-16..2026-11-22"): a rule fires at
    most once per window, enforced by the unique constraint.
    """

    class Kind(models.TextChoices):
        FIRED = "fired", "Fired"
        CLEARED = "cleared", "Cleared"

    rule = models.ForeignKey(MetricAlertRule, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.FIRED)
    window = models.CharField(max_length=60)
    message = models.TextField()
    details = models.JSONField(default=dict, blank=True)
    notified = models.JSONField(default=list, blank=True, help_text="Addresses and endpoints told.")
    at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["rule", "kind", "window"], name="metric_alert_once_per_window"),
        ]

    def __str__(self) -> str:
        return f"{self.rule} {self.kind} {self.window}"
