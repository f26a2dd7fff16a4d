"""The one query path: counts of detractors, passives and promoters per group, from one grouped SQL query.

Every page, API endpoint, export, report and the ``harken nps`` command asks this module for numbers;
nothing loads responses into Python to count them (DESIGN.md §4).  Statistics on the counts come from
``harken.analytics.nps``.

Speed: whole calendar months of a period are read from the monthly score-count table (``ScoreCount``,
kept exact by triggers, see ``harken.analytics.cube``) and only the partial months at the period's edges
from the responses themselves, then the two are added.  Filters the table cannot answer (contact
attributes, channels, languages, each customer's latest answer) count raw responses only.  Both paths
give identical counts; ``tests/test_queries.py`` checks it.
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from functools import reduce
from operator import add, or_
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import (
    BigIntegerField,
    Case,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import TruncDay, TruncMonth, TruncQuarter, TruncWeek, TruncYear

from harken.analytics import cube
from harken.analytics.models import ScoreCount
from harken.analytics.nps import DETRACTOR_MAX, PASSIVE_MAX, Category, Counts, Summary, summarize
from harken.collect.models import Response
from harken.distribution.models import Channel, Invitation
from harken.org.models import Unit
from harken.org.scoping import root_units, scope_to_user, visible_units
from harken.surveys.models import Survey, Touchpoint

User = AbstractBaseUser | AnonymousUser | None
TIME_BUCKETS = {"day": TruncDay, "week": TruncWeek, "month": TruncMonth, "quarter": TruncQuarter, "year": TruncYear}
DIMENSIONS = ("total", "unit", "touchpoint", "survey", "channel", "language", *TIME_BUCKETS)
ATTRIBUTE_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
CATEGORY_SCORES = {
    Category.DETRACTOR.value: range(0, DETRACTOR_MAX + 1),
    Category.PASSIVE.value: range(DETRACTOR_MAX + 1, PASSIVE_MAX + 1),
    Category.PROMOTER.value: range(PASSIVE_MAX + 1, 11),
}


class QueryError(ValueError):
    """A filter or grouping that cannot be answered, with a message for the user."""


@dataclass(frozen=True)
class Filters:
    """What to count.  Dates are calendar days in the installation's time zone, both inclusive.

    ``categories`` keeps only detractors, passives and/or promoters; ``latest_per_customer`` counts each
    contact's latest scored response in the selection only (customer NPS; anonymous responses count once each).
    """

    start: dt.date | None = None
    end: dt.date | None = None
    unit: Unit | None = None
    touchpoints: tuple[int, ...] = ()
    surveys: tuple[int, ...] = ()
    channels: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    attributes: tuple[tuple[str, str], ...] = field(default=())
    categories: tuple[str, ...] = ()
    latest_per_customer: bool = False

    def __post_init__(self) -> None:
        if self.start and self.end and self.start > self.end:
            raise QueryError(f"The period starts ({self.start}) after it ends ({self.end}).")
        for key, _ in self.attributes:
            _check_attribute_key(key)
        unknown = set(self.channels) - set(Channel.values)
        if unknown:
            raise QueryError(f"Unknown channel {sorted(unknown)[0]!r}; choose from {', '.join(Channel.values)}.")
        wrong = set(self.categories) - set(CATEGORY_SCORES)
        if wrong:
            raise QueryError(f"Unknown category {sorted(wrong)[0]!r}; choose from {', '.join(CATEGORY_SCORES)}.")


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


def midnight(day: dt.date) -> dt.datetime:
    """The moment a calendar day starts in the installation's time zone."""
    return dt.datetime.combine(day, dt.time(), local_zone())


def in_period(queryset: QuerySet[Any], moment: str, filters: Filters) -> QuerySet[Any]:
    """Rows whose ``moment`` field falls on the period's calendar days (both inclusive, local time)."""
    if filters.start:
        queryset = queryset.filter(**{f"{moment}__gte": midnight(filters.start)})
    if filters.end:
        queryset = queryset.filter(**{f"{moment}__lt": midnight(filters.end + dt.timedelta(days=1))})
    return queryset


