"""The one query path: exact counts per group from one grouped SQL query (values in the `org` fixture)."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext, override_settings
from django.utils import timezone

from harken.analytics import cube, queries
from harken.analytics.models import (
    SCORE_COLUMNS,
    ChannelDayCount,
    ChannelMonthCount,
    CubeState,
    DayCount,
    DetailCount,
    ScoreCount,
    UnitDayCount,
    UnitMonthCount,
)
from harken.analytics.nps import Counts
from harken.analytics.queries import Filters, QueryError
from harken.collect.models import Response
from harken.contacts.models import Contact

LAST_12_MONTHS = Filters(start=timezone.localdate() - dt.timedelta(days=364), end=timezone.localdate())


def counts_by(by: str, filters: Filters = LAST_12_MONTHS, user: object = None) -> dict[str, Counts]:
    return {group.label: group.counts for group in queries.nps_by(by, filters, user)}  # type: ignore[arg-type]


def counting_queries(context: CaptureQueriesContext) -> list[str]:
    """Statements that read responses or a score-count table."""
    sources = ("collect_response", *(table.name for table in cube.TABLES))
    return [query["sql"] for query in context.captured_queries if any(name in query["sql"] for name in sources)]


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


def test_each_panel_is_one_grouped_query(org) -> None:
    # Whole months, the days at the edges and raw rows are read by one statement (UNION ALL of the parts).
    for filters in (LAST_12_MONTHS, Filters(channels=("email",), start=LAST_12_MONTHS.start)):
        for by in ("total", "unit", "touchpoint", "survey", "channel", "month", "week", "attribute:plan"):
            with CaptureQueriesContext(connection) as context:
                queries.nps_by(by, filters)
            assert len(counting_queries(context)) == 1, by
        with CaptureQueriesContext(connection) as context:
            queries.distribution(filters)
        assert len(counting_queries(context)) == 1


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


TODAY = timezone.localdate()
FILTER_CASES = [
    Filters(),
    LAST_12_MONTHS,
    Filters(start=dt.date(2020, 1, 1), end=TODAY),
    Filters(start=TODAY.replace(day=1)),
    Filters(end=TODAY - dt.timedelta(days=100)),
    Filters(start=TODAY - dt.timedelta(days=6), end=TODAY),  # days only
    Filters(categories=("promoter", "passive")),
    Filters(start=LAST_12_MONTHS.start, channels=("email", "sms")),  # the unit × channel × language tables
    Filters(languages=("fr",)),
    Filters(start=LAST_12_MONTHS.start, channels=("email",), languages=("en",), categories=("detractor",)),
]
GROUPINGS = ("total", "unit", "touchpoint", "survey", "channel", "language", "month", "quarter", "week", "day")


def vary_channels_and_languages(org) -> None:
    """Give the fixture's responses different channels and languages, and add some on other days."""
    for index, response in enumerate(Response.objects.order_by("pk")):
        response.channel = ("email", "sms", "link", "widget")[index % 4]
        response.language = ("en", "fr", "de")[index % 3]
        response.save(update_fields=["channel", "language"])
    for days, score, channel in ((40, 9, "email"), (75, 2, "sms"), (200, 7, "email"), (33, 10, "link")):
        when = timezone.now() - dt.timedelta(days=days)
        Response.objects.create(
            survey=org.survey, unit=org.south_1, score=score, channel=channel, language="fr", submitted_at=when
        )


def everything(filters: Filters) -> dict[str, object]:
    found: dict[str, object] = {by: [(g.key, g.counts) for g in queries.nps_by(by, filters)] for by in GROUPINGS}
    found["distribution"] = queries.distribution(filters)
    found["units"] = queries.unit_totals(filters)
    return found


@pytest.mark.parametrize("filters", FILTER_CASES)
def test_the_score_count_tables_and_raw_rows_give_identical_counts(org, filters) -> None:
    vary_channels_and_languages(org)
    # A touchpoint with a channel or language: the detail table for whole months, raw rows for the edges.
    for unit, touchpoints in ((None, ()), (org.north, ()), (org.south_1, ()), (None, (org.purchase.pk,))):
        chosen = Filters(**{**filters.__dict__, "unit": unit, "touchpoints": touchpoints})
        assert queries.plan(chosen) != queries.RAW
        from_tables = everything(chosen)
        raw_only()
        assert from_tables == everything(chosen), chosen
        CubeState.objects.filter(pk=1).update(ready=True)


