"""Fatigue and eligibility rules on edge dates (pure functions), and the per-contact eligibility ledger."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from harken.contacts.models import Consent, Contact
from harken.distribution import fatigue, sending
from harken.distribution.fatigue import AttributeRule, Reason, after_quiet_hours, decide, gap_days
from harken.distribution.models import EligibilityEntry, FatigueRule, Invitation

LAST = dt.datetime(2026, 1, 31, 9, 30, tzinfo=dt.UTC)
ENTERPRISE = AttributeRule("segment", "Enterprise", 90)


def may_send(now: dt.datetime, last: dt.datetime | None = LAST, days: int = 30, **kwargs: Any) -> fatigue.Decision:
    values = {"consent": Consent.GRANTED, "address": "ann@example.com"} | kwargs
    return decide(now=now, last_surveyed_at=last, days=days, **values)


def test_a_contact_never_asked_is_eligible() -> None:
    assert may_send(LAST, last=None).eligible


def test_it_refuses_one_second_before_the_gap_ends_and_says_when() -> None:
    decision = may_send(LAST + dt.timedelta(days=30) - dt.timedelta(seconds=1))
    assert decision == fatigue.Decision(False, Reason.TOO_SOON, dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.UTC))


def test_it_allows_exactly_at_the_end_of_the_gap() -> None:
    assert may_send(dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.UTC)).eligible


def test_the_gap_counts_a_leap_day() -> None:
    last = dt.datetime(2028, 2, 1, tzinfo=dt.UTC)
    assert may_send(dt.datetime(2028, 3, 1, 23, 59, tzinfo=dt.UTC), last=last).reason == Reason.TOO_SOON
    assert may_send(dt.datetime(2028, 3, 2, tzinfo=dt.UTC), last=last).eligible


def test_a_zero_day_gap_allows_asking_again_at_once() -> None:
    assert may_send(LAST, days=0).eligible


def test_an_unsubscribed_contact_is_never_eligible_whatever_the_date() -> None:
    decision = may_send(LAST + dt.timedelta(days=3650), consent=Consent.UNSUBSCRIBED)
    assert decision == fatigue.Decision(False, Reason.UNSUBSCRIBED, None)


def test_a_contact_without_an_address_cannot_be_asked() -> None:
    assert may_send(LAST, last=None, address=" ").reason == Reason.NO_ADDRESS


def test_a_second_invitation_for_the_same_event_is_refused() -> None:
    assert may_send(LAST, last=None, duplicate_event=True).reason == Reason.DUPLICATE_EVENT


def test_an_attribute_rule_overrides_the_survey_and_the_default() -> None:
    assert gap_days({"segment": "enterprise"}, 14, [ENTERPRISE], 30) == 90
    assert gap_days({"segment": "smb"}, 14, [ENTERPRISE], 30) == 14
    assert gap_days({}, None, [ENTERPRISE], 30) == 30


def test_the_longest_matching_attribute_rule_wins() -> None:
    rules = [ENTERPRISE, AttributeRule("plan", "gold", 120)]
    assert gap_days({"segment": "ENTERPRISE", "plan": "Gold"}, 14, rules, 30) == 120


def test_attribute_rules_compare_numbers_as_text() -> None:
    assert AttributeRule("tier", "1", 60).matches({"tier": 1})
    assert not AttributeRule("tier", "1", 60).matches({"tier": None})


@pytest.mark.parametrize(
    ("local", "expected"),
    [
        ("2026-06-01 20:59", "2026-06-01 20:59"),  # just before quiet hours
        ("2026-06-01 21:00", "2026-06-02 08:00"),  # quiet from 21:00 …
        ("2026-06-02 03:00", "2026-06-02 08:00"),  # … through the night …
        ("2026-06-02 07:59", "2026-06-02 08:00"),
        ("2026-06-02 08:00", "2026-06-02 08:00"),  # … until 08:00 exactly
    ],
)
def test_quiet_hours_move_a_send_to_the_morning_in_the_contacts_time_zone(local: str, expected: str) -> None:
    paris = dt.timezone(dt.timedelta(hours=2))  # Europe/Paris in June
    when = dt.datetime.fromisoformat(local).replace(tzinfo=paris)
    moved = after_quiet_hours(when, "Europe/Paris", dt.time(21), dt.time(8))
    assert moved.astimezone(paris) == dt.datetime.fromisoformat(expected).replace(tzinfo=paris)


def test_quiet_hours_within_one_day_and_unknown_time_zones_use_utc() -> None:
    when = dt.datetime(2026, 6, 1, 12, 30, tzinfo=dt.UTC)
    assert after_quiet_hours(when, "Not/AZone", dt.time(12), dt.time(14)) == dt.datetime(2026, 6, 1, 14, tzinfo=dt.UTC)
    assert after_quiet_hours(when, "", dt.time(9), dt.time(9)) == when


def test_quiet_hours_across_a_daylight_saving_change() -> None:
    # 2026-03-29: clocks in Paris go from 02:00 to 03:00; 23:00 local on the 28th is 22:00 UTC.
    when = dt.datetime(2026, 3, 28, 22, tzinfo=dt.UTC)
    moved = after_quiet_hours(when, "Europe/Paris", dt.time(21), dt.time(8))
    assert moved == dt.datetime(2026, 3, 29, 6, tzinfo=dt.UTC)  # 08:00 CEST


# --- The ledger ----------------------------------------------------------------------------------------------


@pytest.fixture
def contact(org: Any) -> Contact:
    return Contact.objects.create(email="ann@example.com", name="Ann", home_unit=org.north_1, time_zone="UTC")


def test_a_skipped_send_is_written_to_the_ledger_with_the_next_eligible_date(
    org: Any, contact: Contact, settings: Any
) -> None:
    settings.QUIET_HOURS = "off"
    org.survey.min_days_between_invitations = 30
    org.survey.save()
    last = timezone.now() - dt.timedelta(days=10)
    Contact.objects.filter(pk=contact.pk).update(last_surveyed_at=last)
    contact.refresh_from_db()

    invitation = sending.do_queue_invitation(org.survey, contact, org.north_1)

    assert invitation is not None and invitation.status == Invitation.Status.SUPPRESSED
    entry = EligibilityEntry.objects.get(contact=contact)
    assert (entry.reason, entry.invitation, entry.next_eligible_at) == (
        Reason.TOO_SOON,
        invitation,
        last + dt.timedelta(days=30),
    )


def test_an_enterprise_rule_in_the_database_applies(org: Any, contact: Contact, settings: Any) -> None:
    settings.QUIET_HOURS = "off"
    FatigueRule.objects.create(attribute="segment", value="enterprise", days=90)
    org.survey.min_days_between_invitations = 30
    org.survey.save()
    contact.attributes = {"segment": "Enterprise"}
    contact.last_surveyed_at = timezone.now() - dt.timedelta(days=60)
    contact.save()

    invitation = sending.do_queue_invitation(org.survey, contact, org.north_1)

    assert invitation is not None and invitation.status == Invitation.Status.SUPPRESSED
    assert EligibilityEntry.objects.get().next_eligible_at == contact.last_surveyed_at + dt.timedelta(days=90)


def test_a_duplicate_event_creates_no_second_invitation(org: Any, contact: Contact, settings: Any) -> None:
    settings.QUIET_HOURS = "off"
    first = sending.do_queue_invitation(org.survey, contact, org.north_1, event_id="order-1")
    second = sending.do_queue_invitation(org.survey, contact, org.north_1, event_id="order-1")
    assert first is not None and second is None
    assert Invitation.objects.count() == 1
    assert EligibilityEntry.objects.get().reason == Reason.DUPLICATE_EVENT


def test_an_invitation_queued_at_night_is_due_in_the_morning(org: Any, contact: Contact, settings: Any) -> None:
    settings.QUIET_HOURS = "21:00-08:00"
    contact.time_zone = "America/New_York"
    night = dt.datetime(2026, 1, 15, 4, tzinfo=dt.UTC)  # 23:00 in New York
    invitation = sending.do_queue_invitation(org.survey, contact, org.north_1, when=night)
    assert invitation is not None
    assert invitation.scheduled_at == dt.datetime(2026, 1, 15, 13, tzinfo=dt.UTC)  # 08:00 EST


def test_a_survey_without_its_own_gap_follows_the_installation_default(
    org: Any, contact: Contact, settings: Any
) -> None:
    settings.QUIET_HOURS = "off"
    settings.FATIGUE_DAYS = 45
    assert org.survey.min_days_between_invitations is None
    contact.last_surveyed_at = timezone.now() - dt.timedelta(days=44)
    contact.save()
    invitation = sending.do_queue_invitation(org.survey, contact, org.north_1)
    assert invitation is not None and invitation.status == Invitation.Status.SUPPRESSED
    assert EligibilityEntry.objects.get().next_eligible_at == contact.last_surveyed_at + dt.timedelta(days=45)
    Contact.objects.filter(pk=contact.pk).update(last_surveyed_at=timezone.now() - dt.timedelta(days=46))
    contact.refresh_from_db()
    again = sending.do_queue_invitation(org.survey, contact, org.north_1)
    assert again is not None and again.status == Invitation.Status.SCHEDULED
