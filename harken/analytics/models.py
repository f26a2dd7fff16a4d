"""The monthly score-count table that keeps dashboards fast at millions of responses (DESIGN.md §4).

``ScoreCount`` holds, for each calendar month in the installation's time zone and each combination of unit,
touchpoint and survey, how many responses gave each score 0–10.  Channel and language are left out on
purpose: with them the table had almost as many rows as responses at 1 million (measured, bench/), so
filters on them count raw responses instead.  Database triggers on
``collect_response`` keep it exact in the same transaction as every insert, update and delete, whatever code
writes the response (pages, API, imports, bulk inserts, raw SQL).  ``harken.analytics.cube`` installs the
triggers, rebuilds the table and reads it; ``harken.analytics.queries`` decides when it may be used.
"""

from __future__ import annotations

from django.db import models

SCORE_COLUMNS = tuple(f"s{score}" for score in range(11))


class CubeState(models.Model):
    """One row: the time zone the months of ``ScoreCount`` were cut in, and whether the table is complete."""

    zone = models.CharField(max_length=64)
    ready = models.BooleanField(default=False)
    rebuilt_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"score counts in {self.zone} ({'ready' if self.ready else 'not ready'})"


class ScoreCount(models.Model):
    """Responses per score 0–10 for one month × unit × touchpoint × survey.

    Plain integer keys, not foreign keys: the triggers write this table and nothing may cascade into it.
    ``touchpoint_id`` is 0 for responses without a touchpoint.  Skipped scores are not counted.
    """

    month = models.DateField(help_text="First day of the month in the installation's time zone.")
    unit_id = models.BigIntegerField()
    touchpoint_id = models.BigIntegerField(default=0)
    survey_id = models.BigIntegerField()
    s0 = models.BigIntegerField(default=0)
    s1 = models.BigIntegerField(default=0)
    s2 = models.BigIntegerField(default=0)
    s3 = models.BigIntegerField(default=0)
    s4 = models.BigIntegerField(default=0)
    s5 = models.BigIntegerField(default=0)
    s6 = models.BigIntegerField(default=0)
    s7 = models.BigIntegerField(default=0)
    s8 = models.BigIntegerField(default=0)
    s9 = models.BigIntegerField(default=0)
    s10 = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["month", "unit_id", "touchpoint_id", "survey_id"],
                name="scorecount_unique_cell",
            ),
        ]
        indexes = [models.Index(fields=["unit_id", "month"], name="scorecount_unit_month")]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} unit {self.unit_id}: {sum(getattr(self, c) for c in SCORE_COLUMNS)} scores"
