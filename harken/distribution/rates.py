"""Response rates: the sent → delivered → opened → clicked → answered funnel and the bounce rate.

One grouped SQL query per grouping (survey, touchpoint or unit) counts the email and SMS invitations *sent*
in the period (``sent_at`` on its calendar days); each later stage counts the invitations that reached at
least that stage, so the funnel never widens:

- **sent**: handed to the mail server or SMS provider (accepted or refused);
- **delivered**: accepted by it;
- **opened**: the open pixel loaded (surveys that switched it on), or a link clicked, or answered — without
  the pixel this is a lower bound;
- **clicked**: a tracked link (a score button, the survey link, an SMS short link) followed, or answered;
- **answered**: a response was recorded;
- **bounced**: a hard bounce (refused recipient, or an RFC 3464 ``failed`` report); *deferred* counts soft
  bounces that did not turn hard.

Every rate is a share of *sent* (``None`` when nothing was sent, never 0): response rate = answered / sent,
bounce rate = bounced / sent.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Count, Q, QuerySet

from harken.analytics import queries
from harken.analytics.queries import Filters
from harken.distribution.models import Channel, Invitation

GROUPINGS = {
    "survey": ("survey_id", "survey__name"),
    "touchpoint": ("touchpoint_id", "touchpoint__name"),
    "unit": ("unit_id", "unit__name"),
}
STAGES = ("sent", "delivered", "opened", "clicked", "answered")
ANSWERED = queries.ANSWERED
CLICKED = Q(clicked_at__isnull=False) | ANSWERED
COUNTS = {
    "sent": Count("id"),
    "delivered": Count("id", filter=Q(delivered_at__isnull=False)),
    "opened": Count("id", filter=Q(opened_at__isnull=False) | CLICKED),
    "clicked": Count("id", filter=CLICKED),
    "answered": Count("id", filter=ANSWERED),
    "bounced": Count("id", filter=Q(bounce=Invitation.Bounce.HARD)),
    "deferred": Count("id", filter=Q(bounce=Invitation.Bounce.SOFT)),
}


@dataclass(frozen=True)
class Funnel:
    """Counts of one group of invitations; each stage is at most the one before it."""

    sent: int = 0
    delivered: int = 0
    opened: int = 0
    clicked: int = 0
    answered: int = 0
    bounced: int = 0
    deferred: int = 0

    def __post_init__(self) -> None:
        values = [getattr(self, stage) for stage in STAGES]
        if any(value < 0 for value in values) or any(a < b for a, b in itertools.pairwise(values)):
            raise ValueError(f"A funnel narrows from stage to stage, got {dict(zip(STAGES, values, strict=True))}")

    def rate(self, stage: str) -> float | None:
        """``stage`` (or ``bounced``, ``deferred``) as a share of sent, 0–1; ``None`` when nothing was sent."""
        return getattr(self, stage) / self.sent if self.sent else None

    @property
    def response_rate(self) -> float | None:
        """answered / sent."""
        return self.rate("answered")

    @property
    def bounce_rate(self) -> float | None:
        """hard bounces / sent."""
        return self.rate("bounced")


@dataclass(frozen=True)
class Row:
    """One group: its id (``None`` for invitations without a touchpoint), name and funnel."""

    key: int | None
    label: str
    funnel: Funnel


def invitations(filters: Filters, user: AbstractBaseUser | AnonymousUser | None) -> QuerySet[Invitation]:
    """Email and SMS invitations of ``harken.analytics.queries.invitations`` (the set behind every response
    rate), limited to the units ``user`` may see (all when ``None``)."""
    channels = [c for c in (Channel.EMAIL, Channel.SMS) if not filters.channels or c in filters.channels]
    return queries.invitations(filters, user).filter(channel__in=channels)


def total(filters: Filters, user: AbstractBaseUser | AnonymousUser | None = None) -> Funnel:
    """The funnel of every matching invitation."""
    return Funnel(**invitations(filters, user).aggregate(**COUNTS))


def by(grouping: str, filters: Filters, user: AbstractBaseUser | AnonymousUser | None = None) -> list[Row]:
    """The funnel per survey, touchpoint or unit, largest first (one grouped query)."""
    if grouping not in GROUPINGS:
        raise ValueError(f"Group response rates by {', '.join(GROUPINGS)}, not {grouping!r}")
    key, label = GROUPINGS[grouping]
    rows: list[dict[str, Any]] = list(invitations(filters, user).order_by().values(key, label).annotate(**COUNTS))
    result = [
        Row(row[key], row[label] or "No touchpoint", Funnel(**{name: row[name] for name in COUNTS})) for row in rows
    ]
    return sorted(result, key=lambda row: (-row.funnel.sent, row.label))
