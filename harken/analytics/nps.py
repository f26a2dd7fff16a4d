"""NPS statistics: pure functions over counts, with the formula in each docstring (DESIGN.md §4).

Notation: a group has ``d`` detractors (scores 0–6), ``a`` passives (7–8) and ``r`` promoters (9–10);
``n = d + a + r``; the shares are ``P = r/n`` and ``D = d/n``.  Each response is worth +1 (promoter),
0 (passive) or −1 (detractor), so NPS is the mean of those values: ``NPS = P − D`` on the −1…1 scale,
reported in points on the −100…100 scale.

Nothing here touches the web or the database.  When there are no answers, results are ``None`` —
never 0 and never NaN — so "no data" cannot be mistaken for a neutral score.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from scipy.stats import norm

POINTS = 100.0  # NPS points per unit of the −1…1 scale
DETRACTOR_MAX = 6
PASSIVE_MAX = 8


class Category(StrEnum):
    """The three NPS categories."""

    DETRACTOR = "detractor"
    PASSIVE = "passive"
    PROMOTER = "promoter"


def classify(score: int) -> Category:
    """Detractor for 0–6, passive for 7–8, promoter for 9–10; anything else is an error.

    Only whole numbers are accepted: a 6.5 belongs to no category, so it must never reach this point.
    """
    if isinstance(score, bool) or not isinstance(score, int) or not 0 <= score <= 10:
        raise ValueError(f"An NPS score is a whole number from 0 to 10, got {score!r}")
    if score <= DETRACTOR_MAX:
        return Category.DETRACTOR
    if score <= PASSIVE_MAX:
        return Category.PASSIVE
    return Category.PROMOTER


@dataclass(frozen=True)
class Counts:
    """Numbers of detractors, passives and promoters in one group."""

    detractors: int
    passives: int
    promoters: int

    def __post_init__(self) -> None:
        for name in ("detractors", "passives", "promoters"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"{name} must be a whole number ≥ 0, got {value!r}")

    @classmethod
    def from_scores(cls, scores: Sequence[int]) -> Counts:
        """Count a list of 0–10 scores (for tests and small in-memory uses only)."""
        categories = [classify(score) for score in scores]
        return cls(
            detractors=categories.count(Category.DETRACTOR),
            passives=categories.count(Category.PASSIVE),
            promoters=categories.count(Category.PROMOTER),
        )

    @property
    def n(self) -> int:
        """Number of answered scores."""
        return self.detractors + self.passives + self.promoters

    def __add__(self, other: Counts) -> Counts:
        return Counts(
            self.detractors + other.detractors, self.passives + other.passives, self.promoters + other.promoters
        )


@dataclass(frozen=True)
class Interval:
    """A confidence interval in NPS points."""

    low: float
    high: float


@dataclass(frozen=True)
class Summary:
    """Everything a page shows about one group: n, shares, NPS, standard error and interval."""

    counts: Counts
    nps: float | None
    standard_error: float | None
    margin_of_error: float | None
    interval: Interval | None
    confidence: float

    @property
    def n(self) -> int:
        return self.counts.n


@functools.lru_cache(maxsize=64)
def z_value(confidence: float) -> float:
    """The two-sided normal quantile for a confidence level: 1.959964 for 0.95."""
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1, got {confidence!r}")
    return float(norm.ppf(0.5 + confidence / 2))


def shares(counts: Counts) -> tuple[float, float, float] | None:
    """(detractor, passive, promoter) shares of n, or None when n = 0."""
    if counts.n == 0:
        return None
    return counts.detractors / counts.n, counts.passives / counts.n, counts.promoters / counts.n


def nps(counts: Counts) -> float | None:
    """NPS = 100 · (r − d) / n, in points from −100 to 100; None when n = 0."""
    if counts.n == 0:
        return None
    return POINTS * (counts.promoters - counts.detractors) / counts.n


def variance(counts: Counts) -> float | None:
    """Per-response variance on the −1…1 scale: σ² = P + D − (P − D)².

    Each response is +1, 0 or −1, so E[x²] = P + D and E[x]² = (P − D)².  None when n = 0.
    """
    if counts.n == 0:
        return None
    p = counts.promoters / counts.n
    d = counts.detractors / counts.n
    return p + d - (p - d) ** 2


def standard_error(counts: Counts) -> float | None:
    """Standard error of NPS in points: SE = 100 · √(σ² / n); None when n = 0."""
    var = variance(counts)
    if var is None:
        return None
    return POINTS * math.sqrt(var / counts.n)


def margin_of_error(counts: Counts, confidence: float = 0.95) -> float | None:
    """Half-width of the Wald interval in points: z · SE; None when n = 0."""
    se = standard_error(counts)
    if se is None:
        return None
    return z_value(confidence) * se


def wald_interval(counts: Counts, confidence: float = 0.95) -> Interval | None:
    """Wald interval NPS ± z · SE, clipped to [−100, 100]; None when n = 0.

    Too narrow at small n and degenerate (zero width) when every answer is in one category; prefer
    ``adjusted_wald_interval`` for display.
    """
    value, moe = nps(counts), margin_of_error(counts, confidence)
    if value is None or moe is None:
        return None
    return Interval(max(-POINTS, value - moe), min(POINTS, value + moe))


def adjusted_wald_interval(counts: Counts, confidence: float = 0.95) -> Interval | None:
    """Adjusted-Wald interval: add 3 pseudo-responses (¾ promoter, 1½ passive, ¾ detractor), then Wald.

    With n' = n + 3, P' = (r + ¾)/n', D' = (d + ¾)/n', NPS' = P' − D' and σ'² = P' + D' − (P' − D')²,
    the interval is 100 · (NPS' ± z · √(σ'²/n')), clipped to [−100, 100].  It keeps a sensible width at
    small n and at 100 % promoters (Sauro & Lewis's adjustment for NPS).  None when n = 0.
    """
    if counts.n == 0:
        return None
    n_adj = counts.n + 3
    p = (counts.promoters + 0.75) / n_adj
    d = (counts.detractors + 0.75) / n_adj
    centre = p - d
    half = z_value(confidence) * math.sqrt((p + d - centre**2) / n_adj)
    return Interval(max(-POINTS, POINTS * (centre - half)), min(POINTS, POINTS * (centre + half)))


def summarize(counts: Counts, confidence: float = 0.95) -> Summary:
    """NPS, SE, margin of error and the adjusted-Wald interval for one group."""
    return Summary(
        counts=counts,
        nps=nps(counts),
        standard_error=standard_error(counts),
        margin_of_error=margin_of_error(counts, confidence),
        interval=adjusted_wald_interval(counts, confidence),
        confidence=confidence,
    )


@dataclass(frozen=True)
class Comparison:
    """A two-sample z-test of NPS(after) − NPS(before)."""

    before: float
    after: float
    difference: float
    standard_error: float
    z: float
    p_value: float
    significant: bool
    level: float

    @property
    def direction(self) -> str:
        """ "up", "down" or "flat" — the sign of the difference, whatever its significance."""
        if self.difference > 0:
            return "up"
        if self.difference < 0:
            return "down"
        return "flat"


def compare(before: Counts, after: Counts, level: float = 0.05) -> Comparison | None:
    """Two-sample z-test on the difference of two independent NPS values, keeping its sign.

    Δ = NPS₂ − NPS₁, SE(Δ) = √(SE₁² + SE₂²), z = Δ / SE(Δ), two-sided p = 2 · (1 − Φ(|z|)).
    Significant when p < ``level``.  None when either group is empty.  When both standard errors are
    0 (every answer in one category in both groups), a zero difference has p = 1 and any other has p = 0.
    """
    nps_before, nps_after = nps(before), nps(after)
    se_before, se_after = standard_error(before), standard_error(after)
    if nps_before is None or nps_after is None or se_before is None or se_after is None:
        return None
    difference = nps_after - nps_before
    se = math.sqrt(se_before**2 + se_after**2)
    if se == 0:
        z = 0.0 if difference == 0 else math.copysign(math.inf, difference)
    else:
        z = difference / se
    p_value = float(2 * norm.sf(abs(z)))
    return Comparison(
        before=nps_before,
        after=nps_after,
        difference=difference,
        standard_error=se,
        z=z,
        p_value=p_value,
        significant=p_value < level,
        level=level,
    )


@dataclass(frozen=True)
class ShareComparison:
    """A two-sided pooled two-proportion z-test of p₂ − p₁ (after minus before), e.g. a theme's share of
    comments or a response rate."""

    before: float
    after: float
    difference: float
    z: float
    p_value: float
    significant: bool


def compare_shares(x1: int, n1: int, x2: int, n2: int, level: float = 0.05) -> ShareComparison | None:
    """p₁ = x₁/n₁, p₂ = x₂/n₂, pooled p̂ = (x₁ + x₂)/(n₁ + n₂), SE = √(p̂(1 − p̂)(1/n₁ + 1/n₂)),
    z = (p₂ − p₁)/SE, two-sided p = 2 · (1 − Φ(|z|)); significant when p < ``level``.

    None when either group is empty.  SE = 0 only when both shares are 0 or both 1: no difference, p = 1.
    """
    if n1 <= 0 or n2 <= 0:
        return None
    if not (0 <= x1 <= n1 and 0 <= x2 <= n2):
        raise ValueError("successes must lie between 0 and the group size")
    p1, p2 = x1 / n1, x2 / n2
    pooled = (x1 + x2) / (n1 + n2)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    z = 0.0 if se == 0 else (p2 - p1) / se
    p_value = float(2 * norm.sf(abs(z)))
    return ShareComparison(p1, p2, p2 - p1, z, p_value, p_value < level)


@dataclass(frozen=True)
class Shrunk:
    """A group's NPS pulled toward the overall mean by empirical Bayes."""

    raw: float | None
    shrunk: float | None
    weight: float  # how much of the raw value is kept, 0…1


def shrink(groups: Sequence[Counts]) -> list[Shrunk]:
    """Empirical-Bayes (normal–normal) shrinkage of each group's NPS toward the pooled NPS.

    Each group i has an estimate xᵢ (NPS points) with sampling variance sᵢ² = SEᵢ², where SEᵢ uses the
    adjusted counts (+¾ promoter, +1½ passive, +¾ detractor) so that a group of all promoters still has
    a positive variance.  The pooled mean μ is the NPS of all groups together.  The between-group
    variance is the method-of-moments estimate τ² = max(0, mean((xᵢ − μ)²) − mean(sᵢ²)).  Then
    wᵢ = τ² / (τ² + sᵢ²) and the shrunk value is wᵢ · xᵢ + (1 − wᵢ) · μ.  Small groups (large sᵢ²) move
    most.  A group with n = 0 gets μ with weight 0.  When no group has answers, every value is None.
    """
    total = sum(groups, Counts(0, 0, 0))
    mu = nps(total)
    if mu is None:
        return [Shrunk(raw=None, shrunk=None, weight=0.0) for _ in groups]
    estimates: list[tuple[float, float]] = []
    for counts in groups:
        value = nps(counts)
        if value is not None:
            adjusted = _adjusted_variance(counts)
            estimates.append((value, POINTS**2 * adjusted / (counts.n + 3)))
    spread = sum((x - mu) ** 2 for x, _ in estimates) / len(estimates)
    noise = sum(s2 for _, s2 in estimates) / len(estimates)
    tau2 = max(0.0, spread - noise)
    result = []
    for counts in groups:
        value = nps(counts)
        if value is None:
            result.append(Shrunk(raw=None, shrunk=mu, weight=0.0))
            continue
        s2 = POINTS**2 * _adjusted_variance(counts) / (counts.n + 3)
        weight = tau2 / (tau2 + s2) if tau2 + s2 > 0 else 0.0
        result.append(Shrunk(raw=value, shrunk=weight * value + (1 - weight) * mu, weight=weight))
    return result


def _adjusted_variance(counts: Counts) -> float:
    n_adj = counts.n + 3
    p = (counts.promoters + 0.75) / n_adj
    d = (counts.detractors + 0.75) / n_adj
    return p + d - (p - d) ** 2
