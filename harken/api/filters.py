"""The dashboards' filters as query parameters: period, unit, touchpoints, surveys, channels, languages,
contact attributes."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import AbstractBaseUser
from ninja import Schema
from pydantic import Field

from harken.analytics.queries import ATTRIBUTE_KEY, Filters, QueryError
from harken.api.auth import visible_unit
from harken.api.errors import field_error
from harken.api.types import Id
from harken.distribution.models import Channel


class FilterParams(Schema):
    """Which responses to include; dates are calendar days in the installation's time zone, inclusive."""

    start: dt.date | None = Field(None, alias="from", description="First day (YYYY-MM-DD).")
    end: dt.date | None = Field(None, alias="to", description="Last day (YYYY-MM-DD).")
    unit: Id | None = Field(None, description="A unit id; includes every unit below it.")
    touchpoint: list[Id] = Field(default_factory=list, description="Touchpoint ids (repeat for several).")
    survey: list[Id] = Field(default_factory=list, description="Survey ids (repeat for several).")
    channel: list[Channel] = Field(default_factory=list, description="Channels (repeat for several).")
    language: list[str] = Field(default_factory=list, description="Language codes (repeat for several).")
    attribute: list[str] = Field(
        default_factory=list, description="Contact attribute as KEY:VALUE, e.g. plan:gold (repeat for several)."
    )


def build_filters(params: FilterParams, user: AbstractBaseUser) -> Filters:
    """``Filters`` for the query path, with a 422 naming the parameter at fault."""
    unit = None
    if params.unit is not None:
        unit = visible_unit(user, params.unit)
        if unit is None:
            raise field_error("unit", f"No unit {params.unit} that you may see.", location="query")
    attributes = []
    for item in params.attribute:
        key, sep, value = item.partition(":")
        if not sep or not ATTRIBUTE_KEY.match(key):
            raise field_error(
                "attribute", f"Expected KEY:VALUE with a key of letters, digits and _, got {item!r}.", location="query"
            )
        attributes.append((key, value))
    if params.start and params.end and params.start > params.end:
        raise field_error("from", f"The period starts ({params.start}) after it ends ({params.end}).", "query")
    try:
        return Filters(
            start=params.start,
            end=params.end,
            unit=unit,
            touchpoints=tuple(params.touchpoint),
            surveys=tuple(params.survey),
            channels=tuple(str(channel.value) for channel in params.channel),
            languages=tuple(params.language),
            attributes=tuple(attributes),
        )
    except QueryError as exc:
        raise field_error("filters", str(exc), location="query") from None
