"""API of sending: a contact's eligibility ledger (why sends were skipped, and when they may be asked again)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Field, File, Router, Schema
from ninja.files import UploadedFile

from harken.api.auth import WRITE, user_of
from harken.api.errors import ApiError, not_found
from harken.api.routers.people import visible_contacts
from harken.distribution import triggers
from harken.distribution.eligibility import next_eligible_for
from harken.distribution.models import EligibilityEntry
from harken.io.tables import FileError, read_table
from harken.surveys.models import Survey

router = Router(tags=["contacts and invitations"])


class LedgerEntryOut(Schema):
    survey_id: int
    invitation_id: int | None
    channel: str
    reason: str
    next_eligible_at: dt.datetime | None
    decided_at: dt.datetime


class EligibilityOut(Schema):
    contact_id: int
    email_consent: str
    sms_consent: str
    last_surveyed_at: dt.datetime | None
    next_eligible_at: dt.datetime | None
    skipped: list[LedgerEntryOut]


@router.get(
    "/contacts/{contact_id}/eligibility",
    response=EligibilityOut,
    summary="A contact's eligibility ledger: skipped sends, why, and the next eligible date",
)
def contact_eligibility(request: HttpRequest, contact_id: int, survey_id: int | None = None) -> EligibilityOut:
    """The last 100 skipped sends of a contact, and when the contact may next be asked (for ``survey_id``,
    else the first active survey; ``null`` means now, or never while unsubscribed)."""
    contact = visible_contacts(user_of(request)).filter(pk=contact_id).first()
    if contact is None:
        raise not_found("contact")
    survey = Survey.objects.filter(pk=survey_id).first() if survey_id else Survey.objects.filter(is_active=True).first()
    entries = EligibilityEntry.objects.filter(contact=contact)[:100]
    return EligibilityOut(
        contact_id=contact.pk,
        email_consent=contact.email_consent,
        sms_consent=contact.sms_consent,
        last_surveyed_at=contact.last_surveyed_at,
        next_eligible_at=next_eligible_for(contact, survey) if survey else None,
        skipped=[LedgerEntryOut.model_validate(entry, from_attributes=True) for entry in entries],
    )


class TouchpointEventIn(Schema):
    event_id: str = Field(..., min_length=1, max_length=120, description="Your id of the event; repeats are ignored.")
    touchpoint: str = Field(..., description="The touchpoint's slug, e.g. delivery.")
    unit_id: int
    email: str = ""
    phone: str = ""
    external_id: str = Field("", description="The customer's id in your system.")
    name: str = ""
    language: str = ""
    time_zone: str = ""
    employee_id: int | None = None
    occurred_at: dt.datetime | None = Field(None, description="When it happened; the delay counts from here.")
    context: dict[str, Any] = Field(default_factory=dict, description="Order id, ticket id … kept on the invitation.")


class TouchpointEventsIn(Schema):
    events: list[TouchpointEventIn] = Field(..., min_length=1, max_length=1000)


class EventResultOut(Schema):
    event_id: str
    status: str = Field(..., description="queued, suppressed (fatigue or consent rules), duplicate or error.")
    invitation_id: int | None
    scheduled_at: dt.datetime | None
    message: str
    line: int | None


class EventResultsOut(Schema):
    results: list[EventResultOut]


def _out(results: list[triggers.EventResult]) -> EventResultsOut:
    return EventResultsOut(results=[EventResultOut(**result.__dict__) for result in results])


@router.post(
    "/touchpoint-events",
    response=EventResultsOut,
    auth=WRITE,
    summary="Report touchpoint events (order delivered, ticket closed …) that trigger survey invitations",
)
def post_touchpoint_events(request: HttpRequest, payload: TouchpointEventsIn) -> EventResultsOut:
    """Each event is checked and recorded on its own; the results are in the order of the events."""
    events = [triggers.TouchpointEvent(**event.dict()) for event in payload.events]
    return _out(triggers.do_record_events(user_of(request), events))


@router.post(
    "/touchpoint-events/file",
    response=EventResultsOut,
    auth=WRITE,
    summary="Upload touchpoint events as CSV or XLSX (columns event_id, touchpoint, unit_id, email …)",
)
def upload_touchpoint_events(request: HttpRequest, file: File[UploadedFile]) -> EventResultsOut:
    """Rows that cannot be read are reported with their line; other columns become the invitation's context."""
    try:
        table = read_table(file.read(), file.name or "events.csv")
    except FileError as exc:
        raise ApiError(422, str(exc)) from None
    events, lines, errors = triggers.events_from_table(table)
    results = triggers.do_record_events(user_of(request), events, lines)
    return _out(sorted(errors + results, key=lambda result: result.line or 0))
