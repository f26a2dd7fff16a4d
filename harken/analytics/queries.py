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
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import reduce
from operator import add, or_
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import connection
from django.db.models import (
    BigIntegerField,
    Case,
    Count,
    DateField,
    F,
    IntegerField,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
    Window,
)
from django.db.models.functions import Coalesce, RowNumber, TruncDay, TruncMonth, TruncQuarter, TruncWeek, TruncYear

from harken.analytics import cube
from harken.analytics.models import (
    ChannelDayCount,
    ChannelMonthCount,
    DayCount,
    DetailCount,
    ScoreCount,
    UnitCell,
    UnitDayCount,
    UnitMonthCount,
)
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
    queryset = _where_dimensions(queryset, filters)
    if filters.categories:
        queryset = queryset.filter(category__in=filters.categories)
    for key, value in filters.attributes:
        queryset = queryset.filter(**{f"contact__attributes__{key}": value})
    if filters.latest_per_customer:
        # Each contact's latest response in the selection: number the selection's rows per contact, newest
        # first, in one pass (a window), and keep the first.  Anonymous responses are their own customer.
        # (A NOT EXISTS "no later response" probe per row took seconds at a million rows.)
        base = responses(replace(filters, latest_per_customer=False), user, scored_only=scored_only)
        latest = base.annotate(place=_newest_first()).filter(place=1).values("id")
        queryset = queryset.filter(pk__in=latest)
    return queryset


CATEGORY_SCORES_BY_NAME = {
    "detractors": CATEGORY_SCORES[Category.DETRACTOR.value],
    "passives": CATEGORY_SCORES[Category.PASSIVE.value],
    "promoters": CATEGORY_SCORES[Category.PROMOTER.value],
}
COUNTS = {
    "detractors": Count("id", filter=Q(score__lte=DETRACTOR_MAX)),
    "passives": Count("id", filter=Q(score__gt=DETRACTOR_MAX, score__lte=PASSIVE_MAX)),
    "promoters": Count("id", filter=Q(score__gt=PASSIVE_MAX)),
}


def _counts(row: dict[str, Any]) -> Counts:
    return Counts(
        detractors=int(row["detractors"] or 0), passives=int(row["passives"] or 0), promoters=int(row["promoters"] or 0)
    )


# --- The sources: whole months from a month table, other days from the day table, raw rows for the rest -----

CELL_MODELS: dict[str, type[UnitCell]] = {
    cube.MONTHS.name: ScoreCount,
    cube.DAYS.name: DayCount,
    cube.UNIT_MONTHS.name: UnitMonthCount,
    cube.UNIT_DAYS.name: UnitDayCount,
    cube.CHANNEL_MONTHS.name: ChannelMonthCount,
    cube.CHANNEL_DAYS.name: ChannelDayCount,
    cube.DETAIL.name: DetailCount,
}
Span = tuple[dt.date | None, dt.date | None]  # [first, after) of calendar days; None: open


@dataclass(frozen=True)
class Plan:
    """Where each part of the period is counted; the parts never overlap and together cover the period.

    ``months``: whole months read from ``month_table``; ``days``: day ranges read from ``day_table``;
    ``raw``: an extra condition on raw responses (None: no raw query at all, ``Q()``: every response).
    """

    months: Span | None = None
    month_table: cube.Table | None = None
    days: tuple[Span, ...] = ()
    day_table: cube.Table | None = None
    raw: Q | None = None


RAW = Plan(raw=Q())


def needed_columns(filters: Filters, column: str | None = None) -> set[str]:
    """The response columns a score-count table must keep apart to answer ``filters`` grouped by ``column``."""
    needed = {"unit_id"}
    for name, chosen in (
        ("touchpoint_id", filters.touchpoints),
        ("survey_id", filters.surveys),
        ("channel", filters.channels),
        ("language", filters.languages),
    ):
        if chosen or column == name:
            needed.add(name)
    return needed


def plan(filters: Filters, column: str | None = None) -> Plan:
    """Split the period into whole months (a month table) and the days at its edges (the day table, or raw
    rows when no day table keeps the needed columns apart).  Contact attributes and each customer's latest
    answer are properties of rows, not of cells: those count raw responses only."""
    if filters.attributes or filters.latest_per_customer or not cube.usable():
        return RAW
    needed = needed_columns(filters, column)
    monthly, daily = cube.month_table(needed), cube.day_table(needed)
    start, end = filters.start, filters.end
    after_end = None if end is None else end + dt.timedelta(days=1)
    if column == "day":  # days and weeks: the day table for the whole period
        return Plan(days=((start, after_end),), day_table=daily) if daily else RAW
    months = cube.full_months(start, end)
    if months is None:  # no whole month: only days
        return Plan(days=((start, after_end),), day_table=daily) if daily else RAW
    if monthly is None:
        return RAW
    first, after = months
    edges: list[Span] = []
    if start is not None and first is not None and start < first:
        edges.append((start, first))
    if after_end is not None and after is not None and after < after_end:
        edges.append((after, after_end))
    if daily is not None or not edges:
        return Plan(months=months, month_table=monthly, days=tuple(edges), day_table=daily if edges else None)
    raw = reduce(or_, (Q(submitted_at__gte=midnight(a), submitted_at__lt=midnight(b)) for a, b in edges if a and b))
    return Plan(months=months, month_table=monthly, raw=raw)


