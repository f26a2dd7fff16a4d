"""Contacts: the customers Harken asks, with their attributes, consent and survey history."""

from __future__ import annotations

from django.db import models
from django.db.models.functions import Lower

from harken.org.models import Unit


class Consent(models.TextChoices):
    """Whether a contact may be asked on a channel."""

    UNKNOWN = "unknown", "Not recorded"
    GRANTED = "granted", "Granted"
    UNSUBSCRIBED = "unsubscribed", "Unsubscribed"


class Contact(models.Model):
    """A customer.  ``attributes`` holds typed segment data such as plan, segment or annual revenue."""

    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=32, blank=True, help_text="In international format, e.g. +447700900123.")
    name = models.CharField(max_length=200, blank=True)
    language = models.CharField(max_length=8, default="en")
    time_zone = models.CharField(max_length=64, blank=True)
    external_id = models.CharField(max_length=100, blank=True, help_text="The id in your CRM or shop system.")
    attributes = models.JSONField(default=dict, blank=True)
    home_unit = models.ForeignKey(Unit, null=True, blank=True, on_delete=models.SET_NULL, related_name="contacts")
    email_consent = models.CharField(max_length=20, choices=Consent.choices, default=Consent.UNKNOWN)
    sms_consent = models.CharField(max_length=20, choices=Consent.choices, default=Consent.UNKNOWN)
    last_surveyed_at = models.DateTimeField(null=True, blank=True)
    bounced_email = models.CharField(
        max_length=254, blank=True, help_text="An address that hard-bounced; not mailed again until the email changes."
    )
    bounced_at = models.DateTimeField(null=True, blank=True)
    bounce_reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "email"]
        constraints = [
            models.UniqueConstraint(Lower("email"), condition=~models.Q(email=""), name="contact_unique_email"),
            models.UniqueConstraint(
                fields=["external_id"], condition=~models.Q(external_id=""), name="contact_unique_external_id"
            ),
        ]

    def __str__(self) -> str:
        return self.name or self.email or self.phone or f"Contact {self.pk}"

    @property
    def email_undeliverable(self) -> bool:
        """Whether the current email address hard-bounced (a new address is tried again)."""
        return bool(self.bounced_email) and self.bounced_email.casefold() == self.email.strip().casefold()
