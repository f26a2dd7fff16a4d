"""Alert-rule matching and SLA due times: pure functions, values worked out by hand."""

from __future__ import annotations

import datetime as dt

import pytest

from harken.loop.rules import AttributeCondition, Conditions, Facts, keyword_hits, matches, parse_keywords
from harken.loop.sla import BusinessHours, due_at

DETRACTOR = Facts(
    score=3,
    category="detractor",
    comment="I will CANCEL and call my lawyer.",
    survey_id=1,
    unit_path="/1/2/4/",
    touchpoint_id=7,
    attributes={"revenue": "250000", "plan": "Gold"},
)


def test_an_empty_rule_matches_every_response() -> None:
    assert matches(Conditions(), DETRACTOR)


@pytest.mark.parametrize(
    ("conditions", "expected"),
    [
        (Conditions(categories=frozenset({"detractor"})), True),
        (Conditions(categories=frozenset({"promoter", "passive"})), False),
        (Conditions(max_score=3), True),
        (Conditions(max_score=2), False),
        (Conditions(min_score=4), False),
        (Conditions(survey_id=1), True),
        (Conditions(survey_id=2), False),
        (Conditions(touchpoint_id=7), True),
        (Conditions(touchpoint_id=8), False),
        (Conditions(unit_path="/1/2/"), True),  # an ancestor: the subtree includes the response's unit
        (Conditions(unit_path="/1/2/4/"), True),
        (Conditions(unit_path="/1/3/"), False),
        (Conditions(unit_path="/1/2/4/9/"), False),  # a child of the response's unit does not include it
    ],
)
def test_it_matches_score_category_survey_touchpoint_and_unit_subtree(conditions: Conditions, expected: bool) -> None:
    assert matches(conditions, DETRACTOR) is expected


def test_every_condition_must_hold() -> None:
    assert not matches(Conditions(categories=frozenset({"detractor"}), touchpoint_id=8), DETRACTOR)


def test_keywords_match_whole_words_ignoring_case() -> None:
    assert keyword_hits(["cancel", "lawyer", "refund"], DETRACTOR.comment) == ["cancel", "lawyer"]
    assert keyword_hits(["cancel"], "My order was cancelled") == []
    assert keyword_hits(["call back"], "Please CALL BACK soon") == ["call back"]
    assert matches(Conditions(keywords=("refund", "lawyer")), DETRACTOR)
    assert not matches(Conditions(keywords=("refund",)), DETRACTOR)


def test_keywords_are_read_one_a_line_or_comma_separated() -> None:
    assert parse_keywords("cancel, lawyer\n  refund \n\n") == ["cancel", "lawyer", "refund"]


def test_a_score_condition_never_matches_a_skipped_score() -> None:
    skipped = Facts(score=None, category=None, comment="", survey_id=1, unit_path="/1/")
    assert not matches(Conditions(max_score=6), skipped)
    assert not matches(Conditions(categories=frozenset({"detractor"})), skipped)


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        (AttributeCondition("revenue", ">=", 100000), True),  # "250000" compares as a number
        (AttributeCondition("revenue", ">", "250000"), False),
        (AttributeCondition("revenue", "<", 300000), True),
        (AttributeCondition("plan", "=", "gold"), True),  # text equality ignores case
        (AttributeCondition("plan", "!=", "Gold"), False),
        (AttributeCondition("plan", ">", 3), False),  # ordering text against a number never holds
        (AttributeCondition("segment", "=", "smb"), False),  # a missing attribute never holds
    ],
)
def test_contact_attribute_thresholds(condition: AttributeCondition, expected: bool) -> None:
    assert matches(Conditions(attributes=(condition,)), DETRACTOR) is expected


def test_an_unknown_operator_is_refused() -> None:
    with pytest.raises(ValueError, match="Unknown operator"):
        AttributeCondition("revenue", "~", 1)


# --- SLA due times ------------------------------------------------------------------------------------------

UTC = dt.UTC


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


def test_an_sla_inside_one_business_day_ends_the_same_day() -> None:
    # Tuesday 2026-11-24 10:00 UTC, London (UTC+0 in winter), 4 h → 14:00.
    assert due_at(at("2026-11-24T10:00+00:00"), 4, "Europe/London") == at("2026-11-24T14:00+00:00")


def test_an_sla_carries_over_the_weekend() -> None:
    # Friday 2026-11-27 16:00 Berlin (15:00 UTC), 8 h: 1 h on Friday, 7 h on Monday from 09:00 → Monday 16:00
    # Berlin = 15:00 UTC.
    assert due_at(at("2026-11-27T15:00+00:00"), 8, "Europe/Berlin") == at("2026-11-30T15:00+00:00")


def test_a_case_opened_at_the_weekend_starts_counting_on_monday_morning() -> None:
    # Saturday 2026-11-28 12:00 New York; 2 h → Monday 11:00 New York (EST, UTC−5) = 16:00 UTC.
    assert due_at(at("2026-11-28T17:00+00:00"), 2, "America/New_York") == at("2026-11-30T16:00+00:00")


def test_the_same_moment_has_different_due_times_in_different_time_zones() -> None:
    opened = at("2026-11-24T20:00+00:00")  # Tuesday: 21:00 in Berlin, 07:00 Wednesday in Sydney, 15:00 in New York
    assert due_at(opened, 1, "Europe/Berlin") == at("2026-11-25T09:00+00:00")  # Wed 10:00 Berlin
    assert due_at(opened, 1, "Australia/Sydney") == at("2026-11-24T23:00+00:00")  # Wed 10:00 Sydney (UTC+11)
    assert due_at(opened, 1, "America/New_York") == at("2026-11-24T21:00+00:00")  # Tue 16:00 New York


def test_a_long_sla_spans_several_days_and_a_weekend() -> None:
    # Thursday 2026-11-26 09:00 UTC, 24 business hours of 8 h days: Thu, Fri, Mon → Monday 17:00.
    assert due_at(at("2026-11-26T09:00+00:00"), 24, "UTC") == at("2026-11-30T17:00+00:00")


def test_local_opening_hours_hold_across_a_daylight_saving_change() -> None:
    # Friday 2026-03-27 16:00 Berlin (CET, 15:00 UTC); clocks go forward on Sunday 29 March.
    # 2 h: 1 h Friday, 1 h Monday → Monday 10:00 CEST = 08:00 UTC.
    assert due_at(at("2026-03-27T15:00+00:00"), 2, "Europe/Berlin") == at("2026-03-30T08:00+00:00")


def test_custom_business_hours_and_days() -> None:
    hours = BusinessHours(start=dt.time(8), end=dt.time(12), days=frozenset({5, 6}))  # weekend mornings only
    # Tuesday 2026-11-24 → Saturday 08:00; 6 h: 4 h Saturday, 2 h Sunday → Sunday 10:00.
    assert due_at(at("2026-11-24T10:00+00:00"), 6, "UTC", hours) == at("2026-11-29T10:00+00:00")


def test_it_refuses_a_naive_opening_time() -> None:
    with pytest.raises(ValueError, match="aware"):
        due_at(dt.datetime(2026, 11, 24, 10), 1, "UTC")
