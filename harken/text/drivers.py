"""Key driver analysis: how much each driver rating explains the likelihood-to-recommend score.

Importance is the Shapley decomposition of R² (also known as dominance analysis / LMG): with p drivers and
R²(S) the R² of the OLS regression of the 0–10 score on the drivers in S (with an intercept),

    φ_j = Σ_{S ⊆ others} |S|! (p − |S| − 1)! / p! · (R²(S ∪ {j}) − R²(S)),

so the φ_j are ≥ 0 for uncorrelated drivers and always add up to the full model's R²; each driver's share is
φ_j / R².  With uncorrelated drivers φ_j is simply r_jy².  A driver is *significant* when its coefficient in
the full model differs from 0 by the two-sided t-test (df = n − p − 1) at ``level``.  Performance is the
driver's mean rating on a 0–100 scale.  Exact: 2^p regressions, so at most ``MAX_DRIVERS`` drivers.

Regression needs each response's ratings together, so the complete cases are read into memory (like
discovery); nothing here counts NPS.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import combinations
from typing import Any

import numpy as np
from scipy import stats

from harken.analytics import queries
from harken.analytics.queries import Filters, User
from harken.surveys.models import Question, Survey

MAX_DRIVERS = 12
SCALES = {Question.Kind.RATING_0_10: (0, 10), Question.Kind.RATING_1_5: (1, 5)}


@dataclass(frozen=True)
class Driver:
    """One driver's importance (Shapley R² part), share of R², coefficient and its test, and performance."""

    key: str
    label: str
    importance: float
    share: float | None
    coefficient: float
    p_value: float | None
    significant: bool
    performance: float


FIX_FIRST = "Fix first"
KEEP_UP = "Keep it up"
MAINTAIN = "Maintain"
LOWER_PRIORITY = "Lower priority"
NOT_SIGNIFICANT = "No clear effect"


@dataclass(frozen=True)
class DriverAnalysis:
    """Drivers by importance, most important first, with the full model's R² and n.

    The importance × performance reading cuts both axes at the drivers' averages: importance at the share
    every driver would have if all mattered equally (1 / p of R²), performance at the mean of the drivers'
    performances.  Important and below average: *fix first*; important and above: *keep it up*; less
    important and above: *maintain* (do not over-invest); less important and below: *lower priority*.  A
    driver whose coefficient is not significant gets no quadrant: the data do not show that it moves scores.
    """

    drivers: tuple[Driver, ...]
    r_squared: float
    n: int

    @property
    def importance_line(self) -> float:
        """The share of R² each driver would have if all mattered equally."""
        return 1 / len(self.drivers) if self.drivers else 0.0

    @property
    def performance_line(self) -> float:
        """The drivers' average performance (0–100)."""
        return sum(d.performance for d in self.drivers) / len(self.drivers) if self.drivers else 0.0

    def quadrant(self, driver: Driver) -> str:
        """Where ``driver`` falls on the importance × performance chart, in words (see the class docstring)."""
        if not driver.significant:
            return NOT_SIGNIFICANT
        important = (driver.share or 0.0) >= self.importance_line
        performing = driver.performance >= self.performance_line
        if important:
            return KEEP_UP if performing else FIX_FIRST
        return MAINTAIN if performing else LOWER_PRIORITY

    def fix_first(self) -> list[Driver]:
        """Significant drivers that matter more than average and perform below average, most important first."""
        return [driver for driver in self.drivers if self.quadrant(driver) == FIX_FIRST]

    def chart(self) -> dict[str, Any]:
        """The data of the importance × performance chart (percentages), for the page's JSON block."""
        return {
            "points": [
                {
                    "label": driver.label,
                    "importance": round(100 * (driver.share or 0.0), 2),
                    "performance": round(driver.performance, 2),
                    "significant": driver.significant,
                    "quadrant": self.quadrant(driver),
                }
                for driver in self.drivers
            ],
            "importance_line": round(100 * self.importance_line, 2),
            "performance_line": round(self.performance_line, 2),
            "r_squared": round(self.r_squared, 4),
            "n": self.n,
        }


def r_squared(x: np.ndarray, y: np.ndarray) -> float:
    """R² = 1 − SSE / SST of the OLS fit of ``y`` on the columns of ``x`` plus an intercept (0 without columns)."""
    sst = float(((y - y.mean()) ** 2).sum())
    if x.shape[1] == 0 or sst == 0:
        return 0.0
    design = np.column_stack([np.ones(len(y)), x])
    coef, *_ = np.linalg.lstsq(design, y, rcond=None)
    sse = float(((y - design @ coef) ** 2).sum())
    return max(0.0, 1 - sse / sst)


