"""Improvement actions: the NPS of the targeted units before and after the action started, with a z-test."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import pytest
from django.utils import timezone

from harken.collect.models import Response
from harken.loop.effects import action_effect
from harken.loop.models import Action


def answer(org: Any, unit: Any, scores: list[int], days_ago: int) -> None:
    when = timezone.now() - dt.timedelta(days=days_ago)
    Response.objects.bulk_create(
        Response(survey=org.survey, unit=unit, score=score, submitted_at=when) for score in scores
    )


def test_an_action_shows_a_significant_rise_in_its_units_nps(org: Any) -> None:
    today = timezone.localdate()
    action = Action.objects.create(
        name="Call-back within a day", started_on=today - dt.timedelta(days=30), window_days=20
    )
    action.units.set([org.north, org.north_1])  # North 1 is inside North: counted once
    answer(org, org.north_1, [0, 0, 0, 0, 5, 5, 9, 9, 7, 7], days_ago=40)  # before: P 2, D 6, n 10 → −40
    answer(org, org.north_2, [10] * 8 + [3, 8], days_ago=20)  # after: P 8, D 1, n 10 → +70
    answer(org, org.south_1, [0] * 10, days_ago=20)  # not a targeted unit
    # The org fixture's answers 3 days ago fall after the 20-day window that follows the start.

    effect = action_effect(action, today)

    assert (effect.before_start, effect.before_end) == (today - dt.timedelta(days=50), today - dt.timedelta(days=31))
    assert (effect.after_start, effect.after_end) == (today - dt.timedelta(days=30), today - dt.timedelta(days=11))
    assert (effect.before.promoters, effect.before.detractors, effect.before.n) == (2, 6, 10)
    assert (effect.after.promoters, effect.after.detractors, effect.after.n) == (8, 1, 10)
    comparison = effect.comparison
    assert comparison is not None
    # SE before = √((0.2 + 0.6 − 0.4²)/10) = √0.064; after = √((0.8 + 0.1 − 0.7²)/10) = √0.041
    # SE(Δ) = 100·√0.105 = 32.404; z = 110 / 32.404 = 3.3947; p = 2·(1 − Φ(3.3947)) = 0.000687
    assert (comparison.before, comparison.after) == (pytest.approx(-40), pytest.approx(70))
    assert comparison.standard_error == pytest.approx(100 * math.sqrt(0.105))
    assert comparison.z == pytest.approx(3.3947, abs=1e-4)
    assert comparison.p_value == pytest.approx(0.000687, abs=2e-6)
    assert comparison.significant and comparison.direction == "up"


def test_an_action_that_just_started_has_no_comparison_yet(org: Any) -> None:
    today = timezone.localdate()
    action = Action.objects.create(name="New", started_on=today + dt.timedelta(days=1))
    action.units.set([org.south_1])
    effect = action_effect(action, today)
    assert effect.after.n == 0 and effect.comparison is None


def test_the_api_gives_an_actions_effect_to_those_who_see_its_units(client: Any, org: Any) -> None:
    from harken.api.keys import do_create_key

    today = timezone.localdate()
    action = Action.objects.create(name="Faster delivery", started_on=today - dt.timedelta(days=30), window_days=20)
    action.units.set([org.north_1])
    answer(org, org.north_1, [0, 10], days_ago=40)
    answer(org, org.north_1, [10, 10], days_ago=20)

    def get(name: str) -> Any:
        token = do_create_key(org.users[name], name, "read")[1]
        return client.get(f"/api/v1/actions/{action.pk}/effect", headers={"Authorization": f"Bearer {token}"})

    body = get("frontline").json()
    assert (body["before_n"], body["after_n"], body["nps_before"], body["nps_after"]) == (2, 2, 0.0, 100.0)
    assert body["direction"] == "up" and body["significant"] is False
    assert get("outsider").status_code == 404


def test_the_actions_page_shows_the_effect_only_of_visible_actions(login: Any, org: Any) -> None:
    today = timezone.localdate()
    north = Action.objects.create(name="Faster delivery", started_on=today - dt.timedelta(days=30), window_days=20)
    north.units.set([org.north_1])
    south = Action.objects.create(name="Friendlier tills", started_on=today - dt.timedelta(days=30))
    south.units.set([org.south_1])
    answer(org, org.north_1, [0, 0, 10], days_ago=40)
    answer(org, org.north_1, [10, 10, 9], days_ago=20)
    page = login("frontline").get("/actions/").content.decode()
    assert "Faster delivery" in page and "Friendlier tills" not in page
    # Before (1, 0, 2) → −33.3, SE = √((1/3 + 2/3 − 1/9)/3) = 0.5443; after all promoters → +100, SE 0.
    # z = 1.3333 / 0.5443 = 2.449, p = 0.014 < 0.05.
    assert "Change 133.3 points (up), p = 0.014: <strong>significant</strong>" in page


def test_an_action_on_a_theme_shows_the_themes_share_before_and_after_with_a_test(org: Any) -> None:
    from harken.loop.effects import share_test
    from harken.text.models import Theme
    from harken.text.tagging import do_analyse_pending, do_rebuild_links

    today = timezone.localdate()
    waiting = Theme.objects.create(name="Waiting")
    Theme.objects.create(name="Queues", parent=waiting, any_of="queue")
    do_rebuild_links()
    action = Action.objects.create(
        name="Queue busting", theme=waiting, started_on=today - dt.timedelta(days=30), window_days=20
    )
    action.units.set([org.north_1])
    before = timezone.now() - dt.timedelta(days=40)
    after = timezone.now() - dt.timedelta(days=20)
    comments = [(before, "Long queue")] * 6 + [(before, "Nice staff")] * 4
    comments += [(after, "Long queue")] * 1 + [(after, "Nice staff")] * 9
    Response.objects.bulk_create(
        Response(survey=org.survey, unit=org.north_1, score=5, comment=text, submitted_at=when)
        for when, text in comments
    )
    do_analyse_pending()

    share = action_effect(action, today).theme_share
    assert share is not None
    assert (share.before_mentions, share.before_commented, share.after_mentions, share.after_commented) == (
        6,
        10,
        1,
        10,
    )
    # Pooled p̂ = 7/20 = 0.35; SE = √(0.35·0.65·(1/10 + 1/10)) = 0.21331; z = (0.1 − 0.6)/0.21331 = −2.3440;
    # p = 2·(1 − Φ(2.3440)) = 0.01908.
    assert share.p_value == pytest.approx(0.01908, abs=5e-5)
    assert share.significant and (share.share_before, share.share_after) == (0.6, 0.1)
    assert share_test(0, 0, 1, 10, 0.05).p_value is None
    assert share_test(0, 10, 0, 10, 0.05).p_value == 1.0
