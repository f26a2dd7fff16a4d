"""NPS economics: what customers in each NPS category did in the months after they answered.

For every scored response with a known contact, look at that contact's ``CustomerEvent`` rows in the
*horizon* after the response (default 12 months): did they churn, did they renew, how much did they spend.
One grouped SQL query returns per category: n, churned, renewed, Σ revenue and Σ revenue² — never rows.

Statistics (pure functions below, formulas in the docstrings):

* a rate p = k / n with the Wilson score interval;
* mean revenue m = Σx / n, sample variance s² = (Σx² − n·m²) / (n − 1), SE = s / √n, interval m ± z·SE;
* the value of moving one customer from category A to the better category B: Δ = m_B − m_A with
  SE = √(SE_A² + SE_B²) and interval Δ ± z·SE (two independent groups; normal approximation).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import (
    Count,
    DecimalField,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from harken.analytics.nps import Category, z_value
from harken.analytics.queries import Filters
from harken.collect.models import Response
from harken.contacts.models import Contact
from harken.integrations.models import CustomerEvent
from harken.io.selection import matching_responses
from harken.loop.models import Case, Status
from harken.org.scoping import scope_to_user


def money() -> DecimalField:
    """The type of sums of money in queries."""
    return DecimalField(max_digits=20, decimal_places=2)


REVENUE_KINDS = (CustomerEvent.Kind.PURCHASE, CustomerEvent.Kind.RENEWAL, CustomerEvent.Kind.UPGRADE)


@dataclass(frozen=True)
class Estimate:
    """A value with its standard error and interval; all None when there is no data."""

    value: float | None
    standard_error: float | None
    low: float | None
    high: float | None


NO_ESTIMATE = Estimate(None, None, None, None)


def wilson(k: int, n: int, confidence: float) -> Estimate:
    """Rate p = k/n with the Wilson score interval (centre (p + z²/2n) / (1 + z²/n), half-width
    z·√(p(1−p)/n + z²/4n²) / (1 + z²/n)); SE = √(p(1−p)/n).  None when n = 0."""
    if n == 0:
        return NO_ESTIMATE
    p, z = k / n, z_value(confidence)
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    return Estimate(p, math.sqrt(p * (1 - p) / n), max(0.0, centre - half), min(1.0, centre + half))


def mean(total: float, squares: float, n: int, confidence: float) -> Estimate:
    """Mean m = Σx/n, SE = √(s²/n) with s² = (Σx² − n·m²)/(n − 1); interval m ± z·SE.  None when n = 0;
    SE and interval None when n = 1."""
    if n == 0:
        return NO_ESTIMATE
    m = total / n
    if n == 1:
        return Estimate(m, None, None, None)
    variance = max(0.0, (squares - n * m * m) / (n - 1))
    se = math.sqrt(variance / n)
    z = z_value(confidence)
    return Estimate(m, se, m - z * se, m + z * se)


def difference(better: Estimate, worse: Estimate, confidence: float) -> Estimate:
    """Δ = better − worse, SE = √(SE₁² + SE₂²), interval Δ ± z·SE."""
    if better.value is None or worse.value is None:
        return NO_ESTIMATE
    delta = better.value - worse.value
    if better.standard_error is None or worse.standard_error is None:
        return Estimate(delta, None, None, None)
    se = math.hypot(better.standard_error, worse.standard_error)
    z = z_value(confidence)
    return Estimate(delta, se, delta - z * se, delta + z * se)


@dataclass(frozen=True)
class Outcome:
    """What the customers of one category did over the horizon."""

    category: str
    n: int
    churned: int
    renewed: int
    churn_rate: Estimate
    renewal_rate: Estimate
    revenue: Estimate


@dataclass(frozen=True)
class Economics:
    """The report: outcomes per category and the value of moving a customer up one category."""

    horizon_days: int
    confidence: float
    outcomes: list[Outcome]
    detractor_to_passive: Estimate
    passive_to_promoter: Estimate
    churn_detractor_minus_passive: Estimate
    churn_passive_minus_promoter: Estimate


def horizon(months: int) -> dt.timedelta:
    """A horizon of whole months as days (365.25 / 12 per month)."""
    return dt.timedelta(days=round(months * 365.25 / 12))


def _events(kind_filter: Q, after: dt.timedelta) -> QuerySet[CustomerEvent]:
    return CustomerEvent.objects.filter(
        kind_filter,
        contact_id=OuterRef("contact_id"),
        occurred_at__gt=OuterRef("submitted_at"),
        occurred_at__lte=OuterRef("submitted_at") + Value(after),
    )


def outcomes(
    filters: Filters, user: AbstractBaseUser | AnonymousUser | None, months: int = 12, confidence: float = 0.95
) -> Economics:
    """Outcomes per category from one grouped query, and the value of moving customers up."""
    after = horizon(months)
    revenue = (
        _events(Q(kind__in=REVENUE_KINDS, value__isnull=False), after)
        .order_by()
        .values("contact_id")
        .annotate(total=Sum("value"))
        .values("total")
    )
    base = matching_responses(filters, user).filter(score__isnull=False, contact__isnull=False)
    rows = (
        base.annotate(
            churned=Exists(_events(Q(kind=CustomerEvent.Kind.CHURN), after)),
            renewed=Exists(_events(Q(kind=CustomerEvent.Kind.RENEWAL), after)),
            revenue=Coalesce(Subquery(revenue, output_field=money()), Value(Decimal(0)), output_field=money()),
        )
        .order_by()
        .values("category")
        .annotate(
            n=Count("id"),
            n_churned=Count("id", filter=Q(churned=True)),
            n_renewed=Count("id", filter=Q(renewed=True)),
            revenue_sum=Sum("revenue"),
            revenue_squares=Sum(F("revenue") * F("revenue")),
        )
    )
    found = {row["category"]: row for row in rows}
    results = []
    for category in (Category.DETRACTOR, Category.PASSIVE, Category.PROMOTER):
        row = found.get(
            category.value, {"n": 0, "n_churned": 0, "n_renewed": 0, "revenue_sum": 0, "revenue_squares": 0}
        )
        n = row["n"]
        results.append(
            Outcome(
                category=category.value,
                n=n,
                churned=row["n_churned"],
                renewed=row["n_renewed"],
                churn_rate=wilson(row["n_churned"], n, confidence),
                renewal_rate=wilson(row["n_renewed"], n, confidence),
                revenue=mean(float(row["revenue_sum"] or 0), float(row["revenue_squares"] or 0), n, confidence),
            )
        )
    detractor, passive, promoter = results
    return Economics(
        horizon_days=after.days,
        confidence=confidence,
        outcomes=results,
        detractor_to_passive=difference(passive.revenue, detractor.revenue, confidence),
        passive_to_promoter=difference(promoter.revenue, passive.revenue, confidence),
        churn_detractor_minus_passive=difference(detractor.churn_rate, passive.churn_rate, confidence),
        churn_passive_minus_promoter=difference(passive.churn_rate, promoter.churn_rate, confidence),
    )


@dataclass(frozen=True)
class AtRisk:
    """A contact whose latest answer was a detractor's, with their recent value."""

    contact_id: int
    name: str
    external_id: str
    score: int
    answered_at: dt.datetime
    value: Decimal


