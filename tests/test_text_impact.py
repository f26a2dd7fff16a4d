"""Theme impact on NPS, checked against figures computed by hand from the ``org`` fixture.

North 1 (last 12 months): Purchase [10, 10, 9, 8, 4], Delivery [9, 7, 6, 2], Support [10] → (P, A, D) =
(5, 2, 3), n = 10, NPS +20.  Comments: the Delivery 6 and 2, the Purchase 4 and one Purchase 10 mention
waiting (children "Queues" and "Slow service" of "Waiting"); the Delivery 9 and Support 10 praise staff.

Waiting: M = (P 1, A 0, D 3), m = 4 → NPS(M) = 100 · (1 − 3)/4 = −50.  K = (4, 2, 0), k = 6 → NPS(K) = +66.667.
impact = 20 − 66.667 = −46.667 = (4/10) · (−50 − 66.667).  SE(M) = 100·√((0.25 + 0.75 − 0.25)/4) = 43.301;
SE(K) = 100·√((4/6 − (4/6)²)/6) = 19.245; SE(impact) = 0.4 · √(43.301² + 19.245²) = 18.954;
95 % interval = −46.667 ± 1.959964 · 18.954 = [−83.816, −9.517].  Share = 4 of 6 commented = 0.6667.
"""

from __future__ import annotations

import pytest

from harken.analytics.nps import Counts
from harken.analytics.queries import Filters, QueryError
from harken.text.impact import ThemeGroup, drivers, impact, theme_by, themes
from harken.text.models import Theme
from harken.text.tagging import do_analyse_pending, do_save_theme
from tests.conftest import Org
from tests.test_text_tagging import comment_on


@pytest.fixture
def tagged(org: Org) -> dict[str, Theme]:
    found: dict[str, Theme] = {}
    for name, parent, rules in [
        ("Waiting", None, {}),
        ("Queues", "Waiting", {"any_of": "queue"}),
        ("Slow service", "Waiting", {"any_of": "slow"}),
        ("Staff", None, {"any_of": "staff"}),
    ]:
        found[name] = Theme(name=name, parent=found.get(parent or ""), **rules)
        do_save_theme(found[name])
    comment_on(org, "north_1", "delivery", 6, "Slow, and a long queue")  # both children: Waiting once
    comment_on(org, "north_1", "delivery", 2, "Queues everywhere")
    comment_on(org, "north_1", "purchase", 4, "So slow")
    comment_on(org, "north_1", "purchase", 10, "Queue was long but worth it")
    comment_on(org, "north_1", "delivery", 9, "Lovely staff")
    comment_on(org, "north_1", "support", 10, "The staff sorted it")
    comment_on(org, "north_2", "support", 0, "Staff never called back")
    do_analyse_pending()
    return found


def by_label(groups: list[ThemeGroup]) -> dict[str, ThemeGroup]:
    return {group.label: group for group in groups}


def test_impact_is_nps_of_all_minus_nps_of_the_rest() -> None:
    found = impact(Counts(detractors=3, passives=0, promoters=1), Counts(detractors=3, passives=2, promoters=5))
    assert found is not None
    assert found.points == pytest.approx(-46.6667, abs=1e-4)
    assert found.standard_error == pytest.approx(18.9541, abs=1e-4)
    assert (found.interval.low, found.interval.high) == (
        pytest.approx(-83.816, abs=1e-3),
        pytest.approx(-9.517, abs=1e-3),
    )


def test_impact_is_none_without_mentions_or_without_anything_else() -> None:
    assert impact(Counts(0, 0, 0), Counts(1, 2, 3)) is None
    assert impact(Counts(1, 2, 3), Counts(1, 2, 3)) is None


def test_it_gives_each_themes_volume_share_nps_and_impact(org: Org, tagged: dict[str, Theme]) -> None:
    groups = by_label(themes(Filters(unit=org.north_1)))
    assert set(groups) == {"Waiting", "Waiting → Queues", "Waiting → Slow service", "Staff"}
    waiting = groups["Waiting"]
    assert waiting.mentions == Counts(detractors=3, passives=0, promoters=1)  # the double mention counts once
    assert waiting.total == Counts(detractors=3, passives=2, promoters=5)
    assert waiting.share == pytest.approx(4 / 6)
    assert waiting.nps == -50.0
    found = waiting.impact()
    assert found is not None and found.points == pytest.approx(-46.6667, abs=1e-4)
    assert groups["Waiting → Queues"].mentions == Counts(2, 0, 1)
    assert groups["Waiting → Slow service"].mentions == Counts(2, 0, 0)
    # Staff: M = (P 2), K = (3, 2, 3) n = 8 → NPS(K) = 0; impact = 20 − 0 = +20.
    staff = groups["Staff"].impact()
    assert staff is not None and staff.points == pytest.approx(20.0)


def test_drivers_sort_detractor_and_promoter_themes(org: Org, tagged: dict[str, Theme]) -> None:
    negative, positive = drivers(themes(Filters(unit=org.north_1)))
    assert [group.label for group in negative] == ["Waiting", "Waiting → Slow service", "Waiting → Queues"]
    assert [group.label for group in positive] == ["Staff"]


def test_it_hides_other_units_comments_from_an_outsider(org: Org, tagged: dict[str, Theme]) -> None:
    assert themes(Filters(), user=org.users["outsider"]) == []
    manager = by_label(themes(Filters(), user=org.users["manager"]))
    assert manager["Staff"].mentions == Counts(detractors=1, passives=0, promoters=2)
    assert manager["Staff"].total == Counts(detractors=7, passives=5, promoters=9)


def test_a_theme_by_touchpoint_in_journey_order(org: Org, tagged: dict[str, Theme]) -> None:
    groups = theme_by(tagged["Waiting"], "touchpoint", Filters(unit=org.north_1))
    assert [(g.label, g.mentions, g.total, g.commented) for g in groups] == [
        ("Purchase", Counts(1, 0, 1), Counts(1, 1, 3), 2),
        ("Delivery", Counts(2, 0, 0), Counts(2, 1, 1), 3),
        ("Support", Counts(0, 0, 0), Counts(0, 0, 1), 1),
    ]
    assert groups[2].share == 0.0 and groups[2].nps is None and groups[2].impact() is None


def test_a_theme_by_unit_rolls_up_to_the_level_below_the_filter(org: Org, tagged: dict[str, Theme]) -> None:
    groups = theme_by(tagged["Staff"], "unit", Filters(unit=org.north))
    assert [(g.label, g.mentions, g.commented) for g in groups] == [
        ("North 1", Counts(0, 0, 2), 6),
        ("North 2", Counts(1, 0, 0), 1),
    ]
    regions = theme_by(tagged["Staff"], "unit", Filters())
    assert [(g.label, g.mentions.n, g.total.n) for g in regions] == [("North", 3, 21), ("South", 0, 15)]


def test_the_share_trend_has_no_share_for_months_without_comments(org: Org, tagged: dict[str, Theme]) -> None:
    months = theme_by(tagged["Waiting"], "month", Filters())
    assert len(months) == 2
    old, recent = months
    assert (old.total, old.commented, old.share) == (Counts(5, 0, 0), 0, None)
    assert recent.mentions.n == 4 and recent.commented == 7 and recent.share == pytest.approx(4 / 7)


def test_an_unknown_grouping_is_refused(org: Org, tagged: dict[str, Theme]) -> None:
    with pytest.raises(QueryError, match="unit, touchpoint or month"):
        theme_by(tagged["Waiting"], "channel", Filters())
