"""The one query path: counts of detractors, passives and promoters per group, from one grouped SQL query.

Every page, API endpoint, export, report and the ``harken nps`` command asks this module for numbers;
nothing loads responses into Python to count them (DESIGN.md §4).  Statistics on the counts come from
``harken.analytics.nps``.
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncDay, TruncMonth, TruncQuarter, TruncWeek, TruncYear

from harken.analytics.nps import DETRACTOR_MAX, PASSIVE_MAX, Counts, Summary, summarize
from harken.collect.models import Response
from harken.distribution.models import Channel
from harken.org.models import Unit
from harken.org.scoping import root_units, scope_to_user, visible_units
from harken.surveys.models import Survey, Touchpoint

TIME_BUCKETS = {"day": TruncDay, "week": TruncWeek, "month": TruncMonth, "quarter": TruncQuarter, "year": TruncYear}
DIMENSIONS = ("total", "unit", "touchpoint", "survey", "channel", "language", *TIME_BUCKETS)
ATTRIBUTE_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")


class QueryError(ValueError):
    """A filter or grouping that cannot be answered, with a message for the user."""


@dataclass(frozen=True)
class Filters:
    """What to count.  Dates are calendar days in the installation's time zone, both inclusive."""

    start: dt.date | None = None
    end: dt.date | None = None
    unit: Unit | None = None
    touchpoints: tuple[int, ...] = ()
    surveys: tuple[int, ...] = ()
    channels: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    attributes: tuple[tuple[str, str], ...] = field(default=())

    def __post_init__(self) -> None:
        if self.start and self.end and self.start > self.end:
            raise QueryError(f"The period starts ({self.start}) after it ends ({self.end}).")
        for key, _ in self.attributes:
            _check_attribute_key(key)
        unknown = set(self.channels) - set(Channel.values)
        if unknown:
            raise QueryError(f"Unknown channel {sorted(unknown)[0]!r}; choose from {', '.join(Channel.values)}.")


@dataclass(frozen=True)
class Group:
    """One row of a grouped result: its key, a label for people, and its counts."""

    key: str
    label: str
    counts: Counts

    def summary(self, confidence: float | None = None) -> Summary:
        """NPS, SE and interval for this group at the installation's confidence level."""
        return summarize(self.counts, confidence or settings.CONFIDENCE)


def local_zone() -> zoneinfo.ZoneInfo:
    """The installation's time zone, in which periods are calendar-true."""
    return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def responses(filters: Filters, user: AbstractBaseUser | AnonymousUser | None = None) -> QuerySet[Response]:
    """Scored responses matching ``filters``, limited to what ``user`` may see (all when user is None)."""
    queryset = Response.objects.filter(score__isnull=False)
    if user is not None:
        queryset = scope_to_user(queryset, user)
    zone = local_zone()
    if filters.start:
        queryset = queryset.filter(submitted_at__gte=dt.datetime.combine(filters.start, dt.time(), zone))
    if filters.end:
        next_day = filters.end + dt.timedelta(days=1)
        queryset = queryset.filter(submitted_at__lt=dt.datetime.combine(next_day, dt.time(), zone))
    if filters.unit is not None:
        queryset = queryset.filter(unit__path__startswith=filters.unit.path)
    if filters.touchpoints:
        queryset = queryset.filter(touchpoint_id__in=filters.touchpoints)
    if filters.surveys:
        queryset = queryset.filter(survey_id__in=filters.surveys)
    if filters.channels:
        queryset = queryset.filter(channel__in=filters.channels)
    if filters.languages:
        queryset = queryset.filter(language__in=filters.languages)
    for key, value in filters.attributes:
        queryset = queryset.filter(**{f"contact__attributes__{key}": value})
    return queryset


COUNTS = {
    "detractors": Count("id", filter=Q(score__lte=DETRACTOR_MAX)),
    "passives": Count("id", filter=Q(score__gt=DETRACTOR_MAX, score__lte=PASSIVE_MAX)),
    "promoters": Count("id", filter=Q(score__gt=PASSIVE_MAX)),
}


def _counts(row: dict[str, int]) -> Counts:
    return Counts(detractors=row["detractors"], passives=row["passives"], promoters=row["promoters"])


def total(filters: Filters, user: AbstractBaseUser | AnonymousUser | None = None) -> Counts:
    """Counts for everything matching ``filters`` — one aggregate query."""
    return _counts(responses(filters, user).aggregate(**COUNTS))


