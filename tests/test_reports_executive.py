"""The executive report's figures and narrative for a hand-built dataset, and its page.

Dataset (``quarters`` fixture, on the ``org`` fixture's units; its own responses are from 2025–2026 and stay
out of 2024).  Counts as (promoters, passives, detractors):

=================  ===============  ===============
                   Q2 2024 (15 May)  Q3 2024 (15 Aug)
=================  ===============  ===============
North 1 Purchase   (5, 5, 20)        (20, 5, 5)
North 2 Delivery   (10, 5, 15)       (10, 5, 15)   — Q3 detractors comment "long wait"
South 1 Purchase   (24, 4, 2)        (25, 3, 2)    — Q3 promoters comment "friendly staff"
=================  ===============  ===============

Q3 2024, Acme: (55, 13, 22) n = 90 → NPS = 100 · 33/90 = +36.7.  Adjusted Wald: n' = 93, P' = 55.75/93,
D' = 22.75/93, centre 0.354839, σ'² = 0.718176, half-width 1.959964 · √(σ'²/93) = 0.172236 → [+18.3, +52.7].
Q2 2024: (39, 14, 37) n = 90 → +2.2.  Δ = +34.4; SE = √(8.951² + 9.684²) = 13.187; z = 2.612; p = 0.009:
a significant rise.  Q3 2023: no answers.

Regions, Q3 against Q2: North (30, 10, 20) n = 60 → +16.7 against (15, 10, 35) → −33.3, Δ = +50.0, significant;
South (25, 3, 2) n = 30 → +76.7 against (24, 4, 2) → +73.3, Δ = +3.3, not significant.
Shrunk (MIN_SAMPLE 30, both ranked): μ = 36.667; s² (adjusted) North 125.76, South 114.51; τ² = 1000 − 120.13
= 879.87 → North 0.87494 · 16.667 + 0.12506 · 36.667 = +19.2, South 0.88484 · 76.667 + 0.11516 · 36.667 = +72.1:
South ranks first.

Touchpoints: Purchase (45, 8, 7) n = 60 → +63.3 against (29, 9, 22) → +11.7, Δ = +51.7, significant; Delivery
−16.7 against −16.7, Δ 0.0.

Themes (40 comments): Waiting, M = (0, 0, 15), K = (55, 13, 7) → NPS(K) = +64.0, impact = 36.667 − 64 = −27.3,
share 15/40 = 38 %.  Staff, M = (25, 0, 0), K = (30, 13, 22) → NPS(K) = +12.3, impact = +24.4, share 25/40 = 62 %.

Cases (opened 16 Aug 2024 on three North 2 detractors, due after 24 h): first contact after 2 h, 4 h and 30 h →
2 of 3 within SLA (67 %), median 4.0 hours.  Action "Faster checkout" on North 1 from 1 Jul 2024, 90 days:
before (5, 5, 20) −50.0, after (20, 5, 5) +50.0, Δ = +100.0, significant.
"""

from __future__ import annotations

import datetime as dt
import re
from html import unescape
from typing import Any

import pytest

from harken.collect.models import Response
from harken.loop.models import Action, Case
from harken.reports import executive
from harken.reports.periods import ReportPeriod
from harken.text.models import Theme
from harken.text.tagging import do_analyse_pending, do_save_theme
from tests.conftest import Org

Q3 = ReportPeriod("quarter", dt.date(2024, 7, 1), dt.date(2024, 9, 30))
NOW = dt.datetime(2024, 10, 2, 8, 0, tzinfo=dt.UTC)


def _responses(org: Org, unit: Any, touchpoint: Any, day: dt.date, counts: tuple[int, int, int], comment: dict) -> list:
    when = dt.datetime.combine(day, dt.time(12), dt.UTC)
    scores = [10] * counts[0] + [8] * counts[1] + [3] * counts[2]
    return [
        Response(
            survey=org.survey,
            unit=unit,
            touchpoint=touchpoint,
            score=score,
            submitted_at=when,
            comment=comment.get("promoter" if score == 10 else "passive" if score == 8 else "detractor", ""),
        )
        for score in scores
    ]


