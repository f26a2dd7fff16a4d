"""Relationship waves: a survey sent on a schedule to a sampled selection of contacts, spread over a period.

The worker runs ``do_run_due_waves`` from the ``tick`` task; a wave is claimed by moving its ``next_run_at``
on with a conditional update, so two workers never run the same wave twice.
"""

from __future__ import annotations

import datetime as dt
import random

from django.db.models import QuerySet
from django.utils import timezone

from harken.contacts.models import Consent, Contact
from harken.distribution import fatigue, sending
from harken.distribution.models import Wave


def selection(wave: Wave) -> QuerySet[Contact]:
    """The contacts a wave is for: under its unit, matching its attribute filter, with an email, subscribed."""
    contacts = Contact.objects.exclude(email="").exclude(email_consent=Consent.UNSUBSCRIBED)
    if wave.unit is not None:
        contacts = contacts.filter(home_unit__path__startswith=wave.unit.path)
    for name, value in (wave.attribute_filter or {}).items():
        contacts = contacts.filter(**{f"attributes__{name}": value})
    return contacts.select_related("home_unit").order_by("pk")


def sample(ids: list[int], percent: int, seed: str) -> list[int]:
    """``percent`` % of ``ids`` (rounded to nearest, at least one if any), the same for the same seed."""
    if percent >= 100 or not ids:
        return ids
    count = max(1, round(len(ids) * percent / 100)) if percent > 0 else 0
    return sorted(random.Random(seed).sample(ids, count))


def send_times(start: dt.datetime, count: int, spread_days: int) -> list[dt.datetime]:
    """``count`` moments spread evenly from ``start`` over ``spread_days`` (all at ``start`` when 0)."""
    if spread_days <= 0 or count <= 1:
        return [start] * count
    step = dt.timedelta(days=spread_days) / count
    return [start + step * index for index in range(count)]


def in_window(when: dt.datetime, time_zone: str, start: dt.time, end: dt.time) -> dt.datetime:
    """``when``, or the next opening of the daytime window ``start``–``end`` in the contact's time zone."""
    return fatigue.after_quiet_hours(when, time_zone, end, start)


def do_run_wave(wave: Wave, now: dt.datetime) -> int:
    """Queue one run of a due wave; returns how many invitations it queued (0 if another worker took it)."""
    claimed = Wave.objects.filter(pk=wave.pk, is_active=True, next_run_at=wave.next_run_at, next_run_at__lte=now)
    if not claimed.update(next_run_at=wave.next_run_at + dt.timedelta(days=wave.every_days), last_run_at=now):
        return 0
    contacts = {contact.pk: contact for contact in selection(wave)}
    chosen = sample(list(contacts), wave.sample_percent, f"{wave.pk}:{wave.next_run_at.isoformat()}")
    queued = 0
    for contact_id, when in zip(chosen, send_times(now, len(chosen), wave.spread_days), strict=True):
        contact = contacts[contact_id]
        unit = contact.home_unit or wave.unit
        if unit is None:
            continue
        due = in_window(when, contact.time_zone, wave.window_start, wave.window_end)
        invitation = sending.do_queue_invitation(wave.survey, contact, unit, when=due)
        queued += invitation is not None and invitation.status == invitation.Status.SCHEDULED
    return queued


def do_run_due_waves(now: dt.datetime | None = None) -> int:
    """Run every active wave whose ``next_run_at`` has come; returns the invitations queued."""
    now = now or timezone.now()
    due = Wave.objects.filter(is_active=True, next_run_at__lte=now).select_related("survey", "unit")
    return sum(do_run_wave(wave, now) for wave in due)
