"""Key driver analysis against regression results known in closed form."""

from __future__ import annotations

import math

import numpy as np
import pytest

from harken.analytics.queries import Filters
from harken.collect.models import Response
from harken.surveys.models import Question
from harken.text.drivers import Driver, DriverAnalysis, analyse, coefficient_tests, key_drivers, r_squared, shapley
from tests.conftest import Org

# Orthogonal, centred drivers: y = 2·x1 + x2 + e with e orthogonal to both and to the intercept.
X1 = [1.0, -1.0, 1.0, -1.0]
X2 = [1.0, 1.0, -1.0, -1.0]
E = [1.0, -1.0, -1.0, 1.0]
Y = [2 * a + b + e for a, b, e in zip(X1, X2, E, strict=True)]  # [4, -2, 0, -2]: SST = 24 (16 + 4 + 4)


def test_with_uncorrelated_drivers_each_gets_its_own_r_squared() -> None:
    x, y = np.column_stack([X1, X2]), np.asarray(Y)
    assert r_squared(x, y) == pytest.approx(20 / 24)
    assert shapley(x, y) == [pytest.approx(16 / 24), pytest.approx(4 / 24)]


def test_coefficients_and_their_t_tests_match_the_textbook() -> None:
    # σ² = SSE / (n − p − 1) = 4 / 1; Var(b1) = σ² / Σx1² = 1, so t = 2 with 1 df: p = 1 − 2·atan(2)/π.
    coefficients, p_values = coefficient_tests(np.column_stack([X1, X2]), np.asarray(Y))
    assert coefficients == [pytest.approx(2.0), pytest.approx(1.0)]
    assert p_values[0] == pytest.approx(1 - 2 * math.atan(2) / math.pi)
    assert p_values[1] == pytest.approx(1 - 2 * math.atan(1) / math.pi)  # t = 1: p = 0.5


def test_with_correlated_drivers_shapley_splits_the_shared_part() -> None:
    rng = np.random.default_rng(1)
    a = rng.normal(size=200)
    b = 0.6 * a + 0.8 * rng.normal(size=200)
    y = a + 0.5 * b + rng.normal(size=200)
    r = np.corrcoef([a, b, y])
    r1, r2, r12 = r[0, 2], r[1, 2], r[0, 1]
    full = (r1**2 + r2**2 - 2 * r1 * r2 * r12) / (1 - r12**2)  # two-predictor R² from correlations
    phi1 = 0.5 * (r1**2 + (full - r2**2))
    phi2 = 0.5 * (r2**2 + (full - r1**2))
    assert shapley(np.column_stack([a, b]), y) == [pytest.approx(phi1), pytest.approx(phi2)]
    assert phi1 + phi2 == pytest.approx(full)


def test_an_analysis_ranks_drivers_marks_significance_and_gives_performance() -> None:
    found = analyse(np.column_stack([X1, X2]) + 3, np.asarray(Y), ["staff", "price"], ["Staff", "Price"], [(1, 5)] * 2)
    assert found.n == 4 and found.r_squared == pytest.approx(20 / 24)
    staff, price = found.drivers
    assert (staff.key, staff.share, staff.significant) == ("staff", pytest.approx(0.8), False)
    assert staff.performance == pytest.approx(50.0)  # mean 3 on 1–5
    assert price.importance == pytest.approx(4 / 24)


def test_key_drivers_read_the_surveys_driver_ratings(org: Org) -> None:
    Question.objects.create(survey=org.survey, key="staff", kind="rating_1_5", text="Staff?", driver="Staff")
    Question.objects.create(survey=org.survey, key="price", kind="rating_1_5", text="Price?", driver="Price")
    Question.objects.create(survey=org.survey, key="note", kind="text", text="Anything else?")
    assert key_drivers(org.survey, Filters(unit=org.north_1)) is None  # no ratings yet
    for i, response in enumerate(Response.objects.filter(unit=org.north_1).order_by("pk")):
        assert response.score is not None
        staff = 1 + response.score * 4 // 10
        Response.objects.filter(pk=response.pk).update(answers={"staff": staff, "price": 1 + i % 5})
    found = key_drivers(org.survey, Filters(unit=org.north_1))
    assert found is not None and found.n == 10
    assert [driver.key for driver in found.drivers] == ["staff", "price"]
    assert found.drivers[0].significant and found.r_squared > 0.8


def driver(key: str, share: float, performance: float, significant: bool = True) -> Driver:
    return Driver(key, key.title(), share * 0.5, share, 1.0, 0.01 if significant else 0.4, significant, performance)


def test_the_chart_reads_importance_against_performance() -> None:
    # R² = 0.5; equal share = 1/4 = 25 %; average performance = (40 + 80 + 70 + 50) / 4 = 60.
    found = DriverAnalysis(
        drivers=(
            driver("wait", 0.4, 40.0),
            driver("staff", 0.3, 80.0),
            driver("range", 0.2, 70.0),
            driver("price", 0.1, 50.0, significant=False),
        ),
        r_squared=0.5,
        n=120,
    )
    assert (found.importance_line, found.performance_line) == (0.25, 60.0)
    assert [found.quadrant(d) for d in found.drivers] == ["Fix first", "Keep it up", "Maintain", "No clear effect"]
    assert [d.key for d in found.fix_first()] == ["wait"]
    chart = found.chart()
    assert chart["points"][0] == {
        "label": "Wait",
        "importance": 40.0,
        "performance": 40.0,
        "significant": True,
        "quadrant": "Fix first",
    }
    assert (chart["importance_line"], chart["performance_line"], chart["r_squared"], chart["n"]) == (
        25.0,
        60.0,
        0.5,
        120,
    )
    # Important but worse than average, without a significant effect: no quadrant, so nothing to fix first.
    weak = DriverAnalysis(
        drivers=(driver("wait", 0.6, 40.0, significant=False), driver("staff", 0.4, 80.0)), r_squared=0.3, n=50
    )
    assert weak.fix_first() == [] and weak.quadrant(weak.drivers[1]) == "Maintain"  # 40 % < the 50 % equal share
