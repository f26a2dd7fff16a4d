"""Responses: a score from 0 to 10, a comment and answers keyed by stable question ids."""

from __future__ import annotations

from django.db import models
from django.db.models import Case, Q, Value, When
from django.utils import timezone

from harken.analytics.nps import DETRACTOR_MAX, PASSIVE_MAX, Category
from harken.contacts.models import Contact
from harken.distribution.models import Channel, Invitation
from harken.org.models import Employee, Unit
from harken.surveys.models import Survey, Touchpoint

CATEGORY_CHOICES = [(category.value, category.value.title()) for category in Category]


class Response(models.Model):
    """One customer's answer to one survey.

    ``score`` is a whole number 0–10 enforced by a database CHECK; it is NULL when the customer skipped
    it, and such a response is left out of every NPS denominator.  ``category`` is derived by the database
    from the score, so no code path (imports, bulk inserts) can get the buckets wrong.
    """

    survey = models.ForeignKey(Survey, on_delete=models.PROTECT, related_name="responses")
    invitation = models.OneToOneField(
        Invitation, null=True, blank=True, on_delete=models.SET_NULL, related_name="response"
    )
    contact = models.ForeignKey(Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="responses")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="responses")
    touchpoint = models.ForeignKey(
        Touchpoint, null=True, blank=True, on_delete=models.PROTECT, related_name="responses"
    )
    employee = models.ForeignKey(Employee, null=True, blank=True, on_delete=models.SET_NULL, related_name="responses")
    score = models.SmallIntegerField(null=True, blank=True)
    category = models.GeneratedField(
        expression=Case(
            When(score__lte=DETRACTOR_MAX, then=Value(Category.DETRACTOR.value)),
            When(score__lte=PASSIVE_MAX, then=Value(Category.PASSIVE.value)),
            When(score__isnull=False, then=Value(Category.PROMOTER.value)),
            default=None,
        ),
        output_field=models.CharField(max_length=10, choices=CATEGORY_CHOICES, null=True),
        db_persist=True,
    )
    comment = models.TextField(blank=True)
    answers = models.JSONField(default=dict, blank=True, help_text="Answers keyed by question key.")
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.LINK)
    language = models.CharField(max_length=8, default="en")
    external_id = models.CharField(max_length=120, blank=True, help_text="Id in the system it was imported from.")
    submitted_at = models.DateTimeField(default=timezone.now)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-submitted_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(score__isnull=True) | Q(score__gte=0, score__lte=10), name="response_score_0_to_10"
            ),
            models.UniqueConstraint(
                fields=["survey", "external_id"], condition=~Q(external_id=""), name="response_unique_external_id"
            ),
        ]
        indexes = [
            # Covers the common dashboard shape: a period, then units/touchpoints, counting scores.
            models.Index(fields=["submitted_at", "unit", "touchpoint", "score"], name="response_period_unit_tp"),
            models.Index(fields=["unit", "touchpoint", "submitted_at", "score"], name="response_unit_tp_period"),
        ]

    def __str__(self) -> str:
        score = "no score" if self.score is None else f"{self.score}/10"
        return f"{score} — {self.survey} ({self.submitted_at:%Y-%m-%d})"
