"""Dashboard pages: comparisons, distribution, journey, units, my unit, goals, exports, htmx partials, scoping.

Expected values are worked out by hand from the ``org`` fixture (tests/conftest.py), in the comments.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pytest
from django.test import override_settings
from django.utils import timezone
from openpyxl import load_workbook

from harken.collect.models import Response
from harken.dashboards.models import Benchmark, Goal
from tests.test_overview_page import OverviewPage


def html_of(client, url: str, **headers: str) -> str:
    response = client.get(url, headers=headers)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def text_of(html: str, testid: str) -> str:
    """The text of the element with ``data-testid``, tags removed and spaces collapsed."""
    start = html.index(f'data-testid="{testid}"')
    block = html[html.index(">", start) + 1 :]
    depth, position = 1, 0
    for match in re.finditer(r"<(/?)div\b", block):
        depth += -1 if match.group(1) else 1
        if depth == 0:
            position = match.start()
            break
    return " ".join(re.sub(r"<[^>]+>", " ", block[:position]).split())


def csv_rows(client, url: str) -> list[list[str]]:
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    text = response.content.decode("utf-8-sig")
    return [row for row in csv.reader(io.StringIO(text)) if row and not row[0].startswith("#")]


# --- Overview: comparisons, spread, journey, comments ---------------------------------------------------


def test_it_marks_a_large_change_against_the_previous_period_as_significant(login, org):
    # 12 months: everything (17, 6, 8) n=31 → +29.0.  The previous 365 days hold the five old 0s of South 1:
    # (0, 0, 5) → −100.0 with SE 0, so Δ = +129.0, SE(Δ) = 15.263, z = 8.45: significant, upwards.
    html = html_of(login("analyst"), "/")
    assert text_of(html, "change-1").startswith("vs previous period ▲ +129.0 significant p &lt; 0.001")
    assert 'data-testid="change-2"' not in html  # for 12 months the previous period is the year before
    # Last 90 days: nothing in the 90 days before; the same 90 days a year ago hold the five old 0s.
    html = html_of(login("analyst"), "/?period=90d")
    assert text_of(html, "change-1") == "vs previous period — no answers then to compare"
    assert text_of(html, "change-2").startswith("vs same period last year ▲ +129.0 significant")


def test_it_says_not_significant_when_the_change_is_within_the_noise(login, org):
    # 30 days: +29.0 (n=31).  45 days ago North 1 got a 10 and a 0: (1, 0, 1) → 0.0, SE = 100·√(1/2) = 70.7.
    # Δ = +29.0, SE(Δ) = √(70.71² + 15.263²) = 72.34, z = 0.401, p = 0.688: not significant.
    when = timezone.now() - dt.timedelta(days=45)
    for score in (10, 0):
        Response.objects.create(survey=org.survey, unit=org.north_1, score=score, submitted_at=when)
    html = html_of(login("analyst"), "/?period=30d")
    assert text_of(html, "change-1") == "vs previous period ▲ +29.0 not significant p = 0.688 · then 0.0 (n = 2)"
    assert '<strong class="badge significant">' not in html.split('data-testid="change-2"')[0]


def test_it_shows_no_comparison_when_the_earlier_period_has_no_answers(login, org):
    html = html_of(login("manager"), "/")  # North had nothing 13–24 months ago
    assert text_of(html, "change-1") == "vs previous period — no answers then to compare"


def test_the_distribution_counts_each_score_from_0_to_10(login, org):
    # Scores in the last 12 months, by hand from RECENT_SCORES: one each of 0–5, two 6s, three 7s, three 8s,
    # ten 9s and seven 10s (n = 31; the skipped score is not counted).
    html = html_of(login("analyst"), "/")
    assert '<script id="distribution-data" type="application/json">[1, 1, 1, 1, 1, 1, 2, 3, 3, 10, 7]</script>' in html


def test_the_category_filter_keeps_only_detractors(login, org):
    page = OverviewPage(html_of(login("analyst"), "/?category=detractor"))
    # (0, 0, 8): adjusted n' = 11, P' = 0.75/11, D' = 8.75/11, centre −0.7273, σ'² = 0.3347,
    # half-width 1.96·√(0.3347/11) = 0.3419 → [−106.9 clipped to −100.0, −38.5].
    assert page.headline == ("−100.0", "[−100.0, −38.5]", "8")


def test_the_response_rate_says_so_when_no_invitations_were_sent(login, org):
    html = html_of(login("analyst"), "/")
    assert text_of(html, "response-rate") == "Response rate — no invitations sent in the period"


def test_the_journey_lists_touchpoints_in_order_with_their_nps(login, org):
    html = html_of(login("analyst"), "/")
    journey = html.split('class="journey"')[1].split("</ol>")[0]
    assert journey.index("Purchase") < journey.index("Delivery") < journey.index("Support")
    assert "+66.7" in journey and "+9.1" in journey and "−40.0" in journey


def test_filters_in_the_url_are_applied_and_kept_in_every_link(login, org):
    html = html_of(login("analyst"), f"/?period=all&touchpoint={org.purchase.pk}&unit={org.south.pk}")
    page = OverviewPage(html)
    # South, Purchase, all time: six promoters now and five old 0s → (6, 0, 5) n=11 → +9.1.
    assert page.headline[0] == "+9.1" and page.headline[2] == "11"
    assert f"/export/trend.csv?period=all&amp;unit={org.south.pk}&amp;touchpoint={org.purchase.pk}" in html


def test_an_htmx_request_gets_only_the_panels(login, org):
    client = login("analyst")
    html = html_of(client, "/?period=all", **{"HX-Request": "true", "HX-Trigger": "filters"})
    assert html.lstrip().startswith('<div id="panels"')
    assert "<html" not in html and 'id="filters"' not in html
    response = client.get("/?period=all", headers={"HX-Request": "true", "HX-Trigger": "filters"})
    assert response["HX-Push-Url"] == "/?period=all"
    refresh = client.get("/?period=all", headers={"HX-Request": "true", "HX-Trigger": "panels"})
    assert "HX-Push-Url" not in refresh  # the live refresh does not touch the address bar


def test_the_panels_refresh_themselves_on_the_configured_interval(login, org):
    with override_settings(DASHBOARD_REFRESH_SECONDS=3):
        html = html_of(login("analyst"), "/?period=all")
    assert 'hx-get="/?period=all" hx-trigger="every 3s"' in html


def test_customer_nps_counts_each_customers_latest_answer(login, org):
    from harken.contacts.models import Contact

    ann = Contact.objects.create(email="ann@example.com")
    earlier, later = timezone.now() - dt.timedelta(days=2), timezone.now() - dt.timedelta(days=1)
    Response.objects.create(survey=org.survey, unit=org.north_1, contact=ann, score=0, submitted_at=earlier)
    Response.objects.create(survey=org.survey, unit=org.north_1, contact=ann, score=10, submitted_at=later)
    client = login("frontline")
    # Every response: North 1 (5, 2, 3) plus a 0 and a 10 → (6, 2, 4) n=12 → +16.7.
    assert OverviewPage(html_of(client, "/")).headline[0] == "+16.7"
    # Ann's latest only: (6, 2, 3) n=11 → 100·3/11 = +27.3.
    assert OverviewPage(html_of(client, "/?count=customers")).headline[0:3:2] == ("+27.3", "11")


def test_comments_are_shown_escaped_and_scoped(login, org):
    when = timezone.now() - dt.timedelta(days=1)
    Response.objects.create(survey=org.survey, unit=org.north_1, score=2, comment="<b>Slow</b>", submitted_at=when)
    Response.objects.create(survey=org.survey, unit=org.south_1, score=9, comment="South secret", submitted_at=when)
    html = html_of(login("manager"), "/")
    assert "&lt;b&gt;Slow&lt;/b&gt;" in html and "<b>Slow</b>" not in html
    assert "South secret" not in html


# --- Units: drill-down, leaderboard, most improved ------------------------------------------------------


def test_the_drill_down_compares_each_region_with_the_rest(login, org):
    html = html_of(login("analyst"), "/units/")
    table = OverviewPage(html).tables["drill-children"]
    # North (9, 5, 7) n=21 → +9.5 against South (8, 1, 1) → +70.0: Δ = −60.5, SE(Δ) = √(18.93² + 20.25²) = 27.7,
    # z = −2.18, p = 0.029 → significant.  South against North: +60.5, significant.
    assert table[1][:5] == ["North", "+9.5", "[−25.7, +42.3]", "21", "−60.5 significant"]
    assert table[2][:5] == ["South", "+70.0", "[+14.7, +93.0]", "10", "+60.5 significant"]


def test_the_drill_down_shows_a_store_among_its_siblings(login, org):
    html = html_of(login("analyst"), f"/units/?unit={org.north.pk}")
    siblings = OverviewPage(html).tables["drill-siblings"]
    assert [row[0] for row in siblings[1:]] == ["North", "South"]
    children = OverviewPage(html).tables["drill-children"]
    # North 1 (5, 2, 3) vs North 2 (4, 3, 4): Δ = +20.0, not significant.
    assert children[1][:5] == ["North 1", "+20.0", "[−30.3, +61.1]", "10", "+20.0"]


@override_settings(MIN_SAMPLE=5)
def test_the_leaderboard_ranks_by_shrunk_nps_and_shows_the_raw_value(login, org):
    html = html_of(login("analyst"), "/units/?level=store")
    rows = OverviewPage(html).tables["leaderboard"][1:]
    # Shrunk toward +29.0 (τ² = 392): South 1 +70.0 → +49.4, North 1 +20.0 → +25.2, North 2 0.0 → +16.1.
    assert [row[:6] for row in rows] == [
        ["1", "South 1", "+49.4", "+70.0", "[+14.7, +93.0]", "10"],
        ["2", "North 1", "+25.2", "+20.0", "[−30.3, +61.1]", "10"],
        ["3", "North 2", "+16.1", "0.0", "[−43.2, +43.2]", "11"],
    ]


def test_units_under_the_minimum_sample_are_listed_but_not_ranked(login, org):
    html = html_of(login("analyst"), "/units/?level=store")  # MIN_SAMPLE 30: every store is too small
    rows = OverviewPage(html).tables["leaderboard"][1:]
    assert [row[0] for row in rows] == ["–", "–", "–"]
    assert "n &lt; 30" in html


@override_settings(MIN_SAMPLE=5)
def test_most_improved_units_come_with_their_significance(login, org):
    # South 1, previous 365 days: five 0s → −100.0; now +70.0: Δ = +170.0, SE(Δ) = 20.25 → significant.
    # Its n before is 5 (= the minimum); the other stores had no answers before and are left out.
    html = html_of(login("analyst"), "/units/?level=store")
    rows = OverviewPage(html).tables["improved"][1:]
    assert rows == [["South 1", "+170.0 significant", "−100.0 n=5", "+70.0 n=10"]]


# --- Front-line view ------------------------------------------------------------------------------------


@override_settings(MIN_SAMPLE=5)
def test_frontline_staff_see_their_store_its_rank_and_praise_first(login, org):
    now = timezone.now()
    Response.objects.create(
        survey=org.survey, unit=org.north_1, score=3, comment="Slow checkout", submitted_at=now - dt.timedelta(hours=1)
    )
    Response.objects.create(
        survey=org.survey, unit=org.north_1, score=10, comment="Lovely staff", submitted_at=now - dt.timedelta(days=2)
    )
    html = html_of(login("frontline"), "/my-unit/")
    page = OverviewPage(html)
    # North 1 plus a 3 and a 10: (6, 2, 4) n=12 → +16.7.  Rank by shrunk NPS among the 3 stores: 2nd.
    assert page.headline[0] == "+16.7"
    assert page.values["peer-rank"] == "#2"
    assert "of 3 stores ranked" in html
    assert html.index("Lovely staff") < html.index("Slow checkout")
    for elsewhere in ("North 2", "South", "+70.0", "+29.0", "Acme"):
        assert elsewhere not in html


def test_the_front_line_view_lists_open_cases_of_the_store_only(login, org):
    from harken.loop.models import Case

    north = Response.objects.filter(unit=org.north_1).first()
    south = Response.objects.filter(unit=org.south_1).first()
    Case.objects.create(response=north, unit=org.north_1, title="Call back the 4 at North 1")
    Case.objects.create(response=south, unit=org.south_1, title="South case")
    html = html_of(login("frontline"), "/my-unit/")
    assert "Call back the 4 at North 1" in html and "South case" not in html


def test_people_without_a_front_line_role_go_to_the_overview(login, org):
    response = login("manager").get("/my-unit/")
    assert response.status_code == 302 and response["Location"] == "/"


# --- Goals and benchmarks ------------------------------------------------------------------------------


def test_goals_show_attainment_against_the_interval(login, org):
    today = timezone.localdate()
    Goal.objects.create(unit=org.north, start=today - dt.timedelta(days=30), end=today, target=50)
    Goal.objects.create(unit=org.south, start=today - dt.timedelta(days=30), end=today, target=10)
    Goal.objects.create(unit=org.north_1, start=today - dt.timedelta(days=30), end=today, target=0)
    rows = {row[0]: row for row in OverviewPage(html_of(login("analyst"), "/goals/")).tables["goals"][1:]}
    assert rows["North"][6].startswith("below")  # +9.5, interval [−25.7, +42.3] < 50
    assert rows["South"][6].startswith("met")  # +70.0, interval [+14.7, +93.0] ≥ 10
    assert rows["North 1"][6].startswith("within the margin of error")  # [−30.3, +61.1] holds 0


def test_goals_and_benchmarks_appear_as_reference_lines(login, org):
    today = timezone.localdate()
    Goal.objects.create(unit=org.acme, start=today.replace(day=1), end=today, target=40)
    Benchmark.objects.create(name="Retail industry", value=32)
    html = html_of(login("analyst"), "/")
    assert '"references": [{"label": "Goal' in html and '"value": 40.0, "kind": "goal"}' in html
    assert '{"label": "Retail industry", "value": 32.0, "kind": "benchmark"}' in html
    # +29.0 with [−1.8, +54.8] holds both 40 and 32.
    assert html.count("within the margin of error") == 2


def test_a_manager_sets_a_goal_for_their_region_but_not_for_another(login, org):
    client = login("manager")
    data = {"form": "goal", "goal-start": "2026-01-01", "goal-end": "2026-12-31", "goal-target": "25"}
    response = client.post("/goals/", {**data, "goal-unit": org.north_1.pk})
    assert response.status_code == 302
    assert Goal.objects.get().unit == org.north_1
    response = client.post("/goals/", {**data, "goal-unit": org.south.pk})
    assert response.status_code == 200 and "Select a valid choice" in response.content.decode()
    assert Goal.objects.count() == 1


def test_frontline_staff_may_not_set_goals(login, org):
    response = login("frontline").post("/goals/", {"form": "goal", "goal-unit": org.north_1.pk})
    assert response.status_code == 403


def test_goals_of_other_regions_are_not_shown(login, org):
    Goal.objects.create(unit=org.south, start=dt.date(2026, 1, 1), end=dt.date(2026, 12, 31), target=10)
    assert "South" not in html_of(login("manager"), "/goals/")


# --- Exports --------------------------------------------------------------------------------------------


def test_the_touchpoint_export_has_exactly_the_numbers_on_the_page(login, org):
    client = login("analyst")
    page_rows = OverviewPage(html_of(client, "/")).rows("by-touchpoint")
    rows = csv_rows(client, "/export/touchpoints.csv?period=12m")
    assert rows[0] == ["Touchpoint", "NPS", "95% low", "95% high", "n", "Promoters", "Passives", "Detractors"]
    assert rows[1:] == [
        ["Purchase", "66.7", "24.9", "86.2", "15", "11", "3", "1"],
        ["Delivery", "9.1", "-38.1", "52.4", "11", "5", "2", "4"],
        ["Support", "-40.0", "-79.8", "29.8", "5", "1", "1", "3"],
    ]
    for shown, exported in zip(page_rows, rows[1:], strict=True):
        assert shown[1].replace("−", "-").lstrip("+") == exported[1]
        assert shown[3] == exported[4]


def test_the_xlsx_export_holds_numbers(login, org):
    response = login("analyst").get("/export/units.xlsx?period=all")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:5] == ("Unit", "NPS", "95% low", "95% high", "n")
    assert rows[1][:5] == ("North", 9.5, -25.7, 42.3, 21)
    assert rows[2][:5] == ("South", 13.3, -31.4, 53.7, 15)  # (8 − 6) / 15 with the old 0s


def test_every_panel_exports_as_csv_and_xlsx(login, org):
    client = login("analyst")
    panels = ("headline", "distribution", "trend", "touchpoints", "units", "comments", "leaderboard", "improved")
    for panel in (*panels, "drill", "goals"):
        for fmt in ("csv", "xlsx"):
            response = client.get(f"/export/{panel}.{fmt}?period=all")
            assert response.status_code == 200, (panel, fmt)
    assert client.get("/export/secrets.csv").status_code == 404
    assert client.get("/export/units.pdf").status_code == 404


def test_the_headline_export_states_the_change_and_its_significance(login, org):
    rows = csv_rows(login("analyst"), "/export/headline.csv?period=12m")
    assert rows[1][:5] == ["Selected period", "29.0", "-1.8", "54.8", "31"]
    assert rows[2][0].startswith("Previous period (") and rows[2][-2:] == ["129.0", "yes"]


# --- Scoping: pages, fragments, exports -----------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/",
        "/units/",
        "/units/?level=store",
        "/goals/",
        "/export/units.csv?period=all",
        "/export/leaderboard.csv",
        "/export/drill.csv",
        "/export/comments.csv",
    ],
)
def test_the_outsider_sees_nothing_of_north_anywhere(login, org, url):
    client = login("outsider")
    body = client.get(url, headers={"HX-Request": "true"} if "?" not in url else {}).content.decode("utf-8-sig")
    assert "North" not in body


def test_asking_for_another_units_id_falls_back_to_ones_own(login, org):
    html = html_of(login("outsider"), f"/?unit={org.north.pk}")
    assert "not yours to see" in html
    assert OverviewPage(html).headline == ("+70.0", "[+14.7, +93.0]", "10")
    rows = csv_rows(login("outsider"), f"/export/units.csv?unit={org.north.pk}")
    assert [row[0] for row in rows[1:]] == ["South 1"]


def test_a_manager_of_north_sees_only_north_on_the_units_page(login, org):
    html = html_of(login("manager"), "/units/?level=store")
    assert "South" not in html
    # Both stores are under the minimum sample of 30: listed by n, unranked — North 2 (n=11), North 1 (n=10).
    names = [row[1] for row in OverviewPage(html).tables["leaderboard"][1:]]
    assert names == ["North 2 n < 30", "North 1 n < 30"]


def test_a_newcomer_gets_no_exports(login, org):
    assert login("newcomer").get("/export/units.csv").status_code == 403


def test_anonymous_visitors_are_sent_to_log_in_for_every_page(client, org):
    for url in ("/units/", "/my-unit/", "/goals/", "/export/units.csv"):
        assert client.get(url).status_code == 302
