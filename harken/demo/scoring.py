"""The demo's probability model: how likely each score is, and what a customer says about it.

Every response gets a *quality* q, a sum of effects (store, its trend, touchpoint, season, incident,
employee, plan, the customer's own mood).  The score is drawn from

    P(score = s) ∝ base(s) · exp(q · (s − 7) / 3)

where ``base`` is a typical retail mix (q = 0 gives NPS ≈ +30; near there each +0.1 of q adds about five
NPS points).  So differences between stores, touchpoints and months are real differences in the
distribution, not noise added afterwards, and the analytics have something true to find.
"""

from __future__ import annotations

import bisect
import datetime as dt
import math
import random
from dataclasses import dataclass, field
from itertools import accumulate

from harken.analytics.nps import Category, classify

BASE_WEIGHTS = (2.0, 1.0, 1.5, 2.0, 2.5, 4.0, 6.0, 12.0, 20.0, 22.0, 27.0)
TILT = 3.0
GRID = 0.02  # quality is rounded to this step so that distributions can be cached
BASE_QUALITY = 0.12

# How much the December peak hurts each step (delays, crowded stores, long support queues), in q units.
DECEMBER_DIP = {
    "delivery": 0.55, "online-purchase": 0.3, "support": 0.35, "in-store-visit": 0.2, "returns": 0.1,
    "loyalty-renewal": 0.05, None: 0.12,
}
JANUARY_RETURNS_DIP = 0.3  # the post-Christmas returns queue
PLAN_EFFECT = {"basic": 0.0, "plus": 0.05, "premium": 0.15}
SEGMENT_EFFECT = {"consumer": 0.0, "business": -0.05}

# More people shop (and answer) before Christmas and in the summer holidays.
MONTH_VOLUME = {1: 1.1, 2: 0.85, 3: 0.9, 4: 0.95, 5: 1.0, 6: 1.05, 7: 1.15, 8: 1.1, 9: 0.95, 10: 1.0,
                11: 1.3, 12: 1.65}
WEEKDAY_VOLUME = (0.9, 0.9, 0.92, 0.95, 1.05, 1.35, 1.1)
GROWTH = 0.3  # the business grows: the last day has 30 % more customers than the first
HOUR_WEIGHTS = {hour: weight for hour, weight in zip(range(7, 24), (
    1, 2, 4, 5, 6, 7, 8, 7, 6, 6, 7, 8, 9, 10, 9, 6, 3), strict=True)}


class ScoreDraw:
    """Draws a score 0–10 for a quality level, caching the cumulative distribution per grid step."""

    def __init__(self) -> None:
        self._cumulative: dict[int, list[float]] = {}

    def __call__(self, rng: random.Random, quality: float) -> int:
        step = round(quality / GRID)
        cumulative = self._cumulative.get(step)
        if cumulative is None:
            cumulative = list(accumulate(distribution(step * GRID)))
            self._cumulative[step] = cumulative
        return min(10, bisect.bisect_right(cumulative, rng.random() * cumulative[-1]))


def distribution(quality: float) -> list[float]:
    """P(score = s) for s = 0…10: base(s) · exp(q · (s − 7) / 3), normalised."""
    weights = [base * math.exp(quality * (score - 7) / TILT) for score, base in enumerate(BASE_WEIGHTS)]
    total = sum(weights)
    return [weight / total for weight in weights]


@dataclass(frozen=True)
class Incident:
    """A bad period on some touchpoints (an app release that broke checkout) and the theme it brings."""

    first_day: dt.date
    last_day: dt.date
    effects: dict[str | None, float]
    theme: str

    def effect(self, day: dt.date, touchpoint: str | None) -> float:
        """The quality lost on ``day`` at ``touchpoint``; 0 outside the incident."""
        if not self.first_day <= day <= self.last_day:
            return 0.0
        return self.effects.get(touchpoint, 0.0)


def app_incident(today: dt.date) -> Incident:
    """About ten months ago an app release broke checkout for six weeks."""
    first = today - dt.timedelta(days=300)
    return Incident(
        first_day=first, last_day=first + dt.timedelta(days=45),
        effects={"online-purchase": -0.5, "loyalty-renewal": -0.25, None: -0.1}, theme="mobile_app",
    )


def seasonal_effect(day: dt.date, touchpoint: str | None) -> float:
    """The December peak dip (centred on 18 December) and the January returns queue, in q units."""
    peak = _bump(day, 12, 18, width=14.0) * DECEMBER_DIP.get(touchpoint, 0.0)
    returns = _bump(day, 1, 12, width=12.0) * JANUARY_RETURNS_DIP if touchpoint == "returns" else 0.0
    return -(peak + returns)


def is_peak(day: dt.date) -> bool:
    """Whether ``day`` is in the December rush, when delivery complaints dominate."""
    return _bump(day, 12, 18, width=14.0) > 0.3


def _bump(day: dt.date, month: int, day_of_month: int, width: float) -> float:
    centre = dt.date(day.year, month, day_of_month)
    distance = min(abs((day - centre.replace(year=year)).days) for year in (day.year - 1, day.year, day.year + 1))
    return math.exp(-((distance / width) ** 2))


def day_weights(days: list[dt.date]) -> list[float]:
    """Relative number of responses per day: month, weekday and slow growth."""
    last = max(len(days) - 1, 1)
    return [
        MONTH_VOLUME[day.month] * WEEKDAY_VOLUME[day.weekday()] * (1 + GROWTH * index / last)
        for index, day in enumerate(days)
    ]


@dataclass
class ThemePicker:
    """Picks a response's main and second theme from a step's weights, boosted by context."""

    weights: tuple[tuple[str, float], ...]
    keys: list[str] = field(init=False)
    base: list[float] = field(init=False)

    def __post_init__(self) -> None:
        self.keys = [key for key, _ in self.weights]
        self.base = [weight for _, weight in self.weights]

    def pick(self, rng: random.Random, boosts: dict[str, float]) -> tuple[str, str]:
        """Two different themes, the first drawn with ``boosts`` applied."""
        weights = [weight * boosts.get(key, 1.0) for key, weight in zip(self.keys, self.base, strict=True)]
        first = rng.choices(self.keys, weights)[0]
        others = [weight if key != first else 0.0 for key, weight in zip(self.keys, self.base, strict=True)]
        second = rng.choices(self.keys, others)[0]
        return first, second


def driver_answers(
    rng: random.Random, score: int, main_theme: str, drivers: tuple[tuple[str, str, str, str], ...]
) -> dict[str, int]:
    """Ratings 0–10 for the driver questions, close to the score; the main theme's driver goes further.

    A detractor who complains about waiting rates "waiting time" lower than the rest; a promoter who
    praises the staff rates "staff friendliness" higher.  About 8 % of ratings are skipped.
    """
    answers: dict[str, int] = {}
    for key, _text, _label, theme in drivers:
        if rng.random() < 0.08:
            continue
        shift = (-1.8 if classify(score) is Category.DETRACTOR else 0.8) if theme == main_theme else 0.0
        answers[key] = max(0, min(10, round(score + shift + rng.gauss(0.0, 1.2))))
    return answers
