"""Score-count tables that keep dashboards fast at millions of responses (DESIGN.md §4).

Each table holds, per time bucket in the installation's time zone and per combination of some response
columns, how many responses gave each score 0–10:

- ``UnitMonthCount`` / ``UnitDayCount``: month × unit and day × unit — the small tables that answer every
  panel without a touchpoint or survey (the headline, trend, units, leaderboard), 8–50 × fewer rows;
- ``ScoreCount``: month × unit × touchpoint × survey — whole months of any period;
- ``DayCount``: day × unit × touchpoint × survey — the partial months at a period's edges, and short periods;
- ``ChannelMonthCount`` / ``ChannelDayCount``: month or day × unit × channel × language — channel and
  language filters without a touchpoint or survey;
- ``DetailCount``: month × unit × touchpoint × survey × channel × language — whole months when a channel or
  language is asked for together with a touchpoint or survey.  Nearly as long as the responses at 1 million
  (each store sees few responses per month and channel), so it is read only then.

Database triggers on ``collect_response`` keep every table exact in the same transaction as each insert,
update and delete, whatever code writes the response (pages, API, imports, erasure, retention, raw SQL).
``harken.analytics.cube`` installs the triggers, rebuilds the tables and says which table answers what;
``harken.analytics.queries`` reads them.
"""

from __future__ import annotations

from django.db import models

SCORE_COLUMNS = tuple(f"s{score}" for score in range(11))


class CubeState(models.Model):
    """One row: the time zone the buckets of the score-count tables were cut in, and whether they are complete."""

    zone = models.CharField(max_length=64)
    ready = models.BooleanField(default=False)
    rebuilt_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"score counts in {self.zone} ({'ready' if self.ready else 'not ready'})"


class UnitCell(models.Model):
    """Responses per score 0–10 in one cell.  Plain integer keys, not foreign keys: triggers write these
    tables and nothing may cascade into them.  Skipped scores are not counted."""

    unit_id = models.BigIntegerField()
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
        abstract = True

    def __str__(self) -> str:
        return f"unit {self.unit_id}: {sum(getattr(self, c) for c in SCORE_COLUMNS)} scores"


class Cell(UnitCell):
    """A cell that also keeps touchpoints (0: none) and surveys apart."""

    touchpoint_id = models.BigIntegerField(default=0)
    survey_id = models.BigIntegerField()

    class Meta:
        abstract = True


class UnitMonthCount(UnitCell):
    """Responses per score 0–10 for one month × unit."""

    month = models.DateField(help_text="First day of the month in the installation's time zone.")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["month", "unit_id"], name="unitmonthcount_unique_cell")]
        indexes = [models.Index(fields=["unit_id", "month"], name="unitmonthcount_unit_month")]


class UnitDayCount(UnitCell):
    """Responses per score 0–10 for one day × unit."""

    day = models.DateField(help_text="Calendar day in the installation's time zone.")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["day", "unit_id"], name="unitdaycount_unique_cell")]
        indexes = [models.Index(fields=["unit_id", "day"], name="unitdaycount_unit_day")]


class ScoreCount(Cell):
    """Responses per score 0–10 for one month × unit × touchpoint × survey."""

    month = models.DateField(help_text="First day of the month in the installation's time zone.")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["month", "unit_id", "touchpoint_id", "survey_id"],
                name="scorecount_unique_cell",
            ),
        ]
        indexes = [models.Index(fields=["unit_id", "month"], name="scorecount_unit_month")]


class DayCount(Cell):
    """Responses per score 0–10 for one day × unit × touchpoint × survey."""

    day = models.DateField(help_text="Calendar day in the installation's time zone.")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["day", "unit_id", "touchpoint_id", "survey_id"], name="daycount_unique_cell"
            )
        ]
        indexes = [models.Index(fields=["unit_id", "day"], name="daycount_unit_day")]


class DetailCount(Cell):
    """Responses per score 0–10 for one month × unit × touchpoint × survey × channel × language."""

    month = models.DateField(help_text="First day of the month in the installation's time zone.")
    channel = models.CharField(max_length=10)
    language = models.CharField(max_length=8)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["month", "unit_id", "touchpoint_id", "survey_id", "channel", "language"],
                name="detailcount_unique_cell",
            )
        ]
        indexes = [
            models.Index(fields=["channel", "language", "month"], name="detailcount_channel_language"),
            models.Index(fields=["language", "month"], name="detailcount_language_month"),
            models.Index(fields=["unit_id", "month"], name="detailcount_unit_month"),
        ]


class ChannelMonthCount(UnitCell):
    """Responses per score 0–10 for one month × unit × channel × language."""

    month = models.DateField(help_text="First day of the month in the installation's time zone.")
    channel = models.CharField(max_length=10)
    language = models.CharField(max_length=8)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["month", "unit_id", "channel", "language"], name="channelmonthcount_unique_cell"
            )
        ]
        indexes = [models.Index(fields=["unit_id", "month"], name="channelmonthcount_unit_month")]


class ChannelDayCount(UnitCell):
    """Responses per score 0–10 for one day × unit × channel × language."""

    day = models.DateField(help_text="Calendar day in the installation's time zone.")
    channel = models.CharField(max_length=10)
    language = models.CharField(max_length=8)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["day", "unit_id", "channel", "language"], name="channeldaycount_unique_cell"
            )
        ]
        indexes = [models.Index(fields=["unit_id", "day"], name="channeldaycount_unit_day")]
