"""Template filters of the response-rates page."""

from __future__ import annotations

from django import template

from harken.distribution.rates import Funnel

register = template.Library()


@register.filter
def stage_count(funnel: Funnel, stage: str) -> int:
    """The number of invitations at ``stage``."""
    return int(getattr(funnel, stage))


@register.filter
def stage_percent(funnel: Funnel, stage: str) -> str:
    """``stage`` as a percentage of sent, one decimal (``—`` when nothing was sent)."""
    rate = funnel.rate(stage)
    return "—" if rate is None else f"{rate * 100:.1f}%"


@register.filter
def stage_value(funnel: Funnel, stage: str) -> float:
    """``stage`` as a percentage of sent for a progress bar (0 when nothing was sent)."""
    rate = funnel.rate(stage)
    return 0.0 if rate is None else round(rate * 100, 1)
