"""Did an improvement action work?  The NPS of its units before and after it started, with a z-test, and the
share of comments mentioning its theme before and after, with a two-proportion z-test.

Counts come from the one query path (``harken.analytics.queries.total``, ``harken.text.impact.themes``); the NPS
test is ``harken.analytics.nps.compare`` (two-sample z-test on the difference, keeping its direction).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings

from harken.analytics.nps import Comparison, Counts, compare, compare_shares, nps
from harken.analytics.queries import Filters, responses, total
from harken.loop.models import Action
from harken.org.models import Unit
from harken.text.impact import themes


@dataclass(frozen=True)
class ShareChange:
    """Comments mentioning the action's theme (or a theme below it) among commented responses, before and after.

    Two-proportion z-test with the pooled share p̂ = (k₁ + k₂)/(n₁ + n₂): SE = √(p̂(1 − p̂)(1/n₁ + 1/n₂)),
    z = (p₂ − p₁)/SE, two-sided p = 2·(1 − Φ(|z|)); ``p_value`` is None when a side has no comments.
    """

    before_mentions: int
    before_commented: int
    after_mentions: int
    after_commented: int
    p_value: float | None
    significant: bool

    @property
    def share_before(self) -> float | None:
        """Share of commented responses mentioning the theme before the start (0…1)."""
        return self.before_mentions / self.before_commented if self.before_commented else None

    @property
    def share_after(self) -> float | None:
        """Share of commented responses mentioning the theme since the start (0…1)."""
        return self.after_mentions / self.after_commented if self.after_commented else None


def share_test(k1: int, n1: int, k2: int, n2: int, level: float) -> ShareChange:
    """The two-proportion z-test of ``k2/n2`` against ``k1/n1`` (``harken.analytics.nps.compare_shares``)."""
    test = compare_shares(k1, n1, k2, n2, level)
    if test is None:
        return ShareChange(k1, n1, k2, n2, None, False)
    return ShareChange(k1, n1, k2, n2, test.p_value, test.significant)


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
    theme_share: ShareChange | None = None

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


def _theme_counts(theme_id: int, units: list[Unit], start: dt.date, end: dt.date) -> tuple[int, int]:
    """(scored responses mentioning the theme, scored responses with a comment) of the units in the period."""
    mentioning = commented = 0
    for unit in units:
        filters = Filters(start=start, end=end, unit=unit)
        found = [group for group in themes(filters) if group.key == str(theme_id)]
        mentioning += found[0].mentions.n if found else 0
        commented += responses(filters).exclude(comment="").count()
    return mentioning, commented


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
    share = None
    if action.theme_id is not None:
        k1, n1 = _theme_counts(action.theme_id, units, before_start, before_end)
        k2, n2 = _theme_counts(action.theme_id, units, after_start, after_end) if after_end >= after_start else (0, 0)
        share = share_test(k1, n1, k2, n2, level)
    comparison = compare(before, after, level)
    return Effect(before_start, before_end, after_start, after_end, before, after, comparison, share)