def accounts_at_risk(
    user: AbstractBaseUser | AnonymousUser | None, limit: int = 50, lookback_months: int = 12
) -> list[AtRisk]:
    """Detractors with high value and no closed case: contacts whose latest scored response is 0–6 and has
    no closed case, ordered by the revenue of their events in the last ``lookback_months``.  One query."""
    since = timezone.now() - horizon(lookback_months)
    latest = Response.objects.filter(contact_id=OuterRef("pk"), score__isnull=False).order_by("-submitted_at", "-id")
    closed = Case.objects.filter(response_id=OuterRef("latest_id"), status=Status.CLOSED)
    value = (
        CustomerEvent.objects.filter(contact_id=OuterRef("pk"), kind__in=REVENUE_KINDS, occurred_at__gte=since)
        .order_by()
        .values("contact_id")
        .annotate(total=Sum("value"))
        .values("total")
    )
    contacts = Contact.objects.all() if user is None else scope_to_user(Contact.objects.all(), user, "home_unit")
    rows = (
        contacts.annotate(
            latest_id=Subquery(latest.values("id")[:1]),
            last_score=Subquery(latest.values("score")[:1]),
            answered_at=Subquery(latest.values("submitted_at")[:1]),
            value=Coalesce(Subquery(value, output_field=money()), Value(Decimal(0)), output_field=money()),
        )
        .filter(last_score__lte=6)
        .exclude(Exists(closed))
        .order_by("-value", "pk")[:limit]
    )
    return [AtRisk(row.pk, str(row), row.external_id, row.last_score, row.answered_at, row.value) for row in rows]
