"""Did an improvement action work?  The NPS of its units before and after it started, with a z-test.

Counts come from the one query path (``harken.analytics.queries.total``); the test is
``harken.analytics.nps.compare`` (two-sample z-test on the difference, keeping its direction).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings

from harken.analytics.nps import Comparison, Counts, compare, nps
from harken.analytics.queries import Filters, total
from harken.loop.models import Action
from harken.org.models import Unit


@dataclass(frozen=True)
class Effect:
    """Counts and periods before and after an action started, and their comparison (None if a side is empty)."""

    before_start: dt.date
    before_end: dt.date
    after_start: dt.date
    after_end: dt.date
    before: Counts
    after: Counts
    comparison: Comparison | None

    @property
    def nps_before(self) -> float | None:
        """NPS before the start, or None without answers."""
        return nps(self.before)

    @property
    def nps_after(self) -> float | None:
        """NPS since the start, or None without answers."""
        return nps(self.after)


def top_units(units: list[Unit]) -> list[Unit]:
    """The units without an ancestor in the list, so no subtree is counted twice."""
    chosen = sorted(units, key=lambda unit: unit.depth)
    tops: list[Unit] = []
    for unit in chosen:
        if not any(unit.path.startswith(top.path) for top in tops):
            tops.append(unit)
    return tops


def _counts(units: list[Unit], start: dt.date, end: dt.date) -> Counts:
    result = Counts(0, 0, 0)
    for unit in units:
        result = result + total(Filters(start=start, end=end, unit=unit))
    return result


def action_effect(action: Action, today: dt.date) -> Effect:
    """``window_days`` before ``started_on`` against as many days from it, cut at ``today``."""
    window = dt.timedelta(days=action.window_days)
    before_start, before_end = action.started_on - window, action.started_on - dt.timedelta(days=1)
    after_start = action.started_on
    after_end = min(action.started_on + window - dt.timedelta(days=1), today)
    units = top_units(list(action.units.all()))
    before = _counts(units, before_start, before_end)
    after = _counts(units, after_start, after_end) if after_end >= after_start else Counts(0, 0, 0)
    level = 1 - settings.CONFIDENCE
    return Effect(before_start, before_end, after_start, after_end, before, after, compare(before, after, level))
