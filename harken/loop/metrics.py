"""Close-the-loop metrics per unit or per month, over the cases a user may see.

* contacted within SLA = detractor cases whose first contact came before the due time ÷ detractor cases;
* median hours from opening to first contact, and to closing;
* recovery: closed cases whose customer answered again afterwards (re-surveyed), and how many of those moved
  up a category (detractor → passive/promoter, passive → promoter).

Counts are aggregated in SQL with one grouped query; the medians need the durations of the group's cases
(cases, not responses: a few per detractor), taken in one query as well.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.db import models
from django.db.models import (
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import TruncMonth

from harken.collect.models import Response
from harken.loop.models import Case, Status

GROUPS = {"unit": "unit_id", "month": "month", "all": "everything"}


@dataclass(frozen=True)
class LoopMetrics:
    """Close-the-loop numbers of one group (a unit id or a month); ``None`` where there is nothing to measure."""

    group: Any
    cases: int
    detractor_cases: int
    contacted_within_sla: int
    contacted: int
    closed: int
    resurveyed: int
    recovered: int
    median_hours_to_first_contact: float | None
    median_hours_to_close: float | None

    @property
    def share_contacted_within_sla(self) -> float | None:
        """Detractor cases contacted within SLA ÷ detractor cases, or None without detractor cases."""
        return self.contacted_within_sla / self.detractor_cases if self.detractor_cases else None

    @property
    def recovery_rate(self) -> float | None:
        """Re-surveyed customers who moved up a category ÷ re-surveyed customers, or None without any."""
        return self.recovered / self.resurveyed if self.resurveyed else None

    @property
    def percent_within_sla(self) -> float | None:
        """``share_contacted_within_sla`` in percent with one decimal, as pages and exports show it."""
        share = self.share_contacted_within_sla
        return None if share is None else round(100 * share, 1)

    @property
    def percent_recovered(self) -> float | None:
        """``recovery_rate`` in percent with one decimal, as pages and exports show it."""
        rate = self.recovery_rate
        return None if rate is None else round(100 * rate, 1)


def _rank(score_field: str) -> models.Case:
    """0 for a detractor score, 1 passive, 2 promoter (NULL without a score)."""
    return models.Case(
        When(**{f"{score_field}__lte": 6}, then=Value(0)),
        When(**{f"{score_field}__lte": 8}, then=Value(1)),
        When(**{f"{score_field}__isnull": False}, then=Value(2)),
        default=None,
        output_field=IntegerField(),
    )


def _annotated(cases: QuerySet[Case]) -> QuerySet[Case]:
    next_score = (
        Response.objects.filter(contact_id=OuterRef("response__contact_id"), submitted_at__gt=OuterRef("closed_at"))
        .exclude(score__isnull=True)
        .order_by("submitted_at")
        .values("score")[:1]
    )
    return cases.annotate(
        everything=Value(1, output_field=IntegerField()),
        month=TruncMonth("opened_at"),
        next_score=Subquery(next_score, output_field=IntegerField()),
        rank_before=_rank("response__score"),
    ).annotate(rank_after=_rank("next_score"))


def loop_metrics(cases: QuerySet[Case], group: str = "unit") -> list[LoopMetrics]:
    """The metrics of ``cases`` (already scoped and filtered) per unit id, per month, or all together."""
    key = GROUPS[group]
    annotated = _annotated(cases.order_by())
    closed = Q(status=Status.CLOSED)
    rows = annotated.values(key).annotate(
        n=Count("pk"),
        n_contacted=Count("pk", filter=Q(first_contact_at__isnull=False)),
        detractors=Count("pk", filter=Q(response__score__lte=6)),
        within=Count("pk", filter=Q(response__score__lte=6, first_contact_at__lte=F("due_at"))),
        n_closed=Count("pk", filter=closed),
        resurveyed=Count("pk", filter=closed & Q(next_score__isnull=False, response__contact__isnull=False)),
        recovered=Count("pk", filter=closed & Q(rank_after__gt=F("rank_before"))),
    )
    to_contact, to_close = _durations(annotated, key)
    return [
        LoopMetrics(
            group=row[key],
            cases=row["n"],
            detractor_cases=row["detractors"],
            contacted_within_sla=row["within"],
            contacted=row["n_contacted"],
            closed=row["n_closed"],
            resurveyed=row["resurveyed"],
            recovered=row["recovered"],
            median_hours_to_first_contact=_median_hours(to_contact.get(row[key], [])),
            median_hours_to_close=_median_hours(to_close.get(row[key], [])),
        )
        for row in rows.order_by(key)
    ]


def _durations(cases: QuerySet[Case], key: str) -> tuple[dict[Any, list[dt.timedelta]], dict[Any, list[dt.timedelta]]]:
    rows = cases.annotate(
        to_contact=ExpressionWrapper(F("first_contact_at") - F("opened_at"), output_field=DurationField()),
        to_close=ExpressionWrapper(F("closed_at") - F("opened_at"), output_field=DurationField()),
    ).values_list(key, "to_contact", "to_close")
    contact: dict[Any, list[dt.timedelta]] = defaultdict(list)
    close: dict[Any, list[dt.timedelta]] = defaultdict(list)
    for group, to_contact, to_close in rows:
        if to_contact is not None:
            contact[group].append(to_contact)
        if to_close is not None:
            close[group].append(to_close)
    return contact, close


def _median_hours(durations: list[dt.timedelta]) -> float | None:
    if not durations:
        return None
    return round(statistics.median(d.total_seconds() for d in durations) / 3600, 2)