def responses(filters: Filters, user: User = None, *, scored_only: bool = True) -> QuerySet[Response]:
    """Responses matching ``filters``, limited to what ``user`` may see (all when user is None).

    Counting needs scored responses only (the default); exports and lists pass ``scored_only=False`` to
    include responses whose score was skipped.
    """
    queryset = Response.objects.filter(score__isnull=False) if scored_only else Response.objects.all()
    if user is not None:
        queryset = scope_to_user(queryset, user)
    queryset = in_period(queryset, "submitted_at", filters)
    if filters.unit is not None:
        # unit_id IN (the subtree) rather than a join: the planner can then use the unit-first index.
        queryset = queryset.filter(unit_id__in=filters.unit.subtree().values("pk"))
    if filters.touchpoints:
        queryset = queryset.filter(touchpoint_id__in=filters.touchpoints)
    if filters.surveys:
        queryset = queryset.filter(survey_id__in=filters.surveys)
    if filters.channels:
        queryset = queryset.filter(channel__in=filters.channels)
    if filters.languages:
        queryset = queryset.filter(language__in=filters.languages)
    if filters.categories:
        queryset = queryset.filter(category__in=filters.categories)
    for key, value in filters.attributes:
        queryset = queryset.filter(**{f"contact__attributes__{key}": value})
    if filters.latest_per_customer:
        later = responses(replace(filters, latest_per_customer=False), user, scored_only=scored_only).filter(
            Q(submitted_at__gt=OuterRef("submitted_at"))
            | Q(submitted_at=OuterRef("submitted_at"), pk__gt=OuterRef("pk")),
            contact_id=OuterRef("contact_id"),
        )
        queryset = queryset.filter(Q(contact__isnull=True) | ~Exists(later))
    return queryset


COUNTS = {
    "detractors": Count("id", filter=Q(score__lte=DETRACTOR_MAX)),
    "passives": Count("id", filter=Q(score__gt=DETRACTOR_MAX, score__lte=PASSIVE_MAX)),
    "promoters": Count("id", filter=Q(score__gt=PASSIVE_MAX)),
}


def _counts(row: dict[str, Any]) -> Counts:
    return Counts(
        detractors=int(row["detractors"] or 0), passives=int(row["passives"] or 0), promoters=int(row["promoters"] or 0)
    )


# --- The two sources: the monthly table for whole months, raw responses for the rest --------------------------


@dataclass(frozen=True)
class Plan:
    """Which months the score-count table answers, and which raw responses are still to be counted."""

    months: tuple[dt.date | None, dt.date | None] | None  # [first, after) of the table's months; None: not used
    raw: Q | None  # extra condition on raw responses; None: no raw query at all


def plan(filters: Filters, column: str | None = None) -> Plan:
    """Split the period into whole months (the table) and the partial months at its edges (raw rows)."""
    raw_only = column in ("channel", "language")
    if raw_only or filters.attributes or filters.channels or filters.languages or filters.latest_per_customer:
        return Plan(months=None, raw=Q())
    if not cube.usable():
        return Plan(months=None, raw=Q())
    months = cube.full_months(filters.start, filters.end)
    if months is None:
        return Plan(months=None, raw=Q())
    first, after = months
    edges = []
    if filters.start is not None and first is not None and filters.start < first:
        edges.append(Q(submitted_at__lt=midnight(first)))
    if filters.end is not None and after is not None and after <= filters.end:
        edges.append(Q(submitted_at__gte=midnight(after)))
    return Plan(months=months, raw=reduce(or_, edges) if edges else None)


def cells(filters: Filters, user: User, months: tuple[dt.date | None, dt.date | None]) -> QuerySet[ScoreCount]:
    """Rows of the score-count table for ``months`` matching every filter but the period's edges."""
    queryset = ScoreCount.objects.all()
    first, after = months
    if first is not None:
        queryset = queryset.filter(month__gte=first)
    if after is not None:
        queryset = queryset.filter(month__lt=after)
    if user is not None:
        queryset = scope_to_user(queryset, user, unit_field="unit_id")
    if filters.unit is not None:
        queryset = queryset.filter(unit_id__in=filters.unit.subtree().values("pk"))
    if filters.touchpoints:
        queryset = queryset.filter(touchpoint_id__in=filters.touchpoints)
    if filters.surveys:
        queryset = queryset.filter(survey_id__in=filters.surveys)
    return queryset


def _allowed_scores(filters: Filters) -> set[int]:
    chosen = filters.categories or tuple(CATEGORY_SCORES)
    return {score for category in chosen for score in CATEGORY_SCORES[category]}


def _cell_sums(filters: Filters) -> dict[str, Any]:
    allowed = _allowed_scores(filters)
    sums: dict[str, Any] = {}
    for name, category in (("detractors", "detractor"), ("passives", "passive"), ("promoters", "promoter")):
        columns = [F(f"s{score}") for score in CATEGORY_SCORES[category] if score in allowed]
        sums[name] = Sum(reduce(add, columns) if columns else Value(0), output_field=BigIntegerField())
    return sums


