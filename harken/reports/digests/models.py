"""Digest subscriptions (a user's own, or an address an administrator added) and every digest sent."""

from __future__ import annotations

import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone


class Frequency(models.TextChoices):
    DAILY = "daily", "Daily"
    WEEKLY = "weekly", "Weekly (Monday to Sunday)"
    MONTHLY = "monthly", "Monthly"


def check_time_zone(name: str) -> None:
    """Refuse a time zone name that is not an IANA zone (``Pacific/Auckland``)."""
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as error:
        raise ValidationError(f"Unknown time zone {name!r}; use an IANA name such as Europe/Paris.") from error


class Subscription(models.Model):
    """Who gets a digest, how often, of which units, and when the next one is due.

    A user's subscription (``user`` set) is limited to what that user may see when each digest is built;
    one for a person without a login (``user`` empty, ``email`` set) is managed by administrators and sees
    exactly its ``units``.  No units on a user's subscription means all of the user's units.
    ``next_period_start`` is the first day (installation calendar) of the period the next digest covers;
    ``next_run_at`` is when it goes out: the first ``send_hour`` in ``time_zone`` after that period ends.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="digest_subscriptions"
    )
    email = models.EmailField(blank=True, help_text="For people without a login; a user's digest goes to their own.")
    name = models.CharField(max_length=200, blank=True)
    frequency = models.CharField(max_length=10, choices=Frequency.choices, default=Frequency.WEEKLY)
    units = models.ManyToManyField("org.Unit", blank=True, related_name="digest_subscriptions")
    time_zone = models.CharField(max_length=64, default="UTC", validators=[check_time_zone])
    send_hour = models.PositiveSmallIntegerField(default=8, help_text="Hour of the day (0–23) in the time zone.")
    is_active = models.BooleanField(default=True)
    next_period_start = models.DateField()
    next_run_at = models.DateTimeField(db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(condition=models.Q(send_hour__lte=23), name="digest_send_hour_0_23"),
            models.CheckConstraint(
                condition=models.Q(user__isnull=False) | ~models.Q(email=""), name="digest_has_recipient"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_frequency_display()} digest for {self.recipient_label()}"

    def recipient(self) -> str:
        """The address digests go to ('' when the user has none)."""
        return self.user.email if self.user is not None else self.email

    def recipient_label(self) -> str:
        """A name for lists: the user's name, or the person's name and address."""
        if self.user is not None:
            return self.user.get_full_name() or self.user.get_username()
        return f"{self.name} <{self.email}>" if self.name else self.email


class DigestSend(models.Model):
    """One digest for one period: the unique (subscription, period) row makes sending idempotent.

    ``queued`` → ``sending`` (claimed by one worker) → ``sent``, ``paused`` (no new feedback in the period,
    nothing sent) or ``failed``; a temporary failure goes back to ``queued`` with ``next_attempt_at`` moved on.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        PAUSED = "paused", "Paused: no new feedback"
        FAILED = "failed", "Failed"

    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="sends")
    period_start = models.DateField()
    period_end = models.DateField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED, db_index=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    recipient = models.CharField(max_length=254, blank=True)
    responses = models.PositiveIntegerField(null=True, blank=True, help_text="Responses in the period.")
    note = models.CharField(max_length=500, blank=True, help_text="Why it paused, or the last error.")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-period_start", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["subscription", "period_start"], name="digest_one_per_period"),
        ]

    def __str__(self) -> str:
        return f"Digest {self.period_start}–{self.period_end} ({self.status})"
