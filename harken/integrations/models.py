"""Customer behaviour imported from CRMs, shops and billing systems, to link NPS to money."""

from __future__ import annotations

from django.db import models

from harken.contacts.models import Contact


class CustomerEvent(models.Model):
    """Something a customer did: renewed, churned, bought.  ``value`` is money in ``currency`` (may be null).

    Events are kept per contact; they are seen by whoever sees the contact's home unit.  ``external_id``
    (the id in the source system) makes imports idempotent.
    """

    class Kind(models.TextChoices):
        PURCHASE = "purchase", "Purchase"
        RENEWAL = "renewal", "Renewal"
        CHURN = "churn", "Churn (cancelled, lost)"
        UPGRADE = "upgrade", "Upgrade"
        DOWNGRADE = "downgrade", "Downgrade"

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    occurred_at = models.DateTimeField()
    value = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    currency = models.CharField(max_length=3, blank=True)
    external_id = models.CharField(max_length=120, blank=True)
    source = models.CharField(max_length=50, blank=True, help_text="Where it came from: crm, shop, billing …")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["external_id"], condition=~models.Q(external_id=""), name="customerevent_unique_external_id"
            ),
        ]
        indexes = [models.Index(fields=["contact", "kind", "occurred_at"], name="customerevent_contact_kind")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} of {self.contact} on {self.occurred_at:%Y-%m-%d}"
