"""Customer events (renewals, churn, purchases) and the NPS economics computed from them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone
from ninja import Query, Router, Schema, Status
from pydantic import Field

from harken.api.auth import WRITE, check_can_write_unit, user_of
from harken.api.errors import field_error
from harken.api.filters import FilterParams, build_filters
from harken.api.pagination import PageParams, paginate
from harken.api.routers.people import visible_contacts
from harken.api.types import Id
from harken.integrations.economics import accounts_at_risk, outcomes
from harken.integrations.models import CustomerEvent
from harken.org.scoping import scope_to_user

router = Router(tags=["NPS economics"])


class CustomerEventOut(Schema):
    id: int
    contact_id: int
    kind: str
    occurred_at: dt.datetime
    value: Decimal | None
    currency: str
    external_id: str
    source: str
    created_at: dt.datetime


class CustomerEventIn(Schema):
    contact_id: Id
    kind: CustomerEvent.Kind
    occurred_at: dt.datetime
    value: Decimal | None = Field(None, ge=-(10**12), le=10**12, decimal_places=2)
    currency: str = Field("", max_length=3)
    external_id: str = Field("", max_length=120, description="Your id; a second event with it is refused.")
    source: str = Field("api", max_length=50)


class CustomerEventPage(Schema):
    items: list[CustomerEventOut]
    next_cursor: str | None


class EventFilter(Schema):
    contact: Id | None = None
    kind: CustomerEvent.Kind | None = None


@router.get("/customer-events", response=CustomerEventPage, summary="Customer events of contacts you may see")
def list_events(request: HttpRequest, page: Query[PageParams], where: Query[EventFilter]) -> dict[str, object]:
    events = scope_to_user(CustomerEvent.objects.all(), user_of(request), "contact__home_unit")
    if where.contact is not None:
        events = events.filter(contact_id=where.contact)
    if where.kind is not None:
        events = events.filter(kind=where.kind)
    items, cursor = paginate(events, page)
    return {"items": items, "next_cursor": cursor}


@router.post("/customer-events", response={201: CustomerEventOut}, auth=WRITE, summary="Record a customer event")
def create_event(request: HttpRequest, payload: CustomerEventIn) -> Status[CustomerEvent]:
    user = user_of(request)
    contact = visible_contacts(user).select_related("home_unit").filter(pk=payload.contact_id).first()
    if contact is None:
        raise field_error("contact_id", f"No contact {payload.contact_id} that you may see.")
    if contact.home_unit is not None:
        check_can_write_unit(user, contact.home_unit)
    if payload.external_id and CustomerEvent.objects.filter(external_id=payload.external_id).exists():
        raise field_error("external_id", "An event with this external id exists already.", status=409)
    occurred_at = payload.occurred_at
    if timezone.is_naive(occurred_at):
        occurred_at = timezone.make_aware(occurred_at)
    event = CustomerEvent.objects.create(
        contact=contact,
        kind=payload.kind,
        occurred_at=occurred_at,
        value=payload.value,
        currency=payload.currency.upper(),
        external_id=payload.external_id,
        source=payload.source,
    )
    return Status(201, event)


class EstimateOut(Schema):
    value: float | None
    standard_error: float | None
    low: float | None
    high: float | None


class OutcomeOut(Schema):
    category: str
    n: int
    churned: int
    renewed: int
    churn_rate: EstimateOut
    renewal_rate: EstimateOut
    revenue: EstimateOut = Field(description="Mean revenue per customer over the horizon.")


class EconomicsOut(Schema):
    horizon_days: int
    confidence: float
    outcomes: list[OutcomeOut]
    detractor_to_passive: EstimateOut = Field(description="Revenue gained per customer moved (passive − detractor).")
    passive_to_promoter: EstimateOut
    churn_detractor_minus_passive: EstimateOut
    churn_passive_minus_promoter: EstimateOut


class EconomicsParams(Schema):
    months: int = Field(12, ge=1, le=60, description="Months after each answer to look at.")


@router.get("/analytics/economics", response=EconomicsOut, summary="Churn, renewal and revenue by NPS category")
def economics(request: HttpRequest, params: Query[EconomicsParams], filters: Query[FilterParams]) -> object:
    """Responses with a contact in the filtered period, and what those customers did in the following months
    (see harken/integrations/economics.py for the formulas)."""
    user = user_of(request)
    return outcomes(build_filters(filters, user), user, params.months, settings.CONFIDENCE)


class AtRiskOut(Schema):
    contact_id: int
    name: str
    external_id: str
    score: int
    answered_at: dt.datetime
    value: Decimal


class AtRiskParams(Schema):
    limit: int = Field(50, ge=1, le=500)


@router.get("/analytics/accounts-at-risk", response=list[AtRiskOut], summary="Detractors with the most revenue")
def at_risk(request: HttpRequest, params: Query[AtRiskParams]) -> object:
    """Contacts whose latest answer is a detractor's, by revenue in the last 12 months."""
    return accounts_at_risk(user_of(request), limit=params.limit)
