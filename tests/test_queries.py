"""The one query path: exact counts per group from one grouped SQL query (values in the `org` fixture)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext, override_settings
from django.utils import timezone

from harken.analytics import cube, queries
from harken.analytics.models import SCORE_COLUMNS, CubeState, ScoreCount
from harken.analytics.nps import Counts
from harken.analytics.queries import Filters, QueryError
from harken.collect.models import Response
from harken.contacts.models import Contact

LAST_12_MONTHS = Filters(start=timezone.localdate() - dt.timedelta(days=364), end=timezone.localdate())


def counts_by(by: str, filters: Filters = LAST_12_MONTHS, user: object = None) -> dict[str, Counts]:
    return {group.label: group.counts for group in queries.nps_by(by, filters, user)}  # type: ignore[arg-type]


def response_queries(context: CaptureQueriesContext) -> list[str]:
    return [query["sql"] for query in context.captured_queries if "collect_response" in query["sql"]]


def test_total_counts_every_scored_response_and_skips_missing_scores(org) -> None:
    assert queries.total(LAST_12_MONTHS) == Counts(detractors=8, passives=6, promoters=17)
    assert queries.total(Filters()) == Counts(detractors=13, passives=6, promoters=17)


def test_touchpoints_come_in_journey_order_with_exact_counts(org) -> None:
    groups = queries.nps_by("touchpoint", LAST_12_MONTHS)
    assert [(group.label, group.counts) for group in groups] == [
        ("Purchase", Counts(1, 3, 11)),
        ("Delivery", Counts(4, 2, 5)),
        ("Support", Counts(3, 1, 1)),
    ]
    assert [round(group.summary().nps, 1) for group in groups] == [66.7, 9.1, -40.0]


def test_units_roll_up_to_the_regions_below_the_company(org) -> None:
    assert counts_by("unit") == {"North": Counts(7, 5, 9), "South": Counts(1, 1, 8)}
    assert counts_by("unit", Filters()) == {"North": Counts(7, 5, 9), "South": Counts(6, 1, 8)}


def test_units_below_a_chosen_unit(org) -> None:
    filters = Filters(start=LAST_12_MONTHS.start, unit=org.north)
    assert counts_by("unit", filters) == {"North 1": Counts(3, 2, 5), "North 2": Counts(4, 3, 4)}


def test_a_unit_filter_includes_its_whole_subtree(org) -> None:
    assert queries.total(Filters(unit=org.north)) == Counts(7, 5, 9)
    assert queries.total(Filters(unit=org.south_1)) == Counts(6, 1, 8)


def test_each_panel_is_one_grouped_query_on_responses(org) -> None:
    for by in ("total", "unit", "touchpoint", "survey", "channel", "month", "attribute:plan"):
        with CaptureQueriesContext(connection) as context:
            queries.nps_by(by, LAST_12_MONTHS)
        assert len(response_queries(context)) == 1, by


def test_scoping_limits_the_counts_to_the_viewers_units(org) -> None:
    frontline = org.users["frontline"]
    assert queries.total(LAST_12_MONTHS, frontline) == Counts(3, 2, 5)
    outsider = org.users["outsider"]
    assert queries.total(Filters(unit=org.north), outsider) == Counts(0, 0, 0)
    assert queries.total(LAST_12_MONTHS, org.users["newcomer"]) == Counts(0, 0, 0)
    assert counts_by("unit", LAST_12_MONTHS, org.users["manager"]) == {
        "North 1": Counts(3, 2, 5),
        "North 2": Counts(4, 3, 4),
    }


def test_filters_by_touchpoint_survey_and_channel(org) -> None:
    assert queries.total(Filters(touchpoints=(org.support.pk,))) == Counts(3, 1, 1)
    assert queries.total(Filters(surveys=(org.survey.pk,), channels=("link",))) == Counts(13, 6, 17)
    assert queries.total(Filters(channels=("email",))) == Counts(0, 0, 0)


def test_no_answers_give_none_not_zero(org) -> None:
    group = queries.nps_by("total", Filters(channels=("sms",)))[0]
    assert group.counts.n == 0
    assert group.summary().nps is None
    assert group.summary().interval is None


def test_bad_filters_are_refused_with_a_message() -> None:
    with pytest.raises(QueryError, match=r"starts .* after it ends"):
        Filters(start=dt.date(2025, 2, 1), end=dt.date(2025, 1, 1))
    with pytest.raises(QueryError, match="Unknown channel 'fax'"):
        Filters(channels=("fax",))
    with pytest.raises(QueryError, match="Attribute names are letters"):
        queries.nps_by("attribute:plan; drop table", Filters())
    with pytest.raises(QueryError, match="Cannot group by 'colour'"):
        queries.nps_by("colour", Filters())


@override_settings(TIME_ZONE="Europe/Paris")
def test_months_are_calendar_months_in_the_installation_time_zone(org) -> None:
    # 31 Jan 2025 23:30 UTC is 1 Feb 00:30 in Paris: it belongs to February there.
    late_january_utc = dt.datetime(2025, 1, 31, 23, 30, tzinfo=dt.UTC)
    early_january_utc = dt.datetime(2025, 1, 15, 12, 0, tzinfo=dt.UTC)
    Response.objects.create(survey=org.survey, unit=org.north_1, score=10, submitted_at=late_january_utc)
    Response.objects.create(survey=org.survey, unit=org.north_1, score=0, submitted_at=early_january_utc)
    filters = Filters(start=dt.date(2025, 1, 1), end=dt.date(2025, 2, 28))
    groups = queries.nps_by("month", filters)
    assert [(group.key, group.label, group.counts) for group in groups] == [
        ("2025-01", "Jan 2025", Counts(1, 0, 0)),
        ("2025-02", "Feb 2025", Counts(0, 0, 1)),
    ]
    # The period's last day ends at midnight Paris time: 31 Jan 23:30 UTC is already outside January.
    assert queries.total(Filters(start=dt.date(2025, 1, 1), end=dt.date(2025, 1, 31))) == Counts(1, 0, 0)
    quarters = queries.nps_by("quarter", filters)
    assert [(group.key, group.counts) for group in quarters] == [("2025-Q1", Counts(1, 0, 1))]


def test_grouping_by_a_contact_attribute(org) -> None:
    basic = Contact.objects.create(email="a@example.com", attributes={"plan": "basic"})
    premium = Contact.objects.create(email="b@example.com", attributes={"plan": "premium"})
    when = timezone.now() - dt.timedelta(days=1)
    for contact, score in ((basic, 3), (basic, 9), (premium, 10)):
        Response.objects.create(survey=org.survey, unit=org.north_1, contact=contact, score=score, submitted_at=when)
    assert counts_by("attribute:plan") == {
        "(none)": Counts(8, 6, 17),
        "basic": Counts(1, 0, 1),
        "premium": Counts(0, 0, 1),
    }
    filters = Filters(start=LAST_12_MONTHS.start, attributes=(("plan", "basic"),))
    assert queries.total(filters) == Counts(1, 0, 1)


# --- The monthly score-count table: same numbers as raw rows, kept exact by triggers ------------------------


def raw_only() -> CubeState:
    """Mark the score-count table unusable, so that the query path counts raw responses only."""
    CubeState.objects.filter(pk=1).update(ready=False)
    return CubeState.objects.get(pk=1)


FILTER_CASES = [
    Filters(),
    LAST_12_MONTHS,
    Filters(start=dt.date(2020, 1, 1), end=timezone.localdate()),
    Filters(start=timezone.localdate().replace(day=1)),
    Filters(end=timezone.localdate() - dt.timedelta(days=100)),
    Filters(categories=("promoter", "passive")),
]


@pytest.mark.parametrize("filters", FILTER_CASES)
def test_the_score_count_table_and_raw_rows_give_identical_counts(org, filters) -> None:
    for unit in (None, org.north, org.south_1):
        chosen = Filters(**{**filters.__dict__, "unit": unit})
        assert queries.plan(chosen).months is not None or chosen.start == timezone.localdate().replace(day=1)
        table = {
            by: [(g.key, g.counts) for g in queries.nps_by(by, chosen)]
            for by in ("total", "unit", "touchpoint", "survey", "month", "quarter")
        }
        table["distribution"] = queries.distribution(chosen)  # type: ignore[assignment]
        raw_only()
        raw = {
            by: [(g.key, g.counts) for g in queries.nps_by(by, chosen)]
            for by in ("total", "unit", "touchpoint", "survey", "month", "quarter")
        }
        raw["distribution"] = queries.distribution(chosen)  # type: ignore[assignment]
        assert table == raw, chosen
        CubeState.objects.filter(pk=1).update(ready=True)


def test_whole_months_come_from_the_table_and_edges_from_raw_rows(org) -> None:
    filters = Filters(start=dt.date(2025, 1, 15), end=dt.date(2025, 4, 10))
    chosen = queries.plan(filters)
    assert chosen.months == (dt.date(2025, 2, 1), dt.date(2025, 4, 1))  # February and March whole
    assert chosen.raw is not None  # 15–31 January and 1–10 April from raw rows
    assert queries.plan(Filters(start=dt.date(2025, 1, 1), end=dt.date(2025, 3, 31))).raw is None
    assert queries.plan(Filters(start=dt.date(2025, 1, 5), end=dt.date(2025, 1, 20))).months is None
    assert queries.plan(Filters(attributes=(("plan", "gold"),))).months is None
    assert queries.plan(Filters(channels=("email",))).months is None


def test_triggers_keep_the_table_exact_through_inserts_updates_and_deletes(org) -> None:
    def table() -> list[tuple]:
        rows = ScoreCount.objects.order_by("month", "unit_id", "touchpoint_id", "survey_id")
        return [
            row
            for row in rows.values_list("month", "unit_id", "touchpoint_id", "survey_id", *SCORE_COLUMNS)
            if any(row[4:])
        ]

    response = Response.objects.create(survey=org.survey, unit=org.north_1, score=4)
    response.score, response.unit = 10, org.south_1
    response.save()
    Response.objects.filter(unit=org.north_2, score=9).update(score=None)  # scores withdrawn
    Response.objects.filter(unit=org.south_1, score=0).delete()
    Response.objects.bulk_create([Response(survey=org.survey, unit=org.north_2, touchpoint=org.support, score=7)])
    kept = table()
    cube.rebuild()
    assert kept == table()


def test_the_table_is_ignored_when_the_time_zone_changes(org) -> None:
    assert cube.usable()
    with override_settings(TIME_ZONE="Europe/Paris"):
        assert not cube.usable()  # months were cut in another zone: raw rows answer until it is rebuilt
        assert queries.total(Filters()) == Counts(detractors=13, passives=6, promoters=17)


def test_category_and_customer_filters(org) -> None:
    assert queries.total(Filters(categories=("detractor",))) == Counts(13, 0, 0)
    ann = Contact.objects.create(email="ann@example.com")
    for days, score in ((5, 0), (1, 10)):
        when = timezone.now() - dt.timedelta(days=days)
        Response.objects.create(survey=org.survey, unit=org.north_1, contact=ann, score=score, submitted_at=when)
    north_1 = Filters(unit=org.north_1)
    assert queries.total(north_1) == Counts(4, 2, 6)  # (3, 2, 5) + a 0 and a 10
    assert queries.total(Filters(unit=org.north_1, latest_per_customer=True)) == Counts(3, 2, 6)


def test_the_distribution_has_eleven_scores(org) -> None:
    # All time: the 12-month spread [1, 1, 1, 1, 1, 1, 2, 3, 3, 10, 7] plus the five old 0s.
    assert queries.distribution(Filters()) == [6, 1, 1, 1, 1, 1, 2, 3, 3, 10, 7]


def test_unit_totals_roll_up_the_tree(org) -> None:
    totals = queries.unit_totals(LAST_12_MONTHS)
    assert totals[org.acme.pk] == Counts(8, 6, 17)
    assert totals[org.north.pk] == Counts(7, 5, 9)
    assert totals[org.north_2.pk] == Counts(4, 3, 4)


def test_page_api_and_cli_give_identical_numbers(login, org, capsys) -> None:
    import json

    from django.core.management import call_command

    from harken.api.keys import do_create_key

    call_command("nps", "--by", "touchpoint", "--json", "--from", str(LAST_12_MONTHS.start))
    cli = json.loads(capsys.readouterr().out)["groups"]
    _, token = do_create_key(org.users["analyst"], "test", "read")
    api = login("analyst").get(
        f"/api/v1/analytics/nps?by=touchpoint&from={LAST_12_MONTHS.start}", headers={"Authorization": f"Bearer {token}"}
    )
    assert api.status_code == 200, api.content
    rows = [(g["label"], g["n"], round(g["nps"], 1)) for g in api.json()["groups"]]
    assert rows == [(g["label"], g["n"], round(g["nps"], 1)) for g in cli]
    assert rows == [("Purchase", 15, 66.7), ("Delivery", 11, 9.1), ("Support", 5, -40.0)]
