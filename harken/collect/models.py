"""Responses: a score from 0 to 10, a comment and answers keyed by stable question ids."""

from __future__ import annotations

import secrets
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
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
    submission_key = models.CharField(
        max_length=64,
        blank=True,
        editable=False,
        help_text="Random id of an anonymous or widget submission, so a resent answer updates this response.",
    )
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
            models.UniqueConstraint(
                fields=["survey", "submission_key"],
                condition=~Q(submission_key=""),
                name="response_unique_submission_key",
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


def new_widget_key() -> str:
    """The public id of a widget, written into the host page's snippet (not a secret)."""
    return secrets.token_urlsafe(12)


class Widget(models.Model):
    """An NPS prompt shown on a website or in an app, with its display rules.

    Responses through it belong to ``unit``.  Only pages on ``allowed_origins`` may post to it (CORS).
    """

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="widgets")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="widgets")
    name = models.CharField(max_length=100, help_text="e.g. 'Web shop' or 'Mobile app'.")
    key = models.CharField(max_length=32, unique=True, default=new_widget_key, editable=False)
    allowed_origins = models.TextField(
        help_text="Origins of the pages that embed the widget, one a line, e.g. https://shop.example.com"
    )
    delay_seconds = models.PositiveSmallIntegerField(default=5, validators=[MaxValueValidator(3600)])
    pages = models.TextField(
        blank=True, help_text="URL paths to show it on, one a line; * matches anything. Empty: every page."
    )
    returning_visitors_only = models.BooleanField(default=False)
    snooze_days = models.PositiveSmallIntegerField(
        default=90, help_text="Do not show it again to the same visitor for this many days."
    )
    sample_percent = models.PositiveSmallIntegerField(
        default=100, validators=[MinValueValidator(0), MaxValueValidator(100)], help_text="Share of visitors asked."
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.survey})"

    def origins(self) -> list[str]:
        """The allowed origins, normalised (scheme://host[:port], lower case, no trailing slash)."""
        return [line.strip().rstrip("/").lower() for line in self.allowed_origins.splitlines() if line.strip()]

    def page_patterns(self) -> list[str]:
        """The page path patterns, or an empty list for every page."""
        return [line.strip() for line in self.pages.splitlines() if line.strip()]

    def clean(self) -> None:
        """Each origin must be a bare http(s) origin: no path, query or wildcard."""
        for origin in self.origins():
            parts = urlsplit(origin)
            if parts.scheme not in ("http", "https") or not parts.netloc or parts.path or parts.query or "*" in origin:
                raise ValidationError({"allowed_origins": f"{origin!r} is not an origin like https://shop.example.com"})


class WidgetDisplay(models.Model):
    """How often a widget was shown and dismissed on one day, for response rates."""

    widget = models.ForeignKey(Widget, on_delete=models.CASCADE, related_name="displays")
    day = models.DateField()
    shown = models.PositiveIntegerField(default=0)
    dismissed = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["widget", "day"], name="widget_display_unique_day")]

    def __str__(self) -> str:
        return f"{self.widget}: {self.day} shown {self.shown}, dismissed {self.dismissed}"


class RateLimit(models.Model):
    """A fixed-window request counter for one key (``answer:ip:203.0.113.9``), shared by every process."""

    key = models.CharField(max_length=200, primary_key=True)
    window_start = models.BigIntegerField(db_index=True, help_text="Start of the window, in seconds since the epoch.")
    count = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.key}: {self.count} since {self.window_start}"


class LinkClick(models.Model):
    """One opening of a one-click score link from an email, kept to tell customers from link scanners.

    Mail security scanners (Microsoft Safe Links, Proofpoint, Mimecast …) open every link of a message, often
    all eleven scores within a second.  ``previous_score`` is the response's score before this click, so a
    burst can be undone exactly (see ``harken.collect.scanners``).  No address or user agent is stored.
    """

    class Verdict(models.TextChoices):
        RECORDED = "recorded", "Recorded as the customer's score"
        SCANNER = "scanner", "Not recorded: a link scanner or preview (user agent or HEAD)"
        BURST = "burst", "Not recorded: part of a burst of different scores"

    invitation = models.ForeignKey(Invitation, on_delete=models.CASCADE, related_name="link_clicks")
    score = models.SmallIntegerField()
    previous_score = models.SmallIntegerField(null=True, blank=True)
    verdict = models.CharField(max_length=10, choices=Verdict.choices)
    clicked_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["invitation", "clicked_at"], name="linkclick_invitation_time")]

    def __str__(self) -> str:
        return f"{self.invitation_id}: {self.score} at {self.clicked_at:%Y-%m-%d %H:%M:%S} ({self.verdict})"


class ReceivedAnswer(models.Model):
    """A widget answer as it arrived, before it is filed as a response (``harken.collect.intake``).

    The public answer endpoint only appends a row here — a table with no triggers and no index but its key —
    and the answer is filed moments later, in batches: the response created or updated, the contact found or
    added, the follow-up work queued.  Ids of the survey, unit and touchpoint are plain numbers, not foreign
    keys, so that nothing is checked or locked on arrival; filing checks them.  A row that cannot be filed
    stays, with the reason, after ``MAX_ATTEMPTS`` tries: an answer that reached us is never dropped silently.
    """

    MAX_ATTEMPTS = 3

    received_at = models.DateTimeField()
    survey_id = models.BigIntegerField()
    unit_id = models.BigIntegerField()
    touchpoint_id = models.BigIntegerField(null=True, blank=True)
    submission_key = models.CharField(max_length=64)
    score = models.SmallIntegerField(null=True, blank=True)
    # NULL (no comment sent) differs from "" (the comment was cleared), so the usual empty-string rule does not fit.
    comment = models.TextField(null=True, blank=True, help_text="Null: no comment came with this answer.")  # noqa: DJ001
    language = models.CharField(max_length=16)
    visitor = models.JSONField(null=True, blank=True, help_text="Who the host page said the visitor is.")
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)

    def __str__(self) -> str:
        return f"{self.submission_key} at {self.received_at:%Y-%m-%d %H:%M:%S}"
