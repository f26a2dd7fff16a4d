"""Template filters that format NPS numbers the same way on every page."""

from __future__ import annotations

from django import template

from harken.analytics.nps import Counts, Interval

register = template.Library()


@register.filter
def nps(value: float | None) -> str:
    """NPS points with one decimal and a sign: "+33.3", "−5.0"; "—" when there are no answers."""
    if value is None:
        return "—"
    rounded = round(value, 1)
    if rounded == 0:
        return "0.0"
    return f"+{rounded:.1f}" if rounded > 0 else f"−{abs(rounded):.1f}"


@register.filter
def points(value: float | None) -> str:
    """A number of NPS points with one decimal."""
    return "—" if value is None else f"{value:.1f}"


@register.filter
def interval(value: Interval | None) -> str:
    """An interval as "[low, high]" in NPS points."""
    if value is None:
        return "—"
    return f"[{nps(value.low)}, {nps(value.high)}]"


@register.filter
def nps_class(value: float | None) -> str:
    """A CSS class for colouring a score: positive, neutral or negative."""
    if value is None:
        return "muted"
    return "positive" if value > 0 else "negative" if value < 0 else "neutral"


@register.filter
def percent(value: float) -> str:
    """0.95 → "95%"."""
    return f"{value * 100:.0f}%"


@register.filter
def share(count: int, total: int) -> str:
    """count / total as a percentage with one decimal."""
    return "—" if not total else f"{100 * count / total:.1f}%"


@register.filter
def intcomma_int(value: int) -> str:
    """12345 → "12,345"."""
    return f"{value:,}"


@register.inclusion_tag("analytics/split_bar.html")
def split_bar(counts: Counts) -> dict[str, object]:
    """A stacked bar of detractor, passive and promoter shares."""
    n = counts.n or 1
    return {
        "detractors": 100 * counts.detractors / n,
        "passives": 100 * counts.passives / n,
        "promoters": 100 * counts.promoters / n,
        "counts": counts,
    }


@register.filter
def p_value(value: float | None) -> str:
    """A p-value as "p = 0.042", or "p < 0.001" when it rounds to zero."""
    if value is None:
        return "—"
    return "p < 0.001" if value < 0.001 else f"p = {value:.3f}"
