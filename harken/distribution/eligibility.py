"""Applying the fatigue rules (``fatigue.py``) to a contact in the database, and the eligibility ledger."""

from __future__ import annotations

import datetime as dt

from django.conf import settings

from harken.contacts.models import Contact
from harken.distribution import fatigue
from harken.distribution.models import Channel, EligibilityEntry, FatigueRule, Invitation
from harken.surveys.models import Survey


def address_of(contact: Contact, channel: str) -> str:
    """The contact's address on ``channel`` (email or phone); empty when it has none."""
    return contact.phone if channel == Channel.SMS else contact.email


def consent_of(contact: Contact, channel: str) -> str:
    """The contact's consent state on ``channel``."""
    return contact.sms_consent if channel == Channel.SMS else contact.email_consent


def attribute_rules() -> list[fatigue.AttributeRule]:
    """Every per-attribute fatigue rule."""
    return [fatigue.AttributeRule(r.attribute, r.value, r.days) for r in FatigueRule.objects.all()]


def gap_days_for(contact: Contact, survey: Survey, rules: list[fatigue.AttributeRule] | None = None) -> int:
    """The fatigue gap, in days, that applies to ``contact`` for ``survey``."""
    rules = attribute_rules() if rules is None else rules
    return fatigue.gap_days(contact.attributes or {}, survey.min_days_between_invitations, rules, settings.FATIGUE_DAYS)


def check_eligibility(
    contact: Contact,
    survey: Survey,
    channel: str,
    now: dt.datetime,
    *,
    event_id: str = "",
    rules: list[fatigue.AttributeRule] | None = None,
) -> fatigue.Decision:
    """May ``contact`` be sent ``survey`` on ``channel`` at ``now``?"""
    duplicate = bool(event_id) and Invitation.objects.filter(event_id=event_id).exists()
    return fatigue.decide(
        now=now,
        consent=consent_of(contact, channel),
        address=address_of(contact, channel),
        last_surveyed_at=contact.last_surveyed_at,
        days=gap_days_for(contact, survey, rules),
        duplicate_event=duplicate,
        undeliverable=channel == Channel.EMAIL and contact.email_undeliverable,
    )


def next_eligible_for(contact: Contact, survey: Survey, channel: str = Channel.EMAIL) -> dt.datetime | None:
    """When ``contact`` may next be asked ``survey`` (``None``: now, or never if unsubscribed — see consent)."""
    return fatigue.next_eligible_at(contact.last_surveyed_at, gap_days_for(contact, survey))


def do_record_skip(
    contact: Contact,
    survey: Survey,
    channel: str,
    decision: fatigue.Decision,
    now: dt.datetime,
    invitation: Invitation | None = None,
) -> EligibilityEntry:
    """Write a skipped send into the contact's eligibility ledger."""
    return EligibilityEntry.objects.create(
        contact=contact,
        survey=survey,
        invitation=invitation,
        channel=channel,
        reason=decision.reason,
        next_eligible_at=decision.next_eligible_at,
        decided_at=now,
    )
