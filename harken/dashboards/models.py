"""Goals (a target NPS for a unit and a period) and external benchmarks (e.g. an industry NPS)."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from harken.org.models import Unit
from harken.surveys.models import Touchpoint

NPS_RANGE = [MinValueValidator(-100), MaxValueValidator(100)]


class Goal(models.Model):
    """A target NPS for a unit (and everything below it) over a calendar period, set by a manager."""

    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="goals")
    start = models.DateField(help_text="First day of the period.")
    end = models.DateField(help_text="Last day of the period (inclusive).")
    target = models.FloatField(validators=NPS_RANGE, help_text="Target NPS, from −100 to 100.")
    note = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-start", "unit__path"]
        constraints = [
            models.CheckConstraint(condition=models.Q(end__gte=models.F("start")), name="goal_end_after_start"),
            models.CheckConstraint(condition=models.Q(target__gte=-100, target__lte=100), name="goal_target_range"),
        ]

    def __str__(self) -> str:
        return f"{self.unit}: NPS {self.target:+.0f} from {self.start} to {self.end}"

    def clean(self) -> None:
        if self.start and self.end and self.end < self.start:
            raise ValidationError({"end": "The period ends before it starts."})


class Benchmark(models.Model):
    """An NPS from outside (an industry study, a competitor), shown as a reference line."""

    name = models.CharField(max_length=120, help_text="e.g. 'Retail industry 2026'.")
    value = models.FloatField(validators=NPS_RANGE, help_text="NPS from −100 to 100.")
    source = models.CharField(max_length=200, blank=True, help_text="Where the number comes from.")
    touchpoint = models.ForeignKey(
        Touchpoint, null=True, blank=True, on_delete=models.CASCADE, help_text="Empty: the whole relationship."
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=models.Q(value__gte=-100, value__lte=100), name="benchmark_value_range"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.value:+.0f})"
