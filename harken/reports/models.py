"""Scheduled executive reports, their deliveries (one per schedule and period), and wall-screen links."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.utils import timezone

from harken.reports.periods import SCHEDULE_KINDS


def new_key() -> str:
    """A random key: part of a wall link, so that a link cannot be guessed from its number."""
    return secrets.token_urlsafe(18)


class ReportSchedule(models.Model):
    """Send the executive report of ``unit``'s subtree for each finished period to the recipients.

    The worker sends the last complete period (the quarter just ended …) once ``next_run_at`` has passed,
    then moves ``next_run_at`` to the start of the next period (plus ``send_hour`` in the installation's zone).
    """

    name = models.CharField(max_length=200)
    unit = models.ForeignKey("org.Unit", on_delete=models.CASCADE, related_name="report_schedules")
    period_kind = models.CharField(max_length=10, choices=list(SCHEDULE_KINDS.items()), default="quarter")
    recipients = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="report_schedules")
    emails = models.TextField(blank=True, help_text="Other addresses, one a line (people without a login).")
    send_hour = models.PositiveSmallIntegerField(
        default=7, validators=[MaxValueValidator(23)], help_text="Hour of the day (0–23, local time)."
    )
    is_active = models.BooleanField(default=True)
    next_run_at = models.DateTimeField(db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="created_report_schedules"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "pk"]
        constraints = [models.CheckConstraint(condition=models.Q(send_hour__lte=23), name="schedule_hour_0_23")]

    def __str__(self) -> str:
        return self.name

    def addresses(self) -> list[str]:
        """Every recipient address: users with an email, then the plain addresses, without repeats."""
        found = [user.email for user in self.recipients.all() if user.email]
        found += [line.strip() for line in self.emails.splitlines() if line.strip()]
        return list(dict.fromkeys(found))


class ReportDelivery(models.Model):
    """One period's report for one schedule: claimed, sent or failed — never sent twice."""

    class State(models.TextChoices):
        QUEUED = "queued", "Queued"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    schedule = models.ForeignKey(ReportSchedule, on_delete=models.CASCADE, related_name="deliveries")
    period_start = models.DateField()
    period_end = models.DateField()
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    last_error = models.TextField(blank=True)
    recipients = models.TextField(blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-period_start", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["schedule", "period_start", "period_end"], name="delivery_once_per_period")
        ]

    def __str__(self) -> str:
        return f"{self.schedule} {self.period_start}–{self.period_end}: {self.state}"


class WallLink(models.Model):
    """A read-only, no-login link to a unit's wall screen; revoked links stop working at once."""

    unit = models.ForeignKey("org.Unit", on_delete=models.CASCADE, related_name="wall_links")
    name = models.CharField(max_length=100, help_text="Where the screen is, e.g. 'Break room TV'.")
    key = models.CharField(max_length=40, default=new_key, unique=True, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_seen_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.name} ({self.unit})"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
