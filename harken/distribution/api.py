"""API of sending: a contact's eligibility ledger (why sends were skipped, and when they may be asked again),
touchpoint events, response rates, and bounce reports."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, File, Query, Router, Schema
from ninja.files import UploadedFile
from ninja.security import HttpBasicAuth

from harken.analytics import periods
from harken.api.auth import READ, WRITE, KeyAuth, check_administrator, user_of
from harken.api.errors import ApiError, not_found
from harken.api.models import ApiKey, Scope
from harken.api.routers.people import visible_contacts
from harken.dashboards import selection
from harken.distribution import bounces, rates, tracking, triggers
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


# --- Response rates ------------------------------------------------------------------------------------------


class FunnelOut(Schema):
    sent: int = Field(..., description="Handed to the mail server or SMS provider in the period.")
    delivered: int = Field(..., description="Accepted by the mail server or provider.")
    opened: int = Field(..., description="Open pixel loaded, a link clicked, or answered (lower bound without pixel).")
    clicked: int = Field(
        ..., description="A tracked link (score button, survey link, SMS short link) followed, or answered."
    )
    answered: int
    bounced: int = Field(..., description="Hard bounces.")
    deferred: int = Field(..., description="Soft bounces (the receiving server is still trying).")
    response_rate: float | None = Field(..., description="answered / sent; null when nothing was sent.")
    bounce_rate: float | None = Field(..., description="bounced / sent; null when nothing was sent.")


class RateRowOut(Schema):
    id: int | None = Field(..., description="The survey, touchpoint or unit id (null: no touchpoint).")
    name: str
    funnel: FunnelOut


class RatesOut(Schema):
    period_start: dt.date | None
    period_end: dt.date | None
    group: str
    total: FunnelOut
    rows: list[RateRowOut]


def _funnel_out(funnel: rates.Funnel) -> FunnelOut:
    return FunnelOut(
        **{name: getattr(funnel, name) for name in rates.COUNTS},
        response_rate=funnel.response_rate,
        bounce_rate=funnel.bounce_rate,
    )


class RatesQuery(Schema):
    group: Literal["survey", "touchpoint", "unit"] = "survey"
    period: str = Field(periods.DEFAULT, description=f"One of {', '.join(periods.PRESETS)} (custom: give from, to).")
    from_: dt.date | None = Field(None, alias="from", description="First day of a custom period.")
    to: dt.date | None = Field(None, description="Last day of a custom period.")
    unit: int | None = Field(None, description="Only this unit and the units below it.")
    survey: list[int] = Field(default_factory=list, description="Only these surveys.")
    touchpoint: list[int] = Field(default_factory=list, description="Only these touchpoints.")
    channel: list[Literal["email", "sms"]] = Field(default_factory=list, description="Only these channels.")


@router.get(
    "/response-rates",
    response=RatesOut,
    auth=READ,
    summary="Sent → delivered → opened → clicked → answered, and bounces, per survey, touchpoint or unit",
)
def response_rates(request: HttpRequest, where: Query[RatesQuery]) -> RatesOut:
    """Invitations sent in the period (calendar days in the installation's time zone) about the units the caller
    may see; every count is of invitations that reached at least that stage.  Same numbers as the Response
    rates page."""
    user = user_of(request)
    chosen = selection.read(request.GET, user)
    if chosen.problems:
        raise ApiError(422, " ".join(chosen.problems))
    filters = chosen.filters()
    return RatesOut(
        period_start=filters.start,
        period_end=filters.end,
        group=where.group,
        total=_funnel_out(rates.total(filters, user)),
        rows=[
            RateRowOut(id=row.key, name=row.label, funnel=_funnel_out(row.funnel))
            for row in rates.by(where.group, filters, user)
        ],
    )


# --- Bounces -----------------------------------------------------------------------------------------------


class BasicKeyAuth(HttpBasicAuth):
    """HTTP Basic with an API key as the password, for mail providers that put credentials in the hook's URL
    (``https://bounces:hk_…@harken.example.com/api/v1/bounces``)."""

    def authenticate(self, request: HttpRequest, username: str, password: str) -> ApiKey | None:
        return KeyAuth(Scope.WRITE).authenticate(request, password)


class BounceOut(Schema):
    invitation_id: int
    bounce: str = Field(..., description="hard, soft (deferred) or empty when the report is not a bounce.")
    status: str = Field(..., description="The RFC 3463 status code of the report, e.g. 5.1.1.")
    recipient: str
    reason: str


@router.post(
    "/bounces",
    response=BounceOut,
    auth=[KeyAuth(Scope.WRITE), BasicKeyAuth()],
    summary="Report a bounce: the raw RFC 3464 delivery-status message sent back to an invitation's bounce address",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"message/rfc822": {"schema": {"type": "string", "format": "binary"}}},
        }
    },
)
def post_bounce(request: HttpRequest) -> BounceOut:
    """Point your mail provider's inbound hook (or a pipe from the bounce mailbox) here with the raw message as
    the body.  A hard bounce marks the invitation bounced and the contact's address undeliverable; a delayed
    report marks it deferred.  Needs an API key with the write scope of an administrator of the whole
    organisation (Bearer, or as the password of HTTP Basic)."""
    check_administrator(user_of(request), shared=True)
    try:
        report = bounces.read_report(request.body)
    except bounces.BounceError as exc:
        raise ApiError(422, str(exc), field="body") from None
    if report.kind and not tracking.do_record_bounce(report.invitation_id, report.kind == "hard", report.reason):
        raise not_found("invitation")
    return BounceOut(
        invitation_id=report.invitation_id,
        bounce=report.kind,
        status=report.status,
        recipient=report.recipient,
        reason=report.reason,
    )