def cells(table: cube.Table, span: Span, filters: Filters, user: User) -> QuerySet[Any]:
    """Rows of a score-count table for the buckets in ``span`` matching every filter but the period."""
    queryset: QuerySet[Any] = CELL_MODELS[table.name]._default_manager.all()
    first, after = span
    if first is not None:
        queryset = queryset.filter(**{f"{table.bucket}__gte": first})
    if after is not None:
        queryset = queryset.filter(**{f"{table.bucket}__lt": after})
    if user is not None:
        queryset = scope_to_user(queryset, user, unit_field="unit_id")
    return _where_dimensions(queryset, filters)


def _where_dimensions(queryset: QuerySet[Any], filters: Filters) -> QuerySet[Any]:
    """Filter on the columns raw responses and the score-count tables share: unit subtree, touchpoints, surveys,
    channels and languages (one definition for both query shapes)."""
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
    return queryset


def _cell_parts(chosen: Plan) -> list[tuple[cube.Table, Span]]:
    parts: list[tuple[cube.Table, Span]] = []
    if chosen.months is not None and chosen.month_table is not None:
        parts.append((chosen.month_table, chosen.months))
    if chosen.day_table is not None:
        parts += [(chosen.day_table, span) for span in chosen.days]
    return parts


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


def _cell_key(table: cube.Table, column: str) -> str:
    """The table column to group by for ``column``: months and days of a day table are grouped by day."""
    if column in ("month", "day"):
        return table.bucket
    return column


def _raw_key(column: str) -> Any:
    if column in ("month", "day"):
        trunc = TruncMonth if column == "month" else TruncDay
        return trunc("submitted_at", output_field=DateField(), tzinfo=local_zone())
    return F(column)


def grouped_rows(
    filters: Filters, user: User, column: str | None, cell_sums: dict[str, Any], scores: Mapping[str, Iterable[int]]
) -> list[dict[str, Any]]:
    """Rows of (key ``k``, counts) from every source of the plan, in ONE SQL statement (UNION ALL).

    ``cell_sums`` sum score columns of the tables; raw responses are counted per name of ``scores`` (the
    scores that count toward it).  A key can come in several rows (one per source); the caller adds them.
    """
    if filters.latest_per_customer:
        return _latest_rows(filters, user, column, scores)
    chosen = plan(filters, column)
    parts: list[QuerySet[Any]] = []
    for table, span in _cell_parts(chosen):
        key = Value(0) if column is None else F(_cell_key(table, column))
        parts.append(cells(table, span, filters, user).order_by().annotate(k=key).values("k").annotate(**cell_sums))
    if chosen.raw is not None:
        key = Value(0) if column is None else _raw_key(column)
        raw = responses(filters, user).filter(chosen.raw).order_by()
        counts = {name: Count("id", filter=Q(score__in=list(chosen_scores))) for name, chosen_scores in scores.items()}
        parts.append(raw.annotate(k=key).values("k").annotate(**counts))
    query = parts[0] if len(parts) == 1 else parts[0].union(*parts[1:], all=True)
    return list(query)


def _newest_first() -> Window:
    """Numbers each customer's responses 1, 2, … from the latest; an anonymous response is its own customer."""
    return Window(
        RowNumber(),
        partition_by=[Coalesce(F("contact_id"), -F("id"))],
        order_by=[F("submitted_at").desc(), F("id").desc()],
    )


def _latest_rows(filters: Filters, user: User, column: str | None, scores: Mapping[str, Iterable[int]]) -> list[dict]:
    """``grouped_rows`` for each customer's latest answer: one pass numbers the selection's responses per
    customer (a window), and the outer query counts the first of each, grouped — one statement, no join
    back to the responses."""
    key = Value(0) if column is None else _raw_key(column)
    selection = responses(replace(filters, latest_per_customer=False), user).order_by()
    inner = selection.annotate(k=key, place=_newest_first()).values("k", "score", "place")
    sql, params = inner.query.sql_with_params()
    sums = ", ".join(
        f"SUM(CASE WHEN score IN ({', '.join(str(int(s)) for s in chosen)}) THEN 1 ELSE 0 END) AS {name}"
        for name, chosen in scores.items()
    )
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT k, {sums} FROM ({sql}) latest WHERE place = 1 GROUP BY k", params)  # noqa: S608
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def tally(filters: Filters, user: User, column: str | None) -> dict[Any, Counts]:
    """Counts per value of ``column`` (None: one total under the key None), from the tables and raw rows.

    ``column`` is unit_id, touchpoint_id (None for no touchpoint), survey_id, channel, language, month (the
    first day of the local calendar month) or day.  Groups with no answers are left out, except the total.
    """
    # Plain lists while adding up (thousands of rows for units × days); Counts, validated, once per group.
    sums: dict[Any, list[int]] = defaultdict(lambda: [0, 0, 0])
    for row in grouped_rows(filters, user, column, _cell_sums(filters), CATEGORY_SCORES_BY_NAME):
        value = row["k"]
        if column is None or (column == "touchpoint_id" and value == 0):
            value = None
        elif column == "month":
            value = _as_date(value).replace(day=1)
        elif column == "day":
            value = _as_date(value)
        found = sums[value]
        found[0] += int(row["detractors"] or 0)
        found[1] += int(row["passives"] or 0)
        found[2] += int(row["promoters"] or 0)
    if column is None:
        return {None: Counts(*sums[None])}
    return {key: Counts(*found) for key, found in sums.items() if any(found)}


