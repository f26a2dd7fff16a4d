"""What a dashboard shows, read from the URL so that a view can be shared: period, unit and filters."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.http import QueryDict
from django.utils import timezone

from harken.analytics import periods
from harken.analytics.queries import ATTRIBUTE_KEY, CATEGORY_SCORES, Filters
from harken.distribution.models import Channel
from harken.org.models import Unit
from harken.org.scoping import visible_units
from harken.surveys.models import Survey, Touchpoint

TREND_BUCKETS = {"week": "Week", "month": "Month", "quarter": "Quarter"}


@dataclass(frozen=True)
class Selection:
    """The viewer's choices.  ``problems`` lists parameters that were ignored, to say so on the page."""

    period: periods.Period
    unit: Unit | None = None
    touchpoints: tuple[int, ...] = ()
    surveys: tuple[int, ...] = ()
    channels: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    attributes: tuple[tuple[str, str], ...] = ()
    customers: bool = False
    trend: str = "month"
    problems: tuple[str, ...] = field(default=())

    def filters(self, start: dt.date | None = None, end: dt.date | None = None, **changes: object) -> Filters:
        """The query path's ``Filters`` for this selection (optionally for another period)."""
        shifted = start is not None or end is not None
        base = Filters(
            start=start if shifted else self.period.start,
            end=end if shifted else self.period.end,
            unit=self.unit,
            touchpoints=self.touchpoints,
            surveys=self.surveys,
            channels=self.channels,
            languages=self.languages,
            attributes=self.attributes,
            categories=self.categories,
            latest_per_customer=self.customers,
        )
        return replace(base, **changes) if changes else base  # type: ignore[arg-type]

    def params(self) -> list[tuple[str, str]]:
        """The selection as query parameters, in a stable order."""
        items: list[tuple[str, str]] = [("period", self.period.code)]
        if self.period.code == "custom":
            items += [("from", str(self.period.start)), ("to", str(self.period.end))]
        if self.unit is not None:
            items.append(("unit", str(self.unit.pk)))
        items += [("touchpoint", str(pk)) for pk in self.touchpoints]
        items += [("survey", str(pk)) for pk in self.surveys]
        items += [("channel", value) for value in self.channels]
        items += [("language", value) for value in self.languages]
        items += [("category", value) for value in self.categories]
        items += [("attribute", f"{key}:{value}") for key, value in self.attributes]
        if self.customers:
            items.append(("count", "customers"))
        if self.trend != "month":
            items.append(("trend", self.trend))
        return items

    @property
    def querystring(self) -> str:
        return urlencode(self.params())

    def describe(self) -> list[str]:
        """Short phrases for the filters in force, for headings and definitions."""
        parts = []
        if self.touchpoints:
            parts.append(", ".join(Touchpoint.objects.filter(pk__in=self.touchpoints).values_list("name", flat=True)))
        if self.surveys:
            parts.append(", ".join(Survey.objects.filter(pk__in=self.surveys).values_list("name", flat=True)))
        if self.channels:
            labels = dict(Channel.choices)
            parts.append(", ".join(str(labels[c]) for c in self.channels))
        if self.languages:
            parts.append("language " + ", ".join(self.languages))
        if self.categories:
            parts.append(" and ".join(f"{c}s" for c in self.categories) + " only")
        parts += [f"{key} = {value}" for key, value in self.attributes]
        return parts


def read(query: QueryDict, user: AbstractBaseUser | AnonymousUser, today: dt.date | None = None) -> Selection:
    """Parse the URL's parameters; anything invalid or not visible to ``user`` is dropped and reported."""
    today = today or timezone.localdate()
    problems: list[str] = []
    period = _period(query, today, problems)
    unit = None
    if query.get("unit"):
        unit = visible_units(user).filter(pk=_int(query.get("unit", ""))).first()
        if unit is None:
            problems.append("That unit does not exist or is not yours to see; showing all your units.")
    known_tp = set(Touchpoint.objects.values_list("pk", flat=True))
    known_surveys = set(Survey.objects.values_list("pk", flat=True))
    languages = {code for code, _ in settings.LANGUAGES}
    attributes = []
    for item in filter(None, query.getlist("attribute")):
        key, sep, value = item.partition(":")
        if sep and ATTRIBUTE_KEY.match(key) and value:
            attributes.append((key, value))
        else:
            problems.append(f"Ignored the attribute filter {item!r}: write it as key:value.")
    trend = query.get("trend", "month")
    return Selection(
        period=period,
        unit=unit,
        touchpoints=tuple(sorted({_int(v) for v in query.getlist("touchpoint")} & known_tp)),
        surveys=tuple(sorted({_int(v) for v in query.getlist("survey")} & known_surveys)),
        channels=tuple(sorted(set(query.getlist("channel")) & set(Channel.values))),
        languages=tuple(sorted(set(query.getlist("language")) & languages)),
        categories=tuple(c for c in CATEGORY_SCORES if c in query.getlist("category")),
        attributes=tuple(attributes),
        customers=query.get("count") == "customers",
        trend=trend if trend in TREND_BUCKETS else "month",
        problems=tuple(problems),
    )


def _period(query: QueryDict, today: dt.date, problems: list[str]) -> periods.Period:
    code = query.get("period", periods.DEFAULT)
    if code == "custom":
        try:
            start = dt.date.fromisoformat(query.get("from", ""))
            end = dt.date.fromisoformat(query.get("to", ""))
        except ValueError:
            problems.append("Custom dates must look like 2026-01-31; showing the last 12 months.")
            return periods.preset(periods.DEFAULT, today)
        if start > end:
            problems.append("The custom period starts after it ends; showing the last 12 months.")
            return periods.preset(periods.DEFAULT, today)
        return periods.Period("custom", start, end)
    if code not in periods.PRESETS:
        return periods.preset(periods.DEFAULT, today)
    return periods.preset(code, today)


def _int(text: str) -> int:
    try:
        return int(text)
    except (TypeError, ValueError):
        return -1