def shapley(x: np.ndarray, y: np.ndarray) -> list[float]:
    """Each column's Shapley share of R² (see the module docstring)."""
    p = x.shape[1]
    if p > MAX_DRIVERS:
        raise ValueError(f"At most {MAX_DRIVERS} drivers can be decomposed exactly, got {p}.")
    cache: dict[tuple[int, ...], float] = {}

    def r2(columns: tuple[int, ...]) -> float:
        if columns not in cache:
            cache[columns] = r_squared(x[:, list(columns)], y)
        return cache[columns]

    values = []
    for j in range(p):
        others = [k for k in range(p) if k != j]
        total = 0.0
        for size in range(p):
            weight = math.factorial(size) * math.factorial(p - size - 1) / math.factorial(p)
            for subset in combinations(others, size):
                total += weight * (r2(tuple(sorted((*subset, j)))) - r2(subset))
        values.append(total)
    return values


def coefficient_tests(x: np.ndarray, y: np.ndarray) -> tuple[list[float], list[float | None]]:
    """OLS coefficients of the full model and their two-sided t-test p-values (None when df ≤ 0)."""
    n, p = x.shape
    design = np.column_stack([np.ones(n), x])
    coef, *_ = np.linalg.lstsq(design, y, rcond=None)
    df = n - p - 1
    if df <= 0:
        return [float(c) for c in coef[1:]], [None] * p
    sigma2 = float(((y - design @ coef) ** 2).sum()) / df
    covariance = sigma2 * np.linalg.pinv(design.T @ design)
    p_values: list[float | None] = []
    for j in range(1, p + 1):
        se = math.sqrt(max(float(covariance[j, j]), 0.0))
        if se == 0:
            p_values.append(0.0 if coef[j] != 0 else 1.0)
        else:
            p_values.append(float(2 * stats.t.sf(abs(coef[j] / se), df)))
    return [float(c) for c in coef[1:]], p_values


def analyse(
    x: np.ndarray, y: np.ndarray, keys: list[str], labels: list[str], scales: list[tuple[int, int]], level: float = 0.05
) -> DriverAnalysis:
    """Importance, tests and performance of each column of ``x`` as a driver of ``y`` (pure)."""
    n = len(y)
    full = r_squared(x, y)
    parts = shapley(x, y)
    coefs, p_values = coefficient_tests(x, y)
    drivers = []
    for j, key in enumerate(keys):
        low, high = scales[j]
        p_value = p_values[j]
        drivers.append(
            Driver(
                key=key,
                label=labels[j],
                importance=parts[j],
                share=parts[j] / full if full else None,
                coefficient=coefs[j],
                p_value=p_value,
                significant=p_value is not None and p_value < level,
                performance=100 * (float(x[:, j].mean()) - low) / (high - low),
            )
        )
    drivers.sort(key=lambda driver: -driver.importance)
    return DriverAnalysis(drivers=tuple(drivers), r_squared=full, n=n)


def driver_questions(survey: Survey) -> list[Question]:
    """The survey's active rating questions asked of everyone that name a driver."""
    return list(
        survey.questions.filter(is_active=True, kind__in=list(SCALES), audience=Question.Audience.EVERYONE).exclude(
            driver=""
        )
    )


def key_drivers(survey: Survey, filters: Filters, user: User = None) -> DriverAnalysis | None:
    """Key drivers of the survey's NPS question for the selection; None without drivers or enough answers."""
    questions = driver_questions(survey)[:MAX_DRIVERS]
    if not questions:
        return None
    keys = [question.key for question in questions]
    rows: list[list[Any]] = []
    scores: list[int] = []
    for score, answers in queries.responses(filters, user).filter(survey=survey).values_list("score", "answers"):
        values = [(answers or {}).get(key) for key in keys]
        if score is not None and all(isinstance(v, int) and not isinstance(v, bool) for v in values):
            rows.append(values)
            scores.append(score)
    if len(scores) < len(keys) + 2:
        return None
    return analyse(
        np.asarray(rows, dtype=float),
        np.asarray(scores, dtype=float),
        keys,
        [question.driver for question in questions],
        [SCALES[Question.Kind(question.kind)] for question in questions],
    )
