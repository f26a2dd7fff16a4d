"""The overview page: the organisation's NPS with its uncertainty, by touchpoint and by unit."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils import timezone

from harken.analytics import queries
from harken.analytics.queries import Filters
from harken.org.scoping import root_units

PERIODS = {
    "30d": ("Last 30 days", 30),
    "90d": ("Last 90 days", 90),
    "12m": ("Last 12 months", 365),
    "all": ("All time", None),
}
DEFAULT_PERIOD = "12m"


def period_filters(code: str) -> Filters:
    """Filters for a period preset ending today, in the installation's time zone."""
    _, days = PERIODS[code]
    today = timezone.localdate()
    start = today - dt.timedelta(days=days - 1) if days else None
    return Filters(start=start, end=today if days else None)


def overview(request: HttpRequest) -> TemplateResponse:
    """NPS with n and interval for everything the user may see, then by touchpoint and by unit."""
    period = request.GET.get("period", DEFAULT_PERIOD)
    if period not in PERIODS:
        period = DEFAULT_PERIOD
    filters = period_filters(period)
    roots = root_units(request.user)
    headline = queries.nps_by("total", filters, request.user)[0]
    context = {
        "period": period,
        "periods": [(code, label) for code, (label, _) in PERIODS.items()],
        "period_label": PERIODS[period][0],
        "filters": filters,
        "scope_name": ", ".join(unit.name for unit in roots) or "No units",
        "has_units": bool(roots),
        "headline": headline.summary(),
        "by_touchpoint": [(group, group.summary()) for group in queries.nps_by("touchpoint", filters, request.user)],
        "by_unit": [(group, group.summary()) for group in queries.nps_by("unit", filters, request.user)],
    }
    return TemplateResponse(request, "dashboards/overview.html", context)
