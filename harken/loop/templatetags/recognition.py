"""``{% unit_shoutouts unit period as shoutouts %}``: the shout-outs of a unit for a dashboard period."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import template

from harken.analytics.queries import local_zone
from harken.loop.models import Shoutout
from harken.loop.recognition import shoutouts_for_units

register = template.Library()
EARLIEST = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)


@register.simple_tag
def unit_shoutouts(unit: Any, period: Any, limit: int = 5) -> list[Shoutout]:
    """Shout-outs for ``unit`` (and its subtree) on responses submitted in ``period`` (a dashboard period with
    inclusive local ``start``/``end`` days, either open)."""
    if unit is None:
        return []
    zone = local_zone()
    since = dt.datetime.combine(period.start, dt.time(), zone) if period.start else EARLIEST
    end = period.end or dt.datetime.now(zone).date()
    until = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), zone)
    return shoutouts_for_units([unit.pk], since, until, limit)
