"""Invitations: one contact asked one survey on one channel."""

from __future__ import annotations

import secrets

from django.db import models

from harken.contacts.models import Contact
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
        SUPPRESSED = "suppressed", "Not sent (fatigue or consent rules)"

    survey = models.ForeignKey(Survey, on_delete=models.PROTECT, related_name="invitations")
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="invitations")
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.EMAIL)
    token = models.CharField(max_length=40, unique=True, default=new_token, editable=False)
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="invitations")
    touchpoint = models.ForeignKey(Touchpoint, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    employee = models.ForeignKey(Employee, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    context = models.JSONField(default=dict, blank=True, help_text="Order id, ticket id … from the triggering event.")
    language = models.CharField(max_length=8, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.SCHEDULED, db_index=True)
    scheduled_at = models.DateTimeField(db_index=True)
    sent_at = models.DateTimeField(null=True, blank=True, db_index=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    reminder_count = models.PositiveSmallIntegerField(default=0)
    answered_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-scheduled_at"]
        indexes = [models.Index(fields=["sent_at", "unit"], name="invitation_sent_unit")]

    def __str__(self) -> str:
        return f"{self.survey} → {self.contact} ({self.get_channel_display()})"
