"""Template filters of the executive report, formatting numbers exactly as its narrative writes them."""

from __future__ import annotations

from django import template

from harken.analytics.nps import Comparison
from harken.reports import narrative

register = template.Library()


@register.filter
def pct(share: float | None) -> str:
    """A share 0…1 in whole percent, "42 %" (the narrative's format); "—" for None."""
    return "—" if share is None else narrative.percent(share)


@register.filter
def ratio(count: int, total: int) -> str:
    """count / total in whole percent, "—" without a total."""
    return "—" if not total else narrative.percent(count / total)


@register.filter
def hours(value: float | None) -> str:
    """Hours with one decimal, "—" for None."""
    return "—" if value is None else f"{value:.1f}"


@register.filter
def verdict(test: Comparison | None) -> str:
    """ "significant rise", "significant fall", "no significant change" or "—" (nothing to compare)."""
    if test is None:
        return "—"
    if not test.significant:
        return "no significant change"
    return "significant rise" if test.difference > 0 else "significant fall"


@register.filter
def p_value(test: Comparison | None) -> str:
    """The test's p-value, "0.012", or "<0.001"."""
    if test is None:
        return "—"
    return "<0.001" if test.p_value < 0.001 else f"{test.p_value:.3f}"
