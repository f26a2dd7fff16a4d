"""Touchpoints of the customer journey, surveys, and their questions with stable ids."""

from __future__ import annotations

import secrets

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models

from harken.analytics.nps import Category

SUPPORTED_LANGUAGES = ["en", "es", "fr", "de"]

color_validator = RegexValidator(r"^#[0-9a-fA-F]{6}$", "Use a colour like #1f6feb.")
key_validator = RegexValidator(r"^[a-z0-9][a-z0-9_-]{0,49}$", "Use lower-case letters, digits, - and _.")


def new_question_key() -> str:
    """A short random id for a question; it never changes once answers refer to it."""
    return "q_" + secrets.token_hex(4)


class Touchpoint(models.Model):
    """A step of the customer journey (onboarding, purchase, delivery, support, renewal …)."""

    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)
    position = models.PositiveSmallIntegerField(default=0, help_text="Order in the customer journey.")
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name


class Survey(models.Model):
    """A relationship survey (asked periodically) or a transactional one (after a touchpoint event).

    The NPS question is always first; follow-up questions are ``Question`` rows with stable keys.
    ``translations`` maps a language code to overrides of the texts, e.g.
    ``{"es": {"nps_question": "¿Qué probabilidad hay …?"}}``.
    """

    class Kind(models.TextChoices):
        RELATIONSHIP = "relationship", "Relationship (periodic)"
        TRANSACTIONAL = "transactional", "Transactional (after a touchpoint)"

    name = models.CharField(max_length=200, unique=True)
    slug = models.SlugField(max_length=100, unique=True)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.RELATIONSHIP)
    touchpoint = models.ForeignKey(
        Touchpoint,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="surveys",
        help_text="For transactional surveys: the journey step they follow.",
    )
    nps_question = models.CharField(
        max_length=300, default="How likely are you to recommend us to a friend or colleague?"
    )
    low_label = models.CharField(max_length=60, default="Not at all likely")
    high_label = models.CharField(max_length=60, default="Extremely likely")
    comment_question = models.CharField(max_length=300, default="What is the main reason for your score?")
    # The "why?" question in other words for one NPS category (e.g. detractors: "What should we fix first?");
    # empty: everyone is asked ``comment_question``.
    comment_question_detractor = models.CharField(max_length=300, blank=True)
    comment_question_passive = models.CharField(max_length=300, blank=True)
    comment_question_promoter = models.CharField(max_length=300, blank=True)
    default_language = models.CharField(max_length=8, default="en")
    translations = models.JSONField(default=dict, blank=True)
    company_name = models.CharField(max_length=200, blank=True)
    accent_color = models.CharField(max_length=7, default="#1f6feb", validators=[color_validator])
    logo_url = models.URLField(blank=True)
    # Survey-fatigue rules: do not ask the same contact again within this many days (any survey); empty means
    # the installation's HARKEN_FATIGUE_DAYS.
    min_days_between_invitations = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Days before a contact may be asked again; empty: the installation default."
    )
    reminder_after_days = models.PositiveSmallIntegerField(default=3)
    max_reminders = models.PositiveSmallIntegerField(default=1)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def comment_field(self, category: Category | None) -> str:
        """The field holding the "why?" question for a respondent of ``category``: its own wording if set."""
        if category is not None and str(getattr(self, f"comment_question_{category.value}")):
            return f"comment_question_{category.value}"
        return "comment_question"

    def text(self, field: str, language: str) -> str:
        """A survey text in ``language``, falling back to the survey's own wording."""
        translated = (self.translations or {}).get(language, {}).get(field)
        return translated or str(getattr(self, field))


class Question(models.Model):
    """A follow-up question. Answers are stored under ``key``, which never changes (no positional ids)."""

    class Kind(models.TextChoices):
        RATING_0_10 = "rating_0_10", "Rating 0–10"
        RATING_1_5 = "rating_1_5", "Rating 1–5"
        SINGLE_CHOICE = "single_choice", "Single choice"
        MULTIPLE_CHOICE = "multiple_choice", "Multiple choice"
        TEXT = "text", "Short text"

    class Audience(models.TextChoices):
        EVERYONE = "everyone", "Everyone"
        DETRACTORS = Category.DETRACTOR.value, "Detractors (0–6)"
        PASSIVES = Category.PASSIVE.value, "Passives (7–8)"
        PROMOTERS = Category.PROMOTER.value, "Promoters (9–10)"

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="questions")
    key = models.CharField(max_length=50, default=new_question_key, validators=[key_validator])
    kind = models.CharField(max_length=20, choices=Kind.choices)
    text = models.CharField(max_length=300)
    driver = models.CharField(
        max_length=100, blank=True, help_text="The driver a rating measures, e.g. 'Staff friendliness'."
    )
    choices = models.JSONField(
        default=list, blank=True, help_text='For choice questions: [{"key": "price", "label": "Price"}, …]'
    )
    translations = models.JSONField(default=dict, blank=True)
    audience = models.CharField(max_length=20, choices=Audience.choices, default=Audience.EVERYONE)
    position = models.PositiveSmallIntegerField(default=0)
    required = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["survey", "position", "id"]
        constraints = [models.UniqueConstraint(fields=["survey", "key"], name="question_unique_key_per_survey")]

    def __str__(self) -> str:
        return f"{self.survey}: {self.text}"

    def clean(self) -> None:
        """Choice questions need choices with unique keys; other kinds take none."""
        is_choice = self.kind in (self.Kind.SINGLE_CHOICE, self.Kind.MULTIPLE_CHOICE)
        if is_choice and not self.choices:
            raise ValidationError({"choices": "A choice question needs at least one choice."})
        if is_choice:
            keys = [choice.get("key") for choice in self.choices if isinstance(choice, dict)]
            if len(keys) != len(self.choices) or not all(keys) or len(set(keys)) != len(keys):
                raise ValidationError({"choices": "Every choice needs a unique key and a label."})
        if not is_choice and self.choices:
            raise ValidationError({"choices": "Only choice questions take choices."})

    def text_in(self, language: str) -> str:
        """The question text in ``language``, falling back to the original wording."""
        return (self.translations or {}).get(language, {}).get("text") or self.text
