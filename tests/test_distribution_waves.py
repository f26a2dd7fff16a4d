"""Relationship waves: scheduled as data, a filtered and sampled selection, spread evenly, in daytime hours."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from harken import heartbeat
from harken.contacts.models import Consent, Contact
from harken.distribution import sending, tasks, waves
from harken.distribution.models import Invitation, Wave

MONDAY_NOON = dt.datetime(2026, 6, 1, 12, tzinfo=dt.UTC)


@pytest.fixture
def customers(org: Any, settings: Any) -> list[Contact]:
    settings.QUIET_HOURS = "off"
    org.survey.min_days_between_invitations = 30
    org.survey.save()
    people = [
        Contact(
            email=f"c{n}@example.com",
            home_unit=org.north_1 if n < 8 else org.south_1,
            attributes={"plan": "gold" if n % 2 else "free"},
            time_zone="UTC",
        )
        for n in range(10)
    ]
    Contact.objects.bulk_create(people)
    Contact.objects.filter(email="c9@example.com").update(email_consent=Consent.UNSUBSCRIBED)
    return list(Contact.objects.order_by("pk"))


def wave(org: Any, **extra: Any) -> Wave:
    values = {"name": "Quarterly", "survey": org.survey, "next_run_at": MONDAY_NOON, "every_days": 91} | extra
    return Wave.objects.create(**values)


def test_a_due_wave_invites_the_filtered_selection_and_moves_to_its_next_run(
    org: Any, customers: list[Contact]
) -> None:
    w = wave(org, unit=org.north, attribute_filter={"plan": "gold"})
    assert waves.do_run_due_waves(MONDAY_NOON) == 4  # c1, c3, c5, c7 (North, gold)
    assert sorted(Invitation.objects.values_list("contact__email", flat=True)) == [
        f"c{n}@example.com" for n in (1, 3, 5, 7)
    ]
    w.refresh_from_db()
    assert (w.next_run_at, w.last_run_at) == (MONDAY_NOON + dt.timedelta(days=91), MONDAY_NOON)


def test_a_wave_is_not_run_before_it_is_due_nor_twice(org: Any, customers: list[Contact]) -> None:
    w = wave(org)
    assert waves.do_run_due_waves(MONDAY_NOON - dt.timedelta(seconds=1)) == 0
    assert waves.do_run_wave(w, MONDAY_NOON) == 9  # everyone but the unsubscribed c9
    assert waves.do_run_wave(w, MONDAY_NOON) == 0  # the same (stale) wave again: another worker ran it


def test_fatigue_rules_apply_to_waves_and_go_to_the_ledger(org: Any, customers: list[Contact]) -> None:
    Contact.objects.filter(email="c0@example.com").update(last_surveyed_at=MONDAY_NOON - dt.timedelta(days=5))
    waves.do_run_wave(wave(org), MONDAY_NOON)
    assert Invitation.objects.get(contact__email="c0@example.com").status == Invitation.Status.SUPPRESSED


def test_sampling_keeps_the_share_and_is_repeatable() -> None:
    ids = list(range(1, 101))
    assert len(waves.sample(ids, 25, "seed")) == 25
    assert waves.sample(ids, 25, "seed") == waves.sample(ids, 25, "seed")
    assert waves.sample(ids, 25, "seed") != waves.sample(ids, 25, "other")
    assert waves.sample([7], 1, "s") == [7] and waves.sample(ids, 0, "s") == []


def test_invitations_are_spread_evenly_over_the_period() -> None:
    times = waves.send_times(MONDAY_NOON, 4, 28)
    assert [t - MONDAY_NOON for t in times] == [dt.timedelta(days=d) for d in (0, 7, 14, 21)]
    assert waves.send_times(MONDAY_NOON, 3, 0) == [MONDAY_NOON] * 3


def test_sends_fall_in_the_daytime_window_of_the_contacts_time_zone() -> None:
    tokyo_night = dt.datetime(2026, 6, 1, 14, tzinfo=dt.UTC)  # 23:00 in Tokyo
    moved = waves.in_window(tokyo_night, "Asia/Tokyo", dt.time(9), dt.time(18))
    assert moved == dt.datetime(2026, 6, 2, 0, tzinfo=dt.UTC)  # 09:00 the next day in Tokyo
    assert waves.in_window(MONDAY_NOON, "UTC", dt.time(9), dt.time(18)) == MONDAY_NOON


def test_a_sampled_spread_wave_schedules_inside_the_window(org: Any, customers: list[Contact]) -> None:
    waves.do_run_wave(wave(org, sample_percent=50, spread_days=7), MONDAY_NOON)
    scheduled = sorted(Invitation.objects.values_list("scheduled_at", flat=True))
    assert len(scheduled) == 4  # 50 % of 9 = 4.5, rounded half to even
    assert all(dt.time(9) <= moment.time() < dt.time(18) for moment in scheduled)
    assert scheduled[-1] - scheduled[0] >= dt.timedelta(days=4)


def test_the_heartbeat_is_queued_once(org: Any) -> None:
    assert heartbeat.ensure_running(tasks.tick) is True
    assert heartbeat.ensure_running(tasks.tick) is False


def test_a_stuck_claim_is_released_but_a_fresh_one_is_not(org: Any, customers: list[Contact]) -> None:
    invitation = sending.do_queue_invitation(org.survey, customers[0], org.north_1)
    assert invitation is not None and sending.claim(invitation.pk, timezone.now())
    assert sending.do_release_stuck() == 0
    Invitation.objects.filter(pk=invitation.pk).update(scheduled_at=timezone.now() - dt.timedelta(hours=1))
    assert sending.do_release_stuck() == 1


def test_the_worker_runs_due_waves_from_the_heartbeat(org: Any, customers: list[Contact], run_worker: Any) -> None:
    wave(org, next_run_at=timezone.now() - dt.timedelta(minutes=1), window_start=dt.time(0), window_end=dt.time(0))
    heartbeat.ensure_running(tasks.tick)
    run_worker()
    assert Invitation.objects.count() == 9
    assert heartbeat.ensure_running(tasks.tick) is False  # the heartbeat queued its next beat
