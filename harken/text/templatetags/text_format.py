"""Formatting for the theme pages: None is shown as "—", never as 0."""

from __future__ import annotations

from django import template

from harken.analytics.nps import Interval
from harken.text.drivers import Driver, DriverAnalysis

register = template.Library()


@register.filter
def points(value: float | None) -> str:
    """NPS points with a sign and one decimal: +12.5, −3.0; "—" for None."""
    if value is None:
        return "—"
    return f"{value:+.1f}".replace("-", "−")


@register.filter
def percent(value: float | None) -> str:
    """A share 0…1 as a percentage with one decimal; "—" for None."""
    return "—" if value is None else f"{100 * value:.1f} %"


@register.filter
def span(interval: Interval | None) -> str:
    """An interval in points: [−1.8, +54.8]."""
    return "—" if interval is None else f"[{points(interval.low)}, {points(interval.high)}]"


@register.simple_tag
def quadrant(analysis: DriverAnalysis, driver: Driver) -> str:
    """The driver's reading on the importance × performance chart ("Fix first", "Keep it up" …)."""
    return analysis.quadrant(driver)