@pytest.fixture
def quarters(org: Org, settings: Any) -> Org:
    settings.MIN_SAMPLE = 30
    q2, q3 = dt.date(2024, 5, 15), dt.date(2024, 8, 15)
    rows = [
        *_responses(org, org.north_1, org.purchase, q2, (5, 5, 20), {}),
        *_responses(org, org.north_2, org.delivery, q2, (10, 5, 15), {}),
        *_responses(org, org.south_1, org.purchase, q2, (24, 4, 2), {}),
        *_responses(org, org.north_1, org.purchase, q3, (20, 5, 5), {}),
        *_responses(org, org.north_2, org.delivery, q3, (10, 5, 15), {"detractor": "Such a long wait at the door"}),
        *_responses(org, org.south_1, org.purchase, q3, (25, 3, 2), {"promoter": "Friendly staff, thank you"}),
    ]
    Response.objects.bulk_create(rows)
    for name, phrase in (("Waiting", "wait"), ("Staff", "staff")):
        do_save_theme(Theme(name=name, any_of=phrase))
    do_analyse_pending()
    opened = dt.datetime(2024, 8, 16, 9, 0, tzinfo=dt.UTC)
    detractors = Response.objects.filter(unit=org.north_2, score=3, submitted_at__date=q3).order_by("pk")[:3]
    for response, hours in zip(detractors, (2, 4, 30), strict=True):
        Case.objects.create(
            response=response,
            unit=org.north_2,
            title="Call back",
            opened_at=opened,
            due_at=opened + dt.timedelta(hours=24),
            first_contact_at=opened + dt.timedelta(hours=hours),
        )
    action = Action.objects.create(name="Faster checkout", started_on=dt.date(2024, 7, 1), window_days=90)
    action.units.add(org.north_1)
    return org


def test_it_computes_the_headline_and_its_comparisons(quarters: Org) -> None:
    report = executive.build(quarters.acme, Q3, None, NOW)
    head = report.headline
    assert (head.now.counts.promoters, head.now.counts.passives, head.now.counts.detractors) == (55, 13, 22)
    assert round(head.now.nps, 1) == 36.7
    assert head.now.interval is not None
    assert (round(head.now.interval.low, 1), round(head.now.interval.high, 1)) == (18.3, 52.7)
    assert round(head.then.nps, 1) == 2.2
    assert head.test is not None and head.test.significant
    assert round(head.test.difference, 1) == 34.4
    assert round(head.test.z, 3) == 2.612
    assert report.previous.label == "Q2 2024"
    assert report.year_before is not None and report.year_before.label == "Q3 2023"
    assert report.vs_year is not None and report.vs_year.test is None  # nothing a year before


def test_it_ranks_regions_by_shrunk_nps_with_their_changes(quarters: Org) -> None:
    report = executive.build(quarters.acme, Q3, None, NOW)
    assert report.unit_word == "regions"
    rows = [(r.entry.rank, r.row.label, round(r.entry.shrunk, 1), round(r.row.now.nps, 1)) for r in report.units]
    assert rows == [(1, "South", 72.1, 76.7), (2, "North", 19.2, 16.7)]
    north = report.units[1].row
    assert round(north.then.nps, 1) == -33.3
    assert north.test is not None and north.test.significant and round(north.test.difference, 1) == 50.0
    south = report.units[0].row
    assert south.test is not None and not south.test.significant


def test_it_shows_the_journey_themes_loop_and_actions(quarters: Org) -> None:
    report = executive.build(quarters.acme, Q3, None, NOW)
    journey = {row.label: (round(row.now.nps, 1), round(row.then.nps, 1), row.now.n) for row in report.journey}
    assert journey == {"Purchase": (63.3, 11.7, 60), "Delivery": (-16.7, -16.7, 30)}
    waiting, staff = report.themes_negative[0], report.themes_positive[0]
    assert (waiting.label, waiting.mentions.n, round(waiting.impact().points, 1)) == ("Waiting", 15, -27.3)
    assert (staff.label, staff.mentions.n, round(staff.impact().points, 1)) == ("Staff", 25, 24.4)
    assert report.commented == 40
    total = report.loop_total
    assert total is not None
    assert (total.cases, total.detractor_cases, total.contacted_within_sla) == (3, 3, 2)
    assert total.median_hours_to_first_contact == 4.0
    [result] = report.actions
    assert (round(result.effect.nps_before, 1), round(result.effect.nps_after, 1)) == (-50.0, 50.0)
    assert result.effect.comparison is not None and result.effect.comparison.significant


