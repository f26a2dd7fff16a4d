"""Wall screens: a store's or team's NPS on a TV, opened by a signed, revocable link without login.

The link carries ``<id>.<key>`` signed with the secret key; the key is random and stored on the
``WallLink`` row, so a link can neither be forged nor guessed, and revoking the row switches it off at once.
What a wall shows holds no personal data of customers: no names or addresses, and e-mail addresses and phone
numbers inside comments are blacked out (``redact``).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.core import signing

from harken.analytics import periods, queries
from harken.analytics.nps import Summary
from harken.analytics.queries import Filters
from harken.dashboards.panels import PeerRank, peer_rank
from harken.dashboards.selection import Selection
from harken.org.models import Unit
from harken.reports import charts
from harken.reports.executive import ZERO, summary
from harken.reports.models import WallLink

SALT = "harken.reports.wall"
DAYS = 90  # the wall's NPS and rank cover the last 90 days
PRAISE = 6
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# A phone number: 7 or more digits, optionally with a leading + and spaces, dots, dashes or brackets between.
PHONE = re.compile(r"(?<![\w])\+?\(?\d(?:[\s().-]{0,2}\d){6,}(?![\w])")


class WallError(Exception):
    """A wall link that cannot be shown; ``status`` is the HTTP status for the friendly page."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


def token(link: WallLink) -> str:
    """The signed part of the wall's address."""
    return signing.Signer(salt=SALT).sign(f"{link.pk}.{link.key}")


def resolve(value: str) -> WallLink:
    """The active link a token names, or ``WallError`` (404 for a bad link, 410 for a revoked one)."""
    try:
        pk, _, key = signing.Signer(salt=SALT).unsign(value).partition(".")
    except signing.BadSignature as error:
        raise WallError("This wall screen link is not valid. Check that it was copied whole.", 404) from error
    link = WallLink.objects.select_related("unit").filter(pk=int(pk) if pk.isdigit() else -1, key=key).first()
    if link is None:
        raise WallError("This wall screen link no longer exists. Ask your manager for a new one.", 404)
    if link.revoked_at is not None:
        raise WallError("This wall screen has been switched off. Ask your manager for a new link.", 410)
    return link


def redact(text: str) -> str:
    """The comment with e-mail addresses and phone numbers replaced, so a public screen shows none."""
    return PHONE.sub("[phone]", EMAIL.sub("[email]", text))


@dataclass(frozen=True)
class Wall:
    """What a wall screen shows."""

    unit: Unit
    start: dt.date
    end: dt.date
    summary: Summary
    trend_svg: str
    praise: list[str]
    rank: PeerRank


def wall(unit: Unit, today: dt.date) -> Wall:
    """The unit's NPS of the last 90 days with n and interval, its 12-month trend, praise and peer rank."""
    start = today - dt.timedelta(days=DAYS - 1)
    filters = Filters(start=start, end=today, unit=unit)
    first = periods.add_months(today.replace(day=1), -11)
    months = {g.key: g for g in queries.nps_by("month", Filters(start=first, end=today, unit=unit))}
    points = []
    month = first
    while month <= today:
        group = months.get(f"{month:%Y-%m}")
        found = summary(group.counts if group else ZERO)
        interval = found.interval
        points.append(
            charts.Point(
                f"{month:%b}",
                found.nps,
                interval.low if interval else None,
                interval.high if interval else None,
                found.n,
            )
        )
        month = periods.add_months(month, 1)
    comments = queries.comments(filters, limit=PRAISE * 3, praise_first=True)
    praise = [redact(r.comment) for r in comments if r.score is not None and r.score >= 9][:PRAISE]
    selection = Selection(period=periods.Period("90d", start, today))
    return Wall(
        unit=unit,
        start=start,
        end=today,
        summary=summary(queries.total(filters)),
        trend_svg=charts.trend_svg(points, f"NPS of {unit.name} by month", width=600, height=220),
        praise=praise,
        rank=peer_rank(selection, unit),
    )