def total(filters: Filters, user: User = None) -> Counts:
    """Counts for everything matching ``filters``."""
    return tally(filters, user, None)[None]


def distribution(filters: Filters, user: User = None) -> list[int]:
    """How many responses gave each score 0–10 (eleven numbers), from the same sources as ``total``."""
    allowed = _allowed_scores(filters)
    cell_sums = {f"n{s}": Sum(f"s{s}") if s in allowed else Sum(Value(0)) for s in range(11)}
    numbers = [0] * 11
    for row in grouped_rows(filters, user, None, cell_sums, {f"n{s}": (s,) for s in range(11)}):
        for score in range(11):
            numbers[score] += int(row[f"n{score}"] or 0)
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
        return _by_time(tally(filters, user, "day"), by)
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
    totals: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0])
    for unit_id, counts in per_unit.items():
        for ancestor in paths[unit_id].strip("/").split("/"):
            found = totals[int(ancestor)]
            found[0] += counts.detractors
            found[1] += counts.passives
            found[2] += counts.promoters
    return {unit_id: Counts(*found) for unit_id, found in totals.items()}


def comments(filters: Filters, user: User = None, limit: int = 8, praise_first: bool = False) -> list[Response]:
    """The latest scored responses with a comment; with ``praise_first`` promoters' comments come first."""
    queryset = responses(filters, user).exclude(comment="")
    order: list[Any] = ["-submitted_at", "-pk"]
    if praise_first:
        order.insert(0, Case(When(score__gt=PASSIVE_MAX, then=Value(0)), default=Value(1), output_field=IntegerField()))
    # The ids first, from the responses alone: joined to units at once, SQLite started from the units and
    # sorted every response (1.8 s at a million); then the few rows with their unit and touchpoint.
    ids = list(queryset.order_by(*order).values_list("pk", flat=True)[:limit])
    found = Response.objects.filter(pk__in=ids).select_related("unit", "touchpoint").in_bulk()
    return [found[pk] for pk in ids]


def invitations(filters: Filters, user: User = None) -> QuerySet[Invitation]:
    """Invitations sent in the period (``sent_at`` on its calendar days) to the chosen units, touchpoints,
    surveys and channels, limited to the units ``user`` may see — the one set behind every response rate
    (dashboards, digests, metric alerts and the sending funnel of ``harken.distribution.rates``).

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
    return queryset


# An invitation is answered once a score was recorded for it (``answered_at``; a score taken back as a link
# scanner's clears it again).
ANSWERED = Q(answered_at__isnull=False)


def invitations_answered(filters: Filters, user: User = None) -> tuple[int, int]:
    """(answered, sent) of ``invitations(filters, user)``: the response rate is answered / sent."""
    row = invitations(filters, user).aggregate(sent=Count("id"), answered=Count("id", filter=ANSWERED))
    return row["answered"], row["sent"]


def _grouped(
    queryset: QuerySet[Response], column: str, counts: dict[str, Any] | None = None
) -> Iterable[dict[str, Any]]:
    """One grouped query: ``counts`` (the three categories by default) per value of ``column``."""
    return queryset.order_by().values(column).annotate(**(counts or COUNTS))


def _aggregate(queryset: QuerySet[Response]) -> dict[str, Any]:
    return queryset.aggregate(**COUNTS)


def _text(value: object) -> str:
    return "(none)" if value is None or value == "" else str(value)


def _check_attribute_key(key: str) -> None:
    if not ATTRIBUTE_KEY.match(key):
        raise QueryError(f"Attribute names are letters, digits and _, got {key!r}.")


def _as_date(moment: dt.datetime | dt.date | str) -> dt.date:
    if isinstance(moment, str):  # a bucket from a hand-written statement on SQLite
        return dt.date.fromisoformat(moment[:10])
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


def _by_time(per_day: dict[Any, Counts], bucket: str) -> list[Group]:
    """Days (from the day table or raw rows) rolled up into weeks starting on Monday, as TruncWeek does."""
    rolled: dict[dt.date, Counts] = defaultdict(lambda: Counts(0, 0, 0))
    for day, counts in per_day.items():
        rolled[day - dt.timedelta(days=day.weekday()) if bucket == "week" else day] += counts
    return [
        Group(_bucket_key(start, bucket), _bucket_label(start, bucket), counts)
        for start, counts in sorted(rolled.items())
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