def nps_by(by: str, filters: Filters, user: AbstractBaseUser | AnonymousUser | None = None) -> list[Group]:
    """Counts per group from one grouped query.

    ``by`` is one of ``DIMENSIONS`` or ``attribute:KEY``.  ``unit`` groups by the units one level below
    ``filters.unit`` (or below the viewer's top unit), rolling each response up to the child it belongs
    to; touchpoints come in journey order and time buckets in calendar order.
    """
    queryset = responses(filters, user)
    if by == "total":
        return [Group(key="all", label="All responses", counts=total(filters, user))]
    if by in TIME_BUCKETS:
        return _by_time(queryset, by)
    if by == "unit":
        return _by_unit(queryset, filters, user)
    if by == "touchpoint":
        return _by_touchpoint(queryset)
    if by == "survey":
        names = dict(Survey.objects.values_list("pk", "name"))
        return [
            Group(str(row["survey_id"]), names[row["survey_id"]], _counts(row))
            for row in _grouped(queryset, "survey_id")
        ]
    if by in ("channel", "language"):
        labels = dict(Channel.choices) if by == "channel" else dict(settings.LANGUAGES)
        return [Group(row[by], str(labels.get(row[by], row[by])), _counts(row)) for row in _grouped(queryset, by)]
    if by.startswith("attribute:"):
        key = by.split(":", 1)[1]
        _check_attribute_key(key)
        rows = _grouped(queryset, f"contact__attributes__{key}")
        groups = [
            Group(_text(row[f"contact__attributes__{key}"]), _text(row[f"contact__attributes__{key}"]), _counts(row))
            for row in rows
        ]
        return sorted(groups, key=lambda group: group.key)
    raise QueryError(f"Cannot group by {by!r}; choose from {', '.join(DIMENSIONS)} or attribute:KEY.")


def _grouped(queryset: QuerySet[Response], column: str) -> Iterable[dict[str, Any]]:
    return queryset.order_by().values(column).annotate(**COUNTS)


def _text(value: object) -> str:
    return "(none)" if value is None or value == "" else str(value)


def _check_attribute_key(key: str) -> None:
    if not ATTRIBUTE_KEY.match(key):
        raise QueryError(f"Attribute names are letters, digits and _, got {key!r}.")


def _by_time(queryset: QuerySet[Response], bucket: str) -> list[Group]:
    trunc = TIME_BUCKETS[bucket]("submitted_at", tzinfo=local_zone())
    rows = queryset.order_by().annotate(bucket=trunc).values("bucket").annotate(**COUNTS).order_by("bucket")
    return [
        Group(_bucket_key(row["bucket"], bucket), _bucket_label(row["bucket"], bucket), _counts(row)) for row in rows
    ]


def _bucket_key(moment: dt.datetime | dt.date, bucket: str) -> str:
    day = moment.date() if isinstance(moment, dt.datetime) else moment
    if bucket == "month":
        return f"{day:%Y-%m}"
    if bucket == "quarter":
        return f"{day.year}-Q{(day.month - 1) // 3 + 1}"
    if bucket == "year":
        return str(day.year)
    return day.isoformat()


def _bucket_label(moment: dt.datetime | dt.date, bucket: str) -> str:
    day = moment.date() if isinstance(moment, dt.datetime) else moment
    if bucket == "month":
        return f"{day:%b %Y}"
    if bucket == "quarter":
        return f"Q{(day.month - 1) // 3 + 1} {day.year}"
    if bucket == "year":
        return str(day.year)
    if bucket == "week":
        return f"Week of {day:%d %b %Y}"
    return f"{day:%d %b %Y}"


def _by_touchpoint(queryset: QuerySet[Response]) -> list[Group]:
    rows = {row["touchpoint_id"]: _counts(row) for row in _grouped(queryset, "touchpoint_id")}
    groups = [Group(tp.slug, tp.name, rows.pop(tp.pk, Counts(0, 0, 0))) for tp in Touchpoint.objects.all()]
    if None in rows:
        groups.append(Group("none", "(no touchpoint)", rows[None]))
    return groups


def _by_unit(
    queryset: QuerySet[Response], filters: Filters, user: AbstractBaseUser | AnonymousUser | None
) -> list[Group]:
    """Group per unit in SQL, then add up each unit's counts into the child of the base unit it is under."""
    base_units = _base_units(filters, user)
    per_unit = {row["unit_id"]: _counts(row) for row in _grouped(queryset, "unit_id")}
    unit_paths = dict(Unit.objects.filter(pk__in=per_unit).values_list("pk", "path"))
    groups: list[Group] = []
    for unit in base_units:
        counts = Counts(0, 0, 0)
        for unit_id, unit_counts in per_unit.items():
            if unit_paths[unit_id].startswith(unit.path):
                counts = counts + unit_counts
        groups.append(Group(str(unit.pk), unit.name, counts))
    parent = base_units[0].parent if base_units else None
    if parent is not None and parent.pk in per_unit and all(unit.parent_id == parent.pk for unit in base_units):
        # Responses recorded on the parent itself belong to none of its children; show them, not drop them.
        groups.append(Group(str(parent.pk), f"{parent.name} (itself)", per_unit[parent.pk]))
    return groups


def _base_units(filters: Filters, user: AbstractBaseUser | AnonymousUser | None) -> list[Unit]:
    """The units to compare: children of the chosen unit, else of the viewer's single top unit."""
    if filters.unit is not None:
        parent: Unit | None = filters.unit
    else:
        roots = root_units(user) if user is not None else list(Unit.objects.filter(parent__isnull=True))
        if len(roots) != 1:
            return sorted(roots, key=lambda unit: unit.name)
        parent = roots[0]
    assert parent is not None
    children = parent.children.order_by("name")
    if user is None:
        return list(children) or [parent]
    # A unit the viewer may not see is not even named (scoping in the query, DESIGN.md §6).
    visible = visible_units(user)
    shown = list(children.filter(pk__in=visible.values("pk")))
    if shown:
        return shown
    return [parent] if visible.filter(pk=parent.pk).exists() else []
