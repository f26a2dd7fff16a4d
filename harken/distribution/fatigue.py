"""Fatigue and eligibility rules: may this contact be asked now, and if not, why and from when?

Pure functions over plain values (no database), so the edge dates can be tested exactly.

- A contact who unsubscribed from a channel is never asked on it again; one without an address on the
  channel cannot be.
- No contact is invited more than once per *gap* days across all surveys.  The gap is, from most to least
  specific: the longest matching per-attribute rule (``segment = enterprise`` → 90 days), else the survey's
  own setting, else the installation default (``HARKEN_FATIGUE_DAYS``, 30).
- The next eligible moment is exactly ``last_surveyed_at + gap days``: at that instant the contact may be
  asked again, one second earlier not.
- Quiet hours move a send to the end of the quiet period in the contact's own time zone.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.db import models


class Reason(models.TextChoices):
    """Why a send was skipped (stored in the eligibility ledger)."""

    UNSUBSCRIBED = "unsubscribed", "Unsubscribed from this channel"
    NO_ADDRESS = "no_address", "No address for this channel"
    UNDELIVERABLE = "undeliverable", "Email address bounced (undeliverable)"
    TOO_SOON = "too_soon", "Asked too recently (fatigue rule)"
    DUPLICATE_EVENT = "duplicate_event", "Already invited for this event"


@dataclass(frozen=True)
class AttributeRule:
    """Contacts whose ``attribute`` equals ``value`` (compared as text, case-insensitively) wait ``days``."""

    attribute: str
    value: str
    days: int

    def matches(self, attributes: Mapping[str, Any]) -> bool:
        """Whether a contact with these attributes falls under the rule."""
        if self.attribute not in attributes or attributes[self.attribute] is None:
            return False
        return str(attributes[self.attribute]).strip().casefold() == self.value.strip().casefold()


@dataclass(frozen=True)
class Decision:
    """The outcome for one contact: eligible, or the reason and the next eligible moment (``None``: never)."""

    eligible: bool
    reason: str = ""
    next_eligible_at: dt.datetime | None = None


ELIGIBLE = Decision(eligible=True)


def gap_days(
    attributes: Mapping[str, Any], survey_days: int | None, rules: Iterable[AttributeRule], default: int
) -> int:
    """Days between two invitations of a contact: longest matching attribute rule, else survey, else default."""
    matching = [rule.days for rule in rules if rule.matches(attributes)]
    if matching:
        return max(matching)
    return default if survey_days is None else survey_days


def next_eligible_at(last_surveyed_at: dt.datetime | None, days: int) -> dt.datetime | None:
    """When a contact last asked at ``last_surveyed_at`` may be asked again (``None``: right away)."""
    if last_surveyed_at is None:
        return None
    return last_surveyed_at + dt.timedelta(days=days)


def decide(
    *,
    now: dt.datetime,
    consent: str,
    address: str,
    last_surveyed_at: dt.datetime | None,
    days: int,
    duplicate_event: bool = False,
    undeliverable: bool = False,
) -> Decision:
    """Whether a contact may be sent an invitation at ``now`` on a channel with this consent and address
    (``undeliverable``: the address hard-bounced before)."""
    if consent == "unsubscribed":
        return Decision(False, Reason.UNSUBSCRIBED.value, None)
    if not address.strip():
        return Decision(False, Reason.NO_ADDRESS.value, None)
    if undeliverable:
        return Decision(False, Reason.UNDELIVERABLE.value, None)
    if duplicate_event:
        return Decision(False, Reason.DUPLICATE_EVENT.value, next_eligible_at(last_surveyed_at, days))
    next_at = next_eligible_at(last_surveyed_at, days)
    if next_at is not None and now < next_at:
        return Decision(False, Reason.TOO_SOON.value, next_at)
    return ELIGIBLE


def after_quiet_hours(when: dt.datetime, time_zone: str, start: dt.time, end: dt.time) -> dt.datetime:
    """``when``, or the end of the quiet period it falls in, in the contact's time zone (UTC if unknown).

    The quiet period runs from ``start`` (inclusive) to ``end`` (exclusive) and may span midnight
    (21:00–08:00).  Equal ``start`` and ``end`` mean no quiet hours.
    """
    if start == end:
        return when
    try:
        zone: dt.tzinfo = zoneinfo.ZoneInfo(time_zone) if time_zone else dt.UTC
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = dt.UTC
    local = when.astimezone(zone)
    clock = local.time().replace(tzinfo=None)
    spans_midnight = start > end
    quiet = (clock >= start or clock < end) if spans_midnight else (start <= clock < end)
    if not quiet:
        return when
    day = local.date() + dt.timedelta(days=1) if spans_midnight and clock >= start else local.date()
    wake = dt.datetime.combine(day, end).replace(tzinfo=zone)
    # A wall-clock time that does not exist (a DST gap) is normalised by the round trip through UTC.
    return wake.astimezone(dt.UTC).astimezone(when.tzinfo or dt.UTC)


def parse_clock(value: str) -> dt.time:
    """``"21:00"`` as a time; raises ``ValueError`` for anything else."""
    hours, _, minutes = value.strip().partition(":")
    return dt.time(int(hours), int(minutes or 0))
