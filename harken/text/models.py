"""Comment analysis: sentiment per response, the theme taxonomy, and which responses mention which theme.

Response lives in ``collect``; everything this app derives from a comment is kept here, keyed by the response.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from harken.collect.models import Response
from harken.text import matching
from harken.text.sentiment import Label

LABEL_CHOICES = [(label.value, label.value.replace("_", " ").capitalize()) for label in Label]


class CommentAnalysis(models.Model):
    """Sentiment of one response's comment, as of ``analysed_at`` (None score: not analysed, see ``label``)."""

    response = models.OneToOneField(Response, on_delete=models.CASCADE, related_name="analysis")
    sentiment_score = models.FloatField(null=True, blank=True, help_text="VADER compound score, −1…1.")
    sentiment_label = models.CharField(max_length=12, choices=LABEL_CHOICES)
    analysed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name_plural = "comment analyses"
        indexes = [models.Index(fields=["sentiment_label"], name="analysis_label")]

    def __str__(self) -> str:
        return f"{self.sentiment_label} ({self.sentiment_score}) — response {self.response_id}"


class Theme(models.Model):
    """A node of the root-cause taxonomy (Service → Staff friendliness) with its matching rules.

    A parent theme is mentioned when it or any theme below it is.  Rules are phrases, one a line (see
    ``harken.text.matching``); changing them bumps ``rules_version`` and re-tags history in the background.
    """

    name = models.CharField(max_length=100)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.CASCADE, related_name="children")
    description = models.CharField(max_length=300, blank=True)
    any_of = models.TextField(blank=True, help_text="Phrases, one a line: the comment mentions at least one.")
    all_of = models.TextField(blank=True, help_text="Phrases, one a line: the comment mentions every one.")
    none_of = models.TextField(blank=True, help_text="Phrases, one a line: the comment mentions none of them.")
    near = models.TextField(blank=True, help_text="Pairs 'a ~ b', one a line: both within near_words words.")
    near_words = models.PositiveSmallIntegerField(default=5)
    count_negated = models.BooleanField(
        default=True,
        help_text="Count negated mentions ('not friendly' is about friendliness). Untick for themes that name "
        "a problem or a praise ('Long wait': 'no wait at all' is not one).",
    )
    is_active = models.BooleanField(default=True)
    position = models.PositiveSmallIntegerField(default=0)
    rules_version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position", "name"]
        constraints = [
            models.UniqueConstraint(fields=["parent", "name"], name="theme_unique_name_per_parent"),
            models.UniqueConstraint(
                fields=["name"], condition=models.Q(parent__isnull=True), name="theme_unique_top_level_name"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.parent.name} → {self.name}" if self.parent_id and self.parent else self.name

    def rules(self) -> matching.Rules:
        """The rules as the matcher reads them."""
        return matching.Rules(
            any_of=matching.lines(self.any_of),
            all_of=matching.lines(self.all_of),
            none_of=matching.lines(self.none_of),
            near=matching.parse_near(self.near),
            near_words=self.near_words,
            count_negated=self.count_negated,
        )

    def clean(self) -> None:
        """Near rules must parse, and a theme cannot sit below itself."""
        try:
            self.rules()
        except ValueError as exc:
            raise ValidationError({"near": str(exc)}) from exc
        ancestor = self.parent
        while ancestor is not None:
            if ancestor.pk == self.pk:
                raise ValidationError({"parent": "A theme cannot be placed below itself."})
            ancestor = ancestor.parent


class ThemeLink(models.Model):
    """Closure of the theme tree: one row per (ancestor, descendant), a theme being its own ancestor.

    Rebuilt whenever themes change (``do_rebuild_links``), so one grouped query can count a parent theme's
    distinct mentioning responses.
    """

    ancestor = models.ForeignKey(Theme, on_delete=models.CASCADE, related_name="descendant_links")
    descendant = models.ForeignKey(Theme, on_delete=models.CASCADE, related_name="ancestor_links")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["ancestor", "descendant"], name="theme_link_unique")]

    def __str__(self) -> str:
        return f"{self.ancestor_id} ⊇ {self.descendant_id}"


class Source(models.TextChoices):
    RULE = "rule", "Rule"
    MODEL = "model", "Model"
    PERSON = "person", "Person"


class ResponseTheme(models.Model):
    """A response mentions a theme — or, with ``excluded``, a person said it does not.

    Rows from a person win: tagging and re-tagging never touch them, and a person's exclusion keeps a rule
    from adding the theme back (one row per response and theme).
    """

    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="theme_links")
    theme = models.ForeignKey(Theme, on_delete=models.CASCADE, related_name="response_links")
    source = models.CharField(max_length=6, choices=Source.choices)
    excluded = models.BooleanField(default=False, help_text="A person removed this theme from the response.")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["response", "theme"], name="response_theme_unique")]
        indexes = [models.Index(fields=["theme", "response"], name="response_theme_by_theme")]

    def __str__(self) -> str:
        verb = "not" if self.excluded else "mentions"
        return f"response {self.response_id} {verb} {self.theme_id} ({self.source})"