def test_whole_months_come_from_the_month_table_and_other_days_from_the_day_table(org) -> None:
    filters = Filters(start=dt.date(2025, 1, 15), end=dt.date(2025, 4, 10))
    chosen = queries.plan(filters)
    # No touchpoint or survey asked for: the small month × unit and day × unit tables answer.
    assert (chosen.months, chosen.month_table) == ((dt.date(2025, 2, 1), dt.date(2025, 4, 1)), cube.UNIT_MONTHS)
    # 15–31 January and 1–10 April, by day
    assert chosen.days == ((dt.date(2025, 1, 15), dt.date(2025, 2, 1)), (dt.date(2025, 4, 1), dt.date(2025, 4, 11)))
    assert (chosen.day_table, chosen.raw) == (cube.UNIT_DAYS, None)
    by_touchpoint = queries.plan(filters, "touchpoint_id")
    assert (by_touchpoint.month_table, by_touchpoint.day_table) == (cube.MONTHS, cube.DAYS)
    assert queries.plan(Filters(start=dt.date(2025, 1, 1), end=dt.date(2025, 3, 31))).days == ()
    short = queries.plan(Filters(start=dt.date(2025, 1, 5), end=dt.date(2025, 1, 20)))
    assert (short.months, short.days) == (None, ((dt.date(2025, 1, 5), dt.date(2025, 1, 21)),))
    assert queries.plan(Filters(attributes=(("plan", "gold"),))) == queries.RAW
    assert queries.plan(Filters(latest_per_customer=True)) == queries.RAW
    # Channels and languages: the unit × channel × language tables; with a touchpoint too, whole months
    # from the detail table and the edges from raw rows.
    by_channel = queries.plan(replace(filters, channels=("email",)))
    assert (by_channel.month_table, by_channel.day_table) == (cube.CHANNEL_MONTHS, cube.CHANNEL_DAYS)
    assert queries.plan(Filters(), "language").month_table == cube.CHANNEL_MONTHS
    both = queries.plan(replace(filters, channels=("email",), touchpoints=(1,)))
    assert (both.month_table, both.day_table, both.days) == (cube.DETAIL, None, ())
    assert both.raw is not None
    assert queries.plan(Filters(touchpoints=(1,)), "survey").month_table == cube.MONTHS


def tables() -> dict[str, list[tuple]]:
    """Every non-empty cell of every score-count table, in key order."""
    found = {}
    for model in (ScoreCount, DayCount, UnitMonthCount, UnitDayCount, ChannelMonthCount, ChannelDayCount, DetailCount):
        key = [f.name for f in model._meta.get_fields() if f.name not in ("id", *SCORE_COLUMNS)]
        rows = model.objects.order_by(*key).values_list(*key, *SCORE_COLUMNS)
        found[model.__name__] = [row for row in rows if any(row[len(key) :])]
    return found


def assert_tables_exact() -> None:
    """The trigger-kept tables equal a fresh count from the responses."""
    kept = tables()
    cube.rebuild()
    assert kept == tables()
    assert sum(sum(row[-11:]) for row in kept["DayCount"]) == Response.objects.filter(score__isnull=False).count()


def test_triggers_keep_the_tables_exact_through_inserts_updates_and_deletes(org) -> None:
    response = Response.objects.create(survey=org.survey, unit=org.north_1, score=4)
    response.score, response.unit = 10, org.south_1
    response.save()
    assert_tables_exact()
    response.channel, response.language = "sms", "de"  # moves between cells of the detail table only
    response.save()
    assert_tables_exact()
    response.submitted_at = timezone.now() - dt.timedelta(days=45)  # another day and month
    response.save()
    Response.objects.filter(unit=org.north_2, score=9).update(score=None)  # scores withdrawn
    Response.objects.filter(unit=org.north_2, score__isnull=True).update(score=3)  # and given again
    Response.objects.filter(unit=org.south_1, score=0).delete()
    Response.objects.bulk_create([Response(survey=org.survey, unit=org.north_2, touchpoint=org.support, score=7)])
    assert_tables_exact()


