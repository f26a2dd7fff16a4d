"""NPS statistics against values computed by hand and published examples (DESIGN.md §4)."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from harken.analytics import nps
from harken.analytics.nps import Category, Counts

counts_strategy = st.builds(Counts, st.integers(0, 5000), st.integers(0, 5000), st.integers(0, 5000)).filter(
    lambda counts: counts.n > 0
)


@pytest.mark.parametrize(
    ("score", "category"),
    [
        (0, Category.DETRACTOR),
        (6, Category.DETRACTOR),
        (7, Category.PASSIVE),
        (8, Category.PASSIVE),
        (9, Category.PROMOTER),
        (10, Category.PROMOTER),
    ],
)
def test_it_classifies_scores_at_the_bucket_edges(score: int, category: Category) -> None:
    assert nps.classify(score) == category


@pytest.mark.parametrize("score", [-1, 11, 6.5, "9", None, True])
def test_it_refuses_scores_outside_whole_numbers_0_to_10(score: object) -> None:
    with pytest.raises(ValueError, match="whole number from 0 to 10"):
        nps.classify(score)  # type: ignore[arg-type]


def test_it_refuses_negative_counts() -> None:
    with pytest.raises(ValueError, match="detractors must be a whole number"):
        Counts(-1, 0, 0)


def test_no_answers_is_none_not_zero() -> None:
    empty = Counts(0, 0, 0)
    assert nps.nps(empty) is None
    assert nps.variance(empty) is None
    assert nps.standard_error(empty) is None
    assert nps.margin_of_error(empty) is None
    assert nps.wald_interval(empty) is None
    assert nps.adjusted_wald_interval(empty) is None
    assert nps.compare(empty, Counts(1, 1, 1)) is None
    summary = nps.summarize(empty)
    assert (summary.nps, summary.interval, summary.n) == (None, None, 0)


def test_one_two_three_example() -> None:
    # d=1, a=2, r=3: P = 1/2, D = 1/6, NPS = 1/3 → 33.33 points;
    # σ² = P + D − (P − D)² = 2/3 − 1/9 = 5/9; SE = √(5/9 / 6) = 0.3043 on the −1…1 scale.
    counts = Counts(detractors=1, passives=2, promoters=3)
    assert nps.nps(counts) == pytest.approx(33.3333, abs=1e-4)
    assert nps.variance(counts) == pytest.approx(5 / 9, abs=1e-12)
    assert nps.standard_error(counts) == pytest.approx(30.43, abs=5e-3)


def test_wald_interval_of_twenty_thirty_fifty() -> None:
    # NPS = 0.30, σ² = 0.70 − 0.09 = 0.61, SE = √(0.61/100) = 0.078102; z = 1.959964;
    # 0.30 ± 0.153078 → [0.1469, 0.4531] on the −1…1 scale.
    interval = nps.wald_interval(Counts(20, 30, 50))
    assert interval is not None
    assert interval.low == pytest.approx(14.69, abs=5e-3)
    assert interval.high == pytest.approx(45.31, abs=5e-3)
    assert nps.margin_of_error(Counts(20, 30, 50)) == pytest.approx(15.3078, abs=1e-4)


def test_wald_interval_narrows_at_other_confidence_levels() -> None:
    # z(0.90) = 1.644854; 0.30 ± 1.644854 · 0.078102 = 0.30 ± 0.128467.
    interval = nps.wald_interval(Counts(20, 30, 50), confidence=0.90)
    assert interval is not None
    assert (interval.low, interval.high) == (pytest.approx(17.1533, abs=1e-3), pytest.approx(42.8467, abs=1e-3))


def test_adjusted_wald_interval_of_one_two_three() -> None:
    # n' = 9, P' = 3.75/9 = 0.416667, D' = 1.75/9 = 0.194444, NPS' = 0.222222,
    # σ'² = 0.611111 − 0.049383 = 0.561728, SE' = √(0.561728/9) = 0.249829, half = 1.959964 · SE' = 0.489655
    # → [−0.267433, 0.711877].
    interval = nps.adjusted_wald_interval(Counts(1, 2, 3))
    assert interval is not None
    assert interval.low == pytest.approx(-26.7433, abs=1e-3)
    assert interval.high == pytest.approx(71.1877, abs=1e-3)


def test_adjusted_wald_keeps_a_width_at_all_promoters() -> None:
    # Ten promoters: the Wald interval is [100, 100]; adjusted: n' = 13, P' = 10.75/13, D' = 0.75/13,
    # NPS' = 0.769231, σ'² = 0.884615 − 0.591716 = 0.292899, half = 1.959964 · √(0.292899/13) = 0.294196
    # → [0.475035, 1.063427], clipped to 100.
    counts = Counts(0, 0, 10)
    wald = nps.wald_interval(counts)
    assert wald is not None and (wald.low, wald.high) == (100.0, 100.0)
    adjusted = nps.adjusted_wald_interval(counts)
    assert adjusted is not None
    assert adjusted.low == pytest.approx(47.5036, abs=1e-3)
    assert adjusted.high == 100.0


def test_difference_test_keeps_sign_and_matches_published_p_value() -> None:
    # (71, 317, 501) → NPS 48.369, SE 2.1462; (7, 33, 84) → NPS 62.097, SE 5.2996.
    # Δ = 13.7278, SE(Δ) = √(2.1462² + 5.2996²) = 5.7177, z = 2.4009, p = 0.0164.
    result = nps.compare(Counts(71, 317, 501), Counts(7, 33, 84))
    assert result is not None
    assert result.difference == pytest.approx(13.7278, abs=1e-3)
    assert result.standard_error == pytest.approx(5.7177, abs=1e-3)
    assert result.z == pytest.approx(2.4009, abs=1e-3)
    assert result.p_value == pytest.approx(0.0164, abs=1e-4)
    assert result.significant and result.direction == "up"
    reverse = nps.compare(Counts(7, 33, 84), Counts(71, 317, 501))
    assert reverse is not None
    assert reverse.difference == pytest.approx(-13.7278, abs=1e-3)
    assert reverse.direction == "down" and reverse.p_value == pytest.approx(result.p_value)


def test_a_small_change_is_not_significant() -> None:
    # 30 vs 33 on n = 100 each: SE(Δ) ≈ 11.0, p ≈ 0.79.
    result = nps.compare(Counts(20, 30, 50), Counts(19, 29, 52))
    assert result is not None and not result.significant and result.direction == "up"


def test_difference_between_unanimous_groups() -> None:
    same = nps.compare(Counts(0, 0, 5), Counts(0, 0, 9))
    assert same is not None and same.p_value == 1.0 and not same.significant
    opposite = nps.compare(Counts(5, 0, 0), Counts(0, 0, 5))
    assert opposite is not None and opposite.p_value == 0.0 and opposite.significant


def test_shrinkage_pulls_symmetric_groups_toward_the_pooled_mean() -> None:
    # A = (0, 50, 50) → +50, B = (50, 50, 0) → −50, μ = 0.  Adjusted: n' = 103, P' = 50.75/103,
    # D' = 0.75/103, σ'² = 0.264351, s² = 10⁴ · 0.264351 / 103 = 25.6651 for both.
    # τ² = (50² + 50²)/2 − 25.6651 = 2474.3349; w = τ²/(τ² + s²) = 0.989734; shrunk = ±49.4867.
    a, b = nps.shrink([Counts(0, 50, 50), Counts(50, 50, 0)])
    assert a.raw == 50.0 and a.shrunk == pytest.approx(49.4867, abs=1e-3)
    assert a.weight == pytest.approx(0.989734, abs=1e-6)
    assert b.shrunk == pytest.approx(-49.4867, abs=1e-3)


def test_shrinkage_moves_small_units_most_and_gives_empty_units_the_mean() -> None:
    big, tiny, empty = nps.shrink([Counts(10, 20, 70), Counts(0, 0, 2), Counts(0, 0, 0)])
    # μ = (72 − 10)/102 = 60.7843: the two-response unit at +100 is pulled most of the way there.
    assert tiny.raw == 100.0 and tiny.weight < 0.2 and 60.78 < tiny.shrunk < 70
    assert big.weight > 0.8 and abs(big.shrunk - 60) < 1
    assert empty.raw is None and empty.shrunk == pytest.approx(60.7843, abs=1e-4)


def test_shrinkage_of_identical_groups_is_the_mean() -> None:
    results = nps.shrink([Counts(1, 1, 1), Counts(2, 2, 2)])
    assert [result.shrunk for result in results] == [0.0, 0.0]


def test_shrinkage_without_any_answers_is_none() -> None:
    assert [result.shrunk for result in nps.shrink([Counts(0, 0, 0)])] == [None]


@given(counts_strategy)
def test_nps_and_intervals_stay_within_bounds(counts: Counts) -> None:
    value = nps.nps(counts)
    assert value is not None and -100 <= value <= 100
    for interval in (nps.wald_interval(counts), nps.adjusted_wald_interval(counts)):
        assert interval is not None
        assert -100 <= interval.low <= interval.high <= 100
    wald = nps.wald_interval(counts)
    assert wald is not None and wald.low <= value <= wald.high
    variance = nps.variance(counts)
    assert variance is not None and 0 <= variance <= 1 + 1e-12


@given(counts_strategy)
def test_swapping_promoters_and_detractors_mirrors_everything(counts: Counts) -> None:
    mirrored = Counts(counts.promoters, counts.passives, counts.detractors)
    assert nps.nps(mirrored) == pytest.approx(-nps.nps(counts))  # type: ignore[operator]
    assert nps.standard_error(mirrored) == pytest.approx(nps.standard_error(counts))
    interval, mirror = nps.adjusted_wald_interval(counts), nps.adjusted_wald_interval(mirrored)
    assert interval is not None and mirror is not None
    assert mirror.low == pytest.approx(-interval.high) and mirror.high == pytest.approx(-interval.low)


@given(counts_strategy)
def test_one_more_promoter_never_lowers_nps(counts: Counts) -> None:
    more = Counts(counts.detractors, counts.passives, counts.promoters + 1)
    assert nps.nps(more) >= nps.nps(counts)  # type: ignore[operator]
    fewer = Counts(counts.detractors + 1, counts.passives, counts.promoters)
    assert nps.nps(fewer) <= nps.nps(counts)  # type: ignore[operator]


@given(counts_strategy, counts_strategy)
def test_comparison_is_antisymmetric(before: Counts, after: Counts) -> None:
    forward, backward = nps.compare(before, after), nps.compare(after, before)
    assert forward is not None and backward is not None
    assert forward.difference == pytest.approx(-backward.difference)
    assert forward.p_value == pytest.approx(backward.p_value)
    assert 0 <= forward.p_value <= 1


def test_counts_from_scores() -> None:
    assert Counts.from_scores([0, 6, 7, 8, 9, 10, 10]) == Counts(detractors=2, passives=2, promoters=3)
    assert Counts(1, 2, 3) + Counts(4, 5, 6) == Counts(5, 7, 9)


def test_z_value_refuses_impossible_confidence() -> None:
    assert nps.z_value(0.95) == pytest.approx(1.959964, abs=1e-6)
    with pytest.raises(ValueError, match="between 0 and 1"):
        nps.z_value(95)
    assert math.isfinite(nps.z_value(0.999))


def test_the_two_proportion_test_matches_the_hand_computation() -> None:
    test = nps.compare_shares(4, 40, 10, 20)
    assert test is not None
    assert (round(test.z, 3), round(test.p_value, 5), test.significant) == (3.453, 0.00055, True)
    assert nps.compare_shares(0, 10, 0, 10).p_value == 1.0  # no variation: no evidence
    assert nps.compare_shares(1, 0, 1, 10) is None