def tally(filters: Filters, user: User, column: str | None) -> dict[Any, Counts]:
    """Counts per value of ``column`` (None: one total under the key None), from the table and raw rows.

    ``column`` is unit_id, touchpoint_id (None for no touchpoint), survey_id, channel, language or month
    (the first day of the local calendar month).  Groups with no answers are left out, except the total.
    """
    chosen = plan(filters, column)
    result: dict[Any, Counts] = defaultdict(lambda: Counts(0, 0, 0))
    if chosen.months is not None:
        table = cells(filters, user, chosen.months)
        sums = _cell_sums(filters)
        if column is None:
            result[None] += _counts(table.aggregate(**sums))
        else:
            for row in table.order_by().values(column).annotate(**sums):
                key = None if column == "touchpoint_id" and row[column] == 0 else row[column]
                result[key] += _counts(row)
    if chosen.raw is not None:
        queryset = responses(filters, user).filter(chosen.raw)
        if column is None:
            result[None] += _counts(queryset.aggregate(**COUNTS))
        elif column == "month":
            trunc = TruncMonth("submitted_at", tzinfo=local_zone())
            for row in queryset.order_by().annotate(month=trunc).values("month").annotate(**COUNTS):
                result[_as_date(row["month"])] += _counts(row)
        else:
            for row in _grouped(queryset, column):
                result[row[column]] += _counts(row)
    if column is None:
        return {None: result[None]}
    return {key: counts for key, counts in result.items() if counts.n}


def total(filters: Filters, user: User = None) -> Counts:
    """Counts for everything matching ``filters``."""
    return tally(filters, user, None)[None]


def distribution(filters: Filters, user: User = None) -> list[int]:
    """How many responses gave each score 0–10 (eleven numbers), from the same sources as ``total``."""
    chosen = plan(filters)
    allowed = _allowed_scores(filters)
    numbers = [0] * 11
    if chosen.months is not None:
        row = cells(filters, user, chosen.months).aggregate(**{f"s{s}": Sum(f"s{s}") for s in range(11)})
        for score in range(11):
            numbers[score] += int(row[f"s{score}"] or 0) if score in allowed else 0
    if chosen.raw is not None:
        rows = responses(filters, user).filter(chosen.raw).order_by().values("score").annotate(n=Count("id"))
        for item in rows:
            numbers[item["score"]] += item["n"]
    return numbers


def nps_by(by: str, filters: Filters, user: User = None) -> list[Group]:
    """Counts per group.

    ``by`` is one of ``DIMENSIONS`` or ``attribute:KEY``.  ``unit`` groups by the units one level below
    ``filters.unit`` (or below the viewer's top unit), rolling each response up to the child it belongs
    to; touchpoints come in journey order and time buckets in calendar order.
    """
    if by == "total":
        return [Group(key="all", label="All responses", counts=total(filters, user))]
    if by in ("month", "quarter", "year"):
        return _by_month(filters, user, by)
    if by in TIME_BUCKETS:
        return _by_time(responses(filters, user), by)
    if by == "unit":
        return _by_unit(tally(filters, user, "unit_id"), filters, user)
    if by == "touchpoint":
        return _by_touchpoint(tally(filters, user, "touchpoint_id"))
    if by == "survey":
        names = dict(Survey.objects.values_list("pk", "name"))
        rows = sorted(tally(filters, user, "survey_id").items())
        return [Group(str(key), names[key], counts) for key, counts in rows]
    if by in ("channel", "language"):
        labels = dict(Channel.choices) if by == "channel" else dict(settings.LANGUAGES)
        rows = sorted(tally(filters, user, by).items())
        return [Group(key, str(labels.get(key, key)), counts) for key, counts in rows]
    if by.startswith("attribute:"):
        key = by.split(":", 1)[1]
        _check_attribute_key(key)
        column = f"contact__attributes__{key}"
        found = _grouped(responses(filters, user), column)
        groups = [Group(_text(row[column]), _text(row[column]), _counts(row)) for row in found]
        return sorted(groups, key=lambda group: group.key)
    raise QueryError(f"Cannot group by {by!r}; choose from {', '.join(DIMENSIONS)} or attribute:KEY.")


def unit_totals(filters: Filters, user: User = None) -> dict[int, Counts]:
    """Counts for every unit with answers, each including everything below it (one grouped query)."""
    per_unit = tally(filters, user, "unit_id")
    paths = dict(Unit.objects.filter(pk__in=per_unit).values_list("pk", "path"))
    totals: dict[int, Counts] = defaultdict(lambda: Counts(0, 0, 0))
    for unit_id, counts in per_unit.items():
        for ancestor in paths[unit_id].strip("/").split("/"):
            totals[int(ancestor)] += counts
    return dict(totals)