def test_raw_sql_writes_keep_the_tables_exact(org) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO collect_response (survey_id, unit_id, score, comment, answers, channel, language, "
            "external_id, submission_key, submitted_at, created_at, updated_at) "
            "SELECT survey_id, unit_id, score, '', '{}', 'sms', 'fr', '', '', submitted_at, created_at, updated_at "
            "FROM collect_response WHERE score IS NOT NULL"
        )
        cursor.execute("UPDATE collect_response SET language = 'de' WHERE score > 8")
        cursor.execute("DELETE FROM collect_response WHERE score < 2 AND channel = 'sms'")
    assert_tables_exact()


def test_erasure_and_retention_keep_the_counts_exact(org) -> None:
    from harken.contacts.erasure import do_erase_contact, do_erase_older_than

    ann = Contact.objects.create(email="ann@example.com")
    Response.objects.filter(unit=org.north_1).update(contact=ann, comment="Call me on 555-0100")
    before = everything(Filters())
    do_erase_contact(ann)
    do_erase_older_than(6)  # the 400-day-old answers lose their contact and text, not their scores
    assert_tables_exact()
    assert everything(Filters()) == before


def test_an_import_keeps_the_counts_exact(org) -> None:
    rows = [
        Response(
            survey=org.survey,
            unit=org.north_1,
            score=score,
            channel="email",
            external_id=f"crm-{score}",
            submitted_at=timezone.now() - dt.timedelta(days=score * 30),
        )
        for score in range(11)
    ]
    Response.objects.bulk_create(rows, batch_size=4)  # what harken.io.imports does, in batches
    assert_tables_exact()
    assert queries.distribution(Filters(unit=org.north_1, channels=("email",))) == [1] * 11


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


@override_settings(TIME_ZONE="Europe/Paris")
def test_days_and_months_are_cut_in_the_local_zone_by_triggers_and_rebuilds_alike(org) -> None:
    cube.rebuild()
    for stamp in ("2025-01-31 23:30", "2025-03-30 00:59", "2025-03-30 01:00", "2025-10-25 22:30", "2025-12-31 23:00"):
        when = dt.datetime.fromisoformat(stamp).replace(tzinfo=dt.UTC)
        Response.objects.create(survey=org.survey, unit=org.north_1, score=10, submitted_at=when)
    days = set(DayCount.objects.values_list("day", flat=True))
    # 23:30 UTC on 31 Jan is 1 Feb in Paris; 22:30 UTC on 25 Oct (summer time, +2) is already the 26th.
    assert {dt.date(2025, 2, 1), dt.date(2025, 3, 30), dt.date(2025, 10, 26), dt.date(2026, 1, 1)} <= days
    assert dt.date(2025, 1, 31) not in days
    assert_tables_exact()  # the rebuild computes local time in SQL, the triggers per row: same cells


def test_each_customer_counts_once_with_their_latest_answer_in_the_selection(org) -> None:
    ann, bob = Contact.objects.create(email="ann@example.com"), Contact.objects.create(email="bob@example.com")
    now = timezone.now()
    for contact, days, score, touchpoint in (
        (ann, 20, 0, org.purchase),
        (ann, 10, 10, org.delivery),  # Ann's latest overall
        (bob, 15, 9, org.purchase),  # Bob's only answer
    ):
        Response.objects.create(
            survey=org.survey,
            unit=org.south_1,
            contact=contact,
            touchpoint=touchpoint,
            score=score,
            submitted_at=now - dt.timedelta(days=days),
        )
    south_1 = Filters(unit=org.south_1, start=LAST_12_MONTHS.start)
    assert queries.total(south_1) == Counts(2, 1, 10)  # (1, 1, 8) from the fixture + 0, 10, 9
    customers = replace(south_1, latest_per_customer=True)
    assert queries.total(customers) == Counts(1, 1, 10)  # Ann's 0 is superseded by her 10
    # Within Purchase only, Ann's latest answer there is her 0.
    assert queries.total(replace(customers, touchpoints=(org.purchase.pk,))) == Counts(1, 0, 7)
    by_touchpoint = {g.label: g.counts for g in queries.nps_by("touchpoint", customers)}
    assert by_touchpoint["Purchase"] == Counts(0, 0, 7) and by_touchpoint["Delivery"] == Counts(1, 1, 3)
    assert queries.distribution(customers)[0] == 0 and sum(queries.distribution(customers)) == 12
    with CaptureQueriesContext(connection) as context:
        queries.nps_by("month", customers)
    assert len(counting_queries(context)) == 1
