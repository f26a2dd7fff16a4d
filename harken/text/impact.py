"""Theme impact on NPS: volume, share, NPS of mentioning responses and impact in points, from grouped SQL.

Every selection goes through ``harken.analytics.queries.responses`` (the dashboards' ``Filters`` and role
scoping); this module only adds "mentions theme T".  Counts per theme come from one grouped query over the
theme tree's closure table, so a parent theme counts each response once however many of its children it
mentions.  Totals are counted from the same raw responses, so mentioning ⊆ all holds exactly.

Impact of a theme (Bain's "NPS without it"): with all responses A, those mentioning the theme M and the
rest K (n = m + k),

    impact = NPS(A) − NPS(K) = (m / n) · (NPS(M) − NPS(K))

since NPS(A) = (m · NPS(M) + k · NPS(K)) / n.  Negative: the theme pulls NPS down (a detractor driver).
Treating m/n as fixed and M, K as independent samples, SE(impact) = (m / n) · √(SE(M)² + SE(K)²) with the
per-group SE of ``harken.analytics.nps.standard_error``; the interval is impact ± z · SE.  No mentions or
nothing else (m = 0 or k = 0): None.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import Count, F, Q, QuerySet
from django.db.models.functions import TruncMonth

from harken.analytics import queries
from harken.analytics.nps import DETRACTOR_MAX, PASSIVE_MAX, Counts, Interval, nps, standard_error, z_value
from harken.analytics.queries import Filters, User
from harken.collect.models import Response
from harken.org.models import Unit
from harken.surveys.models import Touchpoint
from harken.text.models import ResponseTheme, Theme


@dataclass(frozen=True)
class Impact:
    """NPS(all) − NPS(not mentioning) in points, its standard error and interval (see the module docstring)."""

    points: float
    standard_error: float
    interval: Interval


def impact(mentioning: Counts, total: Counts, confidence: float = 0.95) -> Impact | None:
    """The impact of a theme mentioned by ``mentioning`` out of ``total`` responses; None if m = 0 or k = 0."""
    rest = Counts(
        total.detractors - mentioning.detractors,
        total.passives - mentioning.passives,
        total.promoters - mentioning.promoters,
    )
    nps_all, nps_rest, nps_m = nps(total), nps(rest), nps(mentioning)
    se_m, se_rest = standard_error(mentioning), standard_error(rest)
    if nps_all is None or nps_rest is None or nps_m is None or se_m is None or se_rest is None:
        return None
    points = nps_all - nps_rest
    se = mentioning.n / total.n * math.sqrt(se_m**2 + se_rest**2)
    half = z_value(confidence) * se
    return Impact(points=points, standard_error=se, interval=Interval(points - half, points + half))


@dataclass(frozen=True)
class ThemeGroup:
    """One theme in one group (overall, a unit, a touchpoint or a month).

    ``mentions``: scored responses mentioning the theme; ``total``: all scored responses of the group;
    ``commented``: those of them with a comment — the denominator of ``share``.
    """

    key: str
    label: str
    mentions: Counts
    total: Counts
    commented: int

    @property
    def share(self) -> float | None:
        """Share of commented responses that mention the theme (0…1); None without comments."""
        return self.mentions.n / self.commented if self.commented else None

    @property
    def nps(self) -> float | None:
        """NPS of the responses mentioning the theme."""
        return nps(self.mentions)

    def impact(self, confidence: float | None = None) -> Impact | None:
        """NPS of the group minus NPS of its responses not mentioning the theme."""
        return impact(self.mentions, self.total, confidence or settings.CONFIDENCE)


_ZERO = Counts(0, 0, 0)


def _mention_counts(field: str = "response_id") -> dict[str, Any]:
    return {
        "detractors": Count(field, distinct=True, filter=Q(response__score__lte=DETRACTOR_MAX)),
        "passives": Count(
            field, distinct=True, filter=Q(response__score__gt=DETRACTOR_MAX, response__score__lte=PASSIVE_MAX)
        ),
        "promoters": Count(field, distinct=True, filter=Q(response__score__gt=PASSIVE_MAX)),
    }


def _totals() -> dict[str, Any]:
    return {**queries.COUNTS, "commented": Count("id", filter=~Q(comment=""))}


def _counts(row: dict[str, Any]) -> Counts:
    return Counts(int(row["detractors"] or 0), int(row["passives"] or 0), int(row["promoters"] or 0))


def mentions(selected: QuerySet[Response]) -> QuerySet[ResponseTheme]:
    """Links of ``selected`` responses to themes they mention (a person's exclusions left out)."""
    return ResponseTheme.objects.filter(excluded=False, response__in=selected.values("pk"))


def themes(filters: Filters, user: User = None) -> list[ThemeGroup]:
    """Every theme with at least one mention in the selection, keyed by theme id, in taxonomy order."""
    selected = queries.responses(filters, user)
    row = selected.aggregate(**_totals())
    total, commented = _counts(row), int(row["commented"] or 0)
    rows = mentions(selected).values(node=F("theme__ancestor_links__ancestor_id")).annotate(**_mention_counts())
    per_theme = {item["node"]: _counts(item) for item in rows.order_by()}
    names = {theme.pk: str(theme) for theme in Theme.objects.filter(pk__in=per_theme).select_related("parent")}
    ordered = Theme.objects.filter(pk__in=per_theme).order_by("parent__position", "position", "name")
    return [
        ThemeGroup(str(pk), names[pk], per_theme[pk], total, commented)
        for pk in ordered.values_list("pk", flat=True)
        if per_theme[pk].n
    ]


def drivers(groups: list[ThemeGroup]) -> tuple[list[ThemeGroup], list[ThemeGroup]]:
    """(detractor drivers, most negative impact first; promoter drivers, most positive first)."""
    scored = [(group, group.impact()) for group in groups]
    negative = sorted((g for g, i in scored if i and i.points < 0), key=lambda g: _points(g))
    positive = sorted((g for g, i in scored if i and i.points > 0), key=lambda g: -_points(g))
    return negative, positive


def _points(group: ThemeGroup) -> float:
    found = group.impact()
    return found.points if found else 0.0


def theme_by(theme: Theme, by: str, filters: Filters, user: User = None) -> list[ThemeGroup]:
    """One theme per ``unit`` (the units one level below ``filters.unit``, or the top level's children),
    ``touchpoint`` (journey order) or ``month`` (calendar months in TIME_ZONE: the share trend)."""
    selected = queries.responses(filters, user)
    linked = mentions(selected).filter(theme__ancestor_links__ancestor=theme)
    if by == "month":
        trunc = TruncMonth("submitted_at", tzinfo=queries.local_zone())
        rows = selected.order_by().annotate(key=trunc).values("key").annotate(**_totals())
        mention_rows = (
            linked.order_by()
            .annotate(key=TruncMonth("response__submitted_at", tzinfo=queries.local_zone()))
            .values("key")
            .annotate(**_mention_counts())
        )
        return _merge(rows, mention_rows, _month_key, lambda key: _month_key(key)[:7])
    if by == "touchpoint":
        by_touchpoint = selected.order_by().values(key=F("touchpoint_id")).annotate(**_totals())
        mentioned = linked.order_by().values(key=F("response__touchpoint_id")).annotate(**_mention_counts())
        names = dict(Touchpoint.objects.values_list("pk", "name"))
        journey = Touchpoint.objects.order_by("position", "name").values_list("pk", flat=True)
        order = {pk: i for i, pk in enumerate(journey)}
        groups = _merge(by_touchpoint, mentioned, lambda key: str(key), lambda key: names.get(key, "(no touchpoint)"))
        return sorted(groups, key=lambda g: order.get(int(g.key), len(order)) if g.key != "None" else len(order))
    if by == "unit":
        return _by_unit(selected, linked, filters)
    raise queries.QueryError(f"Cannot show a theme by {by!r}; choose unit, touchpoint or month.")


def _month_key(moment: dt.datetime | dt.date) -> str:
    return queries._as_date(moment).isoformat()


def _merge(rows: Any, mention_rows: Any, key_of: Any, label_of: Any) -> list[ThemeGroup]:
    found = {item["key"]: _counts(item) for item in mention_rows}
    groups = []
    for item in rows:
        key = item["key"]
        groups.append(ThemeGroup(key_of(key), label_of(key), found.get(key, _ZERO), _counts(item), item["commented"]))
    return sorted(groups, key=lambda g: g.key)


def _by_unit(selected: QuerySet[Response], linked: QuerySet[ResponseTheme], filters: Filters) -> list[ThemeGroup]:
    level = filters.unit.depth + 1 if filters.unit is not None else 1
    rows = list(selected.order_by().values(key=F("unit_id")).annotate(**_totals()))
    mention_rows = list(linked.order_by().values(key=F("response__unit_id")).annotate(**_mention_counts()))
    paths = dict(Unit.objects.filter(pk__in=[row["key"] for row in rows]).values_list("pk", "path"))

    def rolled(unit_id: int) -> int:
        parts = paths[unit_id].strip("/").split("/")
        return int(parts[min(level, len(parts) - 1)])

    totals: dict[int, tuple[Counts, int]] = {}
    for row in rows:
        counts, commented = totals.get(rolled(row["key"]), (_ZERO, 0))
        totals[rolled(row["key"])] = (counts + _counts(row), commented + int(row["commented"] or 0))
    mentioned: dict[int, Counts] = {}
    for row in mention_rows:
        mentioned[rolled(row["key"])] = mentioned.get(rolled(row["key"]), _ZERO) + _counts(row)
    names = dict(Unit.objects.filter(pk__in=totals).values_list("pk", "name"))
    groups = [
        ThemeGroup(str(pk), names[pk], mentioned.get(pk, _ZERO), counts, commented)
        for pk, (counts, commented) in totals.items()
    ]
    return sorted(groups, key=lambda g: g.label)