def test_its_narrative_tells_the_story_in_plain_sentences(quarters: Org) -> None:
    story = {p.topic: p.text for p in executive.build(quarters.acme, Q3, None, NOW).story()}
    assert story["headline"] == (
        "Acme's NPS in Q3 2024 was +36.7 (n = 90; 95 % interval +18.3 to +52.7). "
        "It rose by 34.4 points from +2.2 in Q2 2024, a significant rise. "
        "There are no answers from Q3 2023 to compare with."
    )
    assert story["journey"] == (
        "Of the touchpoints, Purchase rose most: from +11.7 in Q2 2024 to +63.3 (51.7 points, significant). "
        "The other touchpoint showed no significant change."
    )
    assert story["units"] == (
        "Of the regions, North rose most: from −33.3 in Q2 2024 to +16.7 (50.0 points, significant). "
        "The other region showed no significant change."
    )
    assert story["themes"] == (
        "Among comment themes, Waiting weighs most on the score: it is mentioned in 38 % of comments and its "
        "impact is −27.3 points. Staff does the most for it (62 % of comments, impact +24.4 points)."
    )
    assert story["loop"] == (
        "3 customer cases were opened, 3 of them for detractors. "
        "67 % of detractors were contacted within the agreed time, after a median of 4.0 hours."
    )
    assert story["actions"] == (
        "Faster checkout: the NPS of its units rose from −50.0 to +50.0 after it started (100.0 points, significant)."
    )


def _numbers(text: str) -> set[str]:
    return set(re.findall(r"\d+(?:\.\d+)?", text))


def test_every_number_in_the_narrative_is_shown_on_the_page(quarters: Org, login: Any) -> None:
    client = login("analyst")
    page = client.get("/reports/", {"unit": quarters.acme.pk, "period": "quarter:2024-07-01"})
    assert page.status_code == 200
    html = page.content.decode()
    story = re.search(r'<section class="report-section story".*?</section>', html, re.S)
    assert story is not None
    rest = unescape(re.sub(r"<[^>]+>", " ", html.replace(story.group(0), "")))
    told = unescape(re.sub(r"<[^>]+>", " ", story.group(0)))
    assert "It rose by 34.4 points from +2.2 in Q2 2024, a significant rise." in told
    missing = _numbers(told) - _numbers(rest)
    assert not missing, f"numbers in the narrative that the page does not show: {missing}"
    assert "Faster checkout" in html and "significant rise" in html


def test_it_keeps_each_viewer_to_their_units(quarters: Org, login: Any) -> None:
    client = login("manager")  # manager of North
    page = client.get("/reports/", {"period": "quarter:2024-07-01"})
    assert page.status_code == 200
    report = page.context["report"]
    assert report.scope_name == "North"
    assert report.headline.now.n == 60
    assert [r.row.label for r in report.units] == ["North 1", "North 2"]
    refused = client.get("/reports/", {"unit": quarters.south.pk, "period": "quarter:2024-07-01"})
    assert "unit: that unit does not exist or is not yours to see" in refused.content.decode()
    assert refused.context["report"].scope_name == "North"


def test_a_bad_period_is_named_and_replaced(quarters: Org, login: Any) -> None:
    page = login("analyst").get("/reports/", {"period": "custom", "from": "2024-09-01", "to": "2024-08-01"})
    assert page.status_code == 200
    assert "to: the period ends (2024-08-01) before it starts (2024-09-01)." in page.content.decode()


def test_it_needs_a_login(quarters: Org, client: Any) -> None:
    assert client.get("/reports/").status_code == 302
    assert client.get("/reports/report.pdf").status_code == 302
