"""Invitations: one contact asked one survey on one channel."""

from __future__ import annotations

import datetime as dt
import secrets

from django.db import models

from harken.contacts.models import Contact
from harken.distribution.fatigue import Reason
from harken.org.models import Employee, Unit
from harken.surveys.models import Survey, Touchpoint


class Channel(models.TextChoices):
    """Where a response came from."""

    EMAIL = "email", "Email"
    SMS = "sms", "SMS"
    LINK = "link", "Web link"
    WIDGET = "widget", "Website / in-app widget"
    KIOSK = "kiosk", "Kiosk / QR code"
    API = "api", "API"
    IMPORT = "import", "Import"


def new_token() -> str:
    """An unguessable invitation token (signed again in the links we send)."""
    return secrets.token_urlsafe(18)


class Invitation(models.Model):
    """One contact asked one survey on one channel, about a unit (and maybe an employee)."""

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", "Scheduled"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        ANSWERED = "answered", "Answered"
        BOUNCED = "bounced", "Bounced"
        SUPPRESSED = "suppressed", "Not sent (fatigue or consent rules)"

    survey = models.ForeignKey(Survey, on_delete=models.PROTECT, related_name="invitations")
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="invitations")
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.EMAIL)
    token = models.CharField(max_length=40, unique=True, default=new_token, editable=False)
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="invitations")
    touchpoint = models.ForeignKey(Touchpoint, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    employee = models.ForeignKey(Employee, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    context = models.JSONField(default=dict, blank=True, help_text="Order id, ticket id … from the triggering event.")
    event_id = models.CharField(
        max_length=120, blank=True, help_text="Id of the touchpoint event that triggered it; one invitation per event."
    )
    language = models.CharField(max_length=8, blank=True)

    class Bounce(models.TextChoices):
        NONE = "", "No bounce"
        SOFT = "soft", "Deferred (soft bounce)"
        HARD = "hard", "Bounced (hard)"

    status = models.CharField(max_length=12, choices=Status.choices, default=Status.SCHEDULED, db_index=True)
    scheduled_at = models.DateTimeField(db_index=True)
    sent_at = models.DateTimeField(
        null=True, blank=True, db_index=True, help_text="Handed to the mail server or SMS provider (accepted or not)."
    )
    delivered_at = models.DateTimeField(null=True, blank=True, help_text="Accepted by the mail server or provider.")
    opened_at = models.DateTimeField(null=True, blank=True)
    clicked_at = models.DateTimeField(null=True, blank=True, help_text="First click on a link in the invitation.")
    bounce = models.CharField(max_length=4, choices=Bounce.choices, default=Bounce.NONE, blank=True)
    bounced_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    reminder_count = models.PositiveSmallIntegerField(default=0)
    answered_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-scheduled_at"]
        indexes = [models.Index(fields=["sent_at", "unit"], name="invitation_sent_unit")]
        constraints = [
            models.UniqueConstraint(
                fields=["event_id"], condition=~models.Q(event_id=""), name="invitation_unique_event"
            )
        ]

    def __str__(self) -> str:
        return f"{self.survey} → {self.contact} ({self.get_channel_display()})"


class SurveyTracking(models.Model):
    """How a survey's invitations are tracked.  The open pixel is off unless switched on (privacy: it tells
    the sender when and that a customer read the email, which some customers and jurisdictions object to)."""

    survey = models.OneToOneField(Survey, on_delete=models.CASCADE, primary_key=True, related_name="tracking")
    open_pixel = models.BooleanField(default=False, help_text="Put a 1×1 image in emails to see when they are opened.")

    def __str__(self) -> str:
        return f"{self.survey}: open pixel {'on' if self.open_pixel else 'off'}"


class FatigueRule(models.Model):
    """Contacts with ``attribute`` = ``value`` are asked at most once per ``days`` (e.g. enterprise: 90 days)."""

    attribute = models.CharField(max_length=100, help_text="A contact attribute, e.g. segment.")
    value = models.CharField(max_length=200, help_text="Its value, compared case-insensitively, e.g. enterprise.")
    days = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["attribute", "value"]
        constraints = [models.UniqueConstraint(fields=["attribute", "value"], name="fatigue_rule_unique")]

    def __str__(self) -> str:
        return f"{self.attribute} = {self.value}: {self.days} days"


class EligibilityEntry(models.Model):
    """The per-contact eligibility ledger: a send that was skipped, why, and when the contact is eligible again."""

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="eligibility")
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="+")
    invitation = models.ForeignKey(Invitation, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    channel = models.CharField(max_length=10, choices=Channel.choices)
    reason = models.CharField(max_length=20, choices=Reason.choices)
    next_eligible_at = models.DateTimeField(null=True, blank=True, help_text="Empty: not until consent changes.")
    decided_at = models.DateTimeField()

    class Meta:
        ordering = ["-decided_at", "-id"]
        verbose_name_plural = "eligibility entries"

    def __str__(self) -> str:
        return f"{self.contact}: {self.get_reason_display()} ({self.decided_at:%Y-%m-%d})"


class JourneyTrigger(models.Model):
    """When a touchpoint event arrives (order delivered, ticket closed), send ``survey`` after ``delay_minutes``."""

    touchpoint = models.OneToOneField(Touchpoint, on_delete=models.CASCADE, related_name="trigger")
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="triggers")
    delay_minutes = models.PositiveIntegerField(default=60, help_text="Wait this long after the event.")
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.EMAIL)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["touchpoint"]

    def __str__(self) -> str:
        return f"{self.touchpoint} → {self.survey} after {self.delay_minutes} min"


class Wave(models.Model):
    """A relationship survey sent on a schedule to a selection of contacts (schedules are data: ``next_run_at``).

    Each run selects the active contacts under ``unit`` whose attributes match ``attribute_filter``
    (``{"segment": "enterprise"}``), keeps ``sample_percent`` of them, and spreads their invitations evenly
    over ``spread_days``, each inside the daytime window of the contact's own time zone.
    """

    name = models.CharField(max_length=200)
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="waves")
    unit = models.ForeignKey(
        Unit, null=True, blank=True, on_delete=models.CASCADE, related_name="+", help_text="Empty: every unit."
    )
    attribute_filter = models.JSONField(default=dict, blank=True, help_text='e.g. {"plan": "gold"}')
    every_days = models.PositiveSmallIntegerField(default=91, help_text="91 for quarterly, 30 for monthly …")
    sample_percent = models.PositiveSmallIntegerField(default=100)
    spread_days = models.PositiveSmallIntegerField(default=0, help_text="0: all at once.")
    window_start = models.TimeField(default=dt.time(9), help_text="Send only from this local time …")
    window_end = models.TimeField(default=dt.time(18), help_text="… until this local time.")
    next_run_at = models.DateTimeField(db_index=True)
    last_run_at = models.DateTimeField(null=True, blank=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["next_run_at"]

    def __str__(self) -> str:
        return self.name