def comments(filters: Filters, user: User = None, limit: int = 8, praise_first: bool = False) -> list[Response]:
    """The latest scored responses with a comment; with ``praise_first`` promoters' comments come first."""
    queryset = responses(filters, user).exclude(comment="").select_related("unit", "touchpoint")
    if praise_first:
        praise = Case(When(score__gt=PASSIVE_MAX, then=Value(0)), default=Value(1), output_field=IntegerField())
        queryset = queryset.order_by(praise, "-submitted_at", "-pk")
    else:
        queryset = queryset.order_by("-submitted_at", "-pk")
    return list(queryset[:limit])


def invitations_answered(filters: Filters, user: User = None) -> tuple[int, int]:
    """(answered, sent) for invitations sent in the period to the chosen units, touchpoints, surveys, channels.

    The response rate is answered / sent; an invitation counts as answered when its response has a score.
    Languages, categories and contact attributes do not narrow it (they describe answers, not invitations).
    """
    queryset = Invitation.objects.filter(sent_at__isnull=False)
    if user is not None:
        queryset = scope_to_user(queryset, user)
    queryset = in_period(queryset, "sent_at", filters)
    if filters.unit is not None:
        queryset = queryset.filter(unit__path__startswith=filters.unit.path)
    if filters.touchpoints:
        queryset = queryset.filter(touchpoint_id__in=filters.touchpoints)
    if filters.surveys:
        queryset = queryset.filter(survey_id__in=filters.surveys)
    if filters.channels:
        queryset = queryset.filter(channel__in=filters.channels)
    row = queryset.aggregate(sent=Count("id"), answered=Count("id", filter=Q(response__score__isnull=False)))
    return row["answered"], row["sent"]


def _grouped(queryset: QuerySet[Response], column: str) -> Iterable[dict[str, Any]]:
    return queryset.order_by().values(column).annotate(**COUNTS)


def _text(value: object) -> str:
    return "(none)" if value is None or value == "" else str(value)


def _check_attribute_key(key: str) -> None:
    if not ATTRIBUTE_KEY.match(key):
        raise QueryError(f"Attribute names are letters, digits and _, got {key!r}.")


def _as_date(moment: dt.datetime | dt.date) -> dt.date:
    if isinstance(moment, dt.datetime):
        return moment.astimezone(local_zone()).date() if moment.tzinfo else moment.date()
    return moment


def _by_month(filters: Filters, user: User, bucket: str) -> list[Group]:
    """Months from the table and the edges, rolled up into quarters or years when asked."""
    rolled: dict[dt.date, Counts] = defaultdict(lambda: Counts(0, 0, 0))
    for month, counts in tally(filters, user, "month").items():
        if bucket == "quarter":
            month = month.replace(month=3 * ((month.month - 1) // 3) + 1)
        elif bucket == "year":
            month = month.replace(month=1)
        rolled[month] += counts
    return [
        Group(_bucket_key(start, bucket), _bucket_label(start, bucket), counts)
        for start, counts in sorted(rolled.items())
    ]


def _by_time(queryset: QuerySet[Response], bucket: str) -> list[Group]:
    trunc = TIME_BUCKETS[bucket]("submitted_at", tzinfo=local_zone())
    rows = queryset.order_by().annotate(bucket=trunc).values("bucket").annotate(**COUNTS).order_by("bucket")
    return [
        Group(_bucket_key(row["bucket"], bucket), _bucket_label(row["bucket"], bucket), _counts(row)) for row in rows
    ]


def _bucket_key(moment: dt.datetime | dt.date, bucket: str) -> str:
    day = _as_date(moment)
    if bucket == "month":
        return f"{day:%Y-%m}"
    if bucket == "quarter":
        return f"{day.year}-Q{(day.month - 1) // 3 + 1}"
    if bucket == "year":
        return str(day.year)
    return day.isoformat()


def _bucket_label(moment: dt.datetime | dt.date, bucket: str) -> str:
    day = _as_date(moment)
    if bucket == "month":
        return f"{day:%b %Y}"
    if bucket == "quarter":
        return f"Q{(day.month - 1) // 3 + 1} {day.year}"
    if bucket == "year":
        return str(day.year)
    if bucket == "week":
        return f"Week of {day:%d %b %Y}"
    return f"{day:%d %b %Y}"


def _by_touchpoint(rows: dict[Any, Counts]) -> list[Group]:
    rows = dict(rows)
    groups = [Group(tp.slug, tp.name, rows.pop(tp.pk, Counts(0, 0, 0))) for tp in Touchpoint.objects.all()]
    if None in rows:
        groups.append(Group("none", "(no touchpoint)", rows[None]))
    return groups


def _by_unit(per_unit: dict[Any, Counts], filters: Filters, user: User) -> list[Group]:
    """Add up each unit's counts into the child of the base unit it is under."""
    base_units = _base_units(filters, user)
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


def _base_units(filters: Filters, user: User) -> list[Unit]:
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
