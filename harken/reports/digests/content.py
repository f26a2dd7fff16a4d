"""What a digest says: the numbers of a scope and period, read through the one query path.

NPS, intervals and tests come from ``harken.analytics.nps``; counts from ``harken.analytics.queries``; themes
from ``harken.text.impact``; the most improved and top units from the dashboards' own panels; cases from
``harken.loop``.  A digest covers several units by adding the counts of each (units under another chosen
unit are dropped first, so nothing is counted twice).  ``user`` scopes every query for a user's digest;
an address without a login (user ``None``) sees exactly the units an administrator chose.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field, replace
from typing import Any

from django.conf import settings
from django.utils import timezone

from harken.analytics import periods, queries
from harken.analytics.nps import Comparison, Counts, Summary, compare, summarize
from harken.analytics.queries import Filters
from harken.analytics.templatetags.nps import nps as signed
from harken.analytics.templatetags.nps import p_value
from harken.collect.models import Response
from harken.dashboards import panels
from harken.dashboards.selection import Selection
from harken.loop.models import OPEN_STATUSES, Case
from harken.org.models import Unit
from harken.org.scoping import root_units, visible_units
from harken.text import impact

ZERO = Counts(0, 0, 0)
THEMES_SHOWN = 3
COMMENTS_SHOWN = 3
CANDIDATE_COMMENTS = 20
UNIT_ROWS = 15  # a region of 40 stores would drown the email: the rest are on the dashboard


def change_sentence(test: Comparison | None) -> str:
    """The change against the previous period in words; "rose"/"fell"/"significant" only when the test says so.

    A change the two-sample z-test does not call significant is given as a number of points "within the
    margin of error", with no verb of movement, so nobody reads noise as a trend.
    """
    if test is None:
        return "No comparison: one of the two periods has no scored answers."
    if test.significant:
        verb = "rose" if test.difference > 0 else "fell"
        return (
            f"NPS {verb} significantly, by {abs(test.difference):.1f} points against the previous period "
            f"({p_value(test.p_value)})."
        )
    if test.difference == 0:
        return f"NPS is unchanged against the previous period ({p_value(test.p_value)})."
    return (
        f"{signed(test.difference)} points against the previous period: within the margin of error "
        f"({p_value(test.p_value)}), so not a real change yet."
    )


@dataclass(frozen=True)
class UnitRow:
    name: str
    summary: Summary


@dataclass(frozen=True)
class ThemeLine:
    name: str
    mentions: int
    share: float | None  # of commented responses, 0…1
    impact: float  # NPS points


@dataclass(frozen=True)
class CommentLine:
    score: int | None
    text: str
    unit: str
    touchpoint: str
    submitted_at: dt.datetime


@dataclass(frozen=True)
class CaseStats:
    open: int
    overdue: int
    opened: int
    closed: int
    overdue_cases: list[Case]


@dataclass(frozen=True)
class BestPractice:
    improved: panels.Improvement | None = None  # only a significant rise
    top: panels.Entry | None = None
    rank: panels.PeerRank | None = None
    level_label: str = ""
    excellence: CommentLine | None = None
    shoutouts: list[Any] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.improved or self.top or self.rank or self.excellence or self.shoutouts)


@dataclass(frozen=True)
class Digest:
    """Everything one digest shows."""

    scope: list[Unit]
    start: dt.date
    end: dt.date
    previous: tuple[dt.date, dt.date]
    summary: Summary
    before: Summary
    test: Comparison | None
    responses: int  # every response in the period, scored or not
    answered: int
    sent: int
    units: list[UnitRow]
    more_units: int  # units left out of ``units`` (see UNIT_ROWS)
    detractor_themes: list[ThemeLine]
    promoter_themes: list[ThemeLine]
    praise: list[CommentLine]
    complaints: list[CommentLine]
    cases: CaseStats
    best: BestPractice

    @property
    def scope_name(self) -> str:
        return ", ".join(unit.name for unit in self.scope) or "No units"

    @property
    def change(self) -> str:
        return change_sentence(self.test)

    @property
    def response_rate(self) -> float | None:
        """Answered invitations per invitation sent in the period, in percent; None when none were sent."""
        return 100 * self.answered / self.sent if self.sent else None

    @property
    def has_feedback(self) -> bool:
        return self.responses > 0


def day(value: dt.date, with_year: bool = True) -> str:
    """ "4 Mar 2024" (no leading zero), or "4 Mar"."""
    return f"{value.day} {value:%b %Y}" if with_year else f"{value.day} {value:%b}"


def period_label(frequency: str, start: dt.date, end: dt.date) -> str:
    """ "Monday 4 Mar 2024", "Week of 4 Mar 2024", "March 2024" (or the dates)."""
    if frequency == "daily":
        return f"{start:%A} {day(start)}"
    if frequency == "weekly":
        return f"Week of {day(start)}"
    if frequency == "monthly":
        return f"{start:%B %Y}"
    return f"{day(start)} – {day(end)}"


def period_heading(frequency: str, start: dt.date, end: dt.date) -> str:
    """The dates under a digest's title: "Sunday 22 Nov 2026", "16 – 22 Nov 2026", "November 2026"."""
    if frequency == "weekly":
        if start.year != end.year:
            return f"{day(start)} – {day(end)}"
        first = str(start.day) if start.month == end.month else day(start, with_year=False)
        return f"{first} – {day(end)}"
    return period_label(frequency, start, end)


def scope_units(units: list[Unit], user: Any | None) -> list[Unit]:
    """The chosen units the reader may see, without those inside another chosen one; none chosen: the user's."""
    if user is not None:
        allowed = set(visible_units(user).values_list("pk", flat=True))
        units = [unit for unit in units if unit.pk in allowed] if units else root_units(user)
    chosen = sorted(units, key=lambda unit: unit.path)
    return [unit for unit in chosen if not any(unit.path.startswith(o.path) and unit != o for o in chosen)]


def _sum(values: list[Counts]) -> Counts:
    return sum(values, ZERO)


def build(units: list[Unit], start: dt.date, end: dt.date, user: Any | None = None) -> Digest:
    """The digest of ``units`` (each with its subtree) for the calendar days ``start``…``end``."""
    scope = scope_units(units, user)
    before_start, before_end = periods.previous(start, end)
    now_filters = [Filters(start=start, end=end, unit=unit) for unit in scope]
    before_filters = [replace(f, start=before_start, end=before_end) for f in now_filters]
    counts = _sum([queries.total(f, user) for f in now_filters])
    before = _sum([queries.total(f, user) for f in before_filters])
    answered_sent = [queries.invitations_answered(f, user) for f in now_filters]
    confidence = settings.CONFIDENCE
    excellent = _excellence(scope, start, end, user)
    rows = _unit_rows(scope, now_filters, user)
    shown = {excellent.pk} if excellent is not None else set()
    return Digest(
        scope=scope,
        start=start,
        end=end,
        previous=(before_start, before_end),
        summary=summarize(counts, confidence),
        before=summarize(before, confidence),
        test=compare(before, counts),
        responses=sum(queries.responses(f, user, scored_only=False).count() for f in now_filters),
        answered=sum(a for a, _ in answered_sent),
        sent=sum(s for _, s in answered_sent),
        units=rows[:UNIT_ROWS],
        more_units=max(0, len(rows) - UNIT_ROWS),
        **_themes(now_filters, user),
        praise=_curated(now_filters, user, "promoter", exclude=shown),
        complaints=_curated(now_filters, user, "detractor"),
        cases=_cases(scope, start, end, user),
        best=_best_practice(scope, start, end, user, excellent),
    )


def _unit_rows(scope: list[Unit], filters: list[Filters], user: Any | None) -> list[UnitRow]:
    """One row per unit below the scope (or per chosen unit when several were chosen)."""
    if len(scope) > 1:
        pairs = zip(scope, filters, strict=True)
        return [UnitRow(unit.name, summarize(queries.total(f, user), settings.CONFIDENCE)) for unit, f in pairs]
    if not scope or not scope[0].children.exists():
        return []
    groups = queries.nps_by("unit", filters[0], user)
    return [UnitRow(group.label, group.summary()) for group in groups if group.counts.n]


def _themes(filters: list[Filters], user: Any | None) -> dict[str, list[ThemeLine]]:
    """The themes pulling NPS down most and lifting it most, over every unit of the scope together."""
    merged: dict[str, impact.ThemeGroup] = {}
    totals, commented = ZERO, 0
    for chosen in filters:
        groups = impact.themes(chosen, user)
        if groups:
            totals, commented = totals + groups[0].total, commented + groups[0].commented
        for group in groups:
            old = merged.get(group.key)
            merged[group.key] = replace(group, mentions=old.mentions + group.mentions) if old else group
    combined = [replace(g, total=totals, commented=commented) for g in merged.values()]
    negative, positive = impact.drivers(combined)

    def lines(groups: list[impact.ThemeGroup]) -> list[ThemeLine]:
        found = [(g, g.impact()) for g in groups[:THEMES_SHOWN]]
        return [ThemeLine(g.label, g.mentions.n, g.share, i.points) for g, i in found if i is not None]

    return {"detractor_themes": lines(negative), "promoter_themes": lines(positive)}


def _line(response: Response) -> CommentLine:
    return CommentLine(
        score=response.score,
        text=response.comment,
        unit=response.unit.name,
        touchpoint=response.touchpoint.name if response.touchpoint else "",
        submitted_at=response.submitted_at,
    )


def _curated(
    filters: list[Filters], user: Any | None, category: str, exclude: set[int] | None = None
) -> list[CommentLine]:
    """A few comments of one category: the most telling (longest) of the latest ones, newest first.

    ``queries.comments`` only returns responses with a comment, so a bare score is never chosen; ``exclude``
    holds responses shown elsewhere in the digest (the excellence comment), so none appears twice.
    """
    found: list[Response] = []
    for chosen in filters:
        found += queries.comments(replace(chosen, categories=(category,)), user, limit=CANDIDATE_COMMENTS)
    found = [response for response in found if response.pk not in (exclude or set())]
    found.sort(key=lambda r: r.submitted_at, reverse=True)
    telling = sorted(found[:CANDIDATE_COMMENTS], key=lambda r: (-len(r.comment.strip()), -r.pk))[:COMMENTS_SHOWN]
    return [_line(r) for r in sorted(telling, key=lambda r: (r.submitted_at, r.pk), reverse=True)]


def _cases(scope: list[Unit], start: dt.date, end: dt.date, user: Any | None) -> CaseStats:
    """Open and overdue follow-up cases now, and cases opened and closed in the period."""
    from harken.loop.cases import visible_cases

    cases = visible_cases(user) if user is not None else Case.objects.all()
    in_scope = Case.objects.none()
    for unit in scope:
        in_scope = in_scope | cases.filter(unit__path__startswith=unit.path)
    now = timezone.now()
    open_cases = in_scope.filter(status__in=OPEN_STATUSES)
    overdue = open_cases.filter(due_at__lt=now)
    first, after = queries.midnight(start), queries.midnight(end + dt.timedelta(days=1))
    return CaseStats(
        open=open_cases.count(),
        overdue=overdue.count(),
        opened=in_scope.filter(opened_at__gte=first, opened_at__lt=after).count(),
        closed=in_scope.filter(closed_at__gte=first, closed_at__lt=after).count(),
        overdue_cases=list(overdue.select_related("unit", "owner").order_by("due_at")[:5]),
    )


def ranking_level(unit: Unit) -> str | None:
    """The kind of unit to compare inside ``unit``: the most common kind below it (stores in a region)."""
    kinds = Counter(unit.subtree().exclude(pk=unit.pk).filter(is_active=True).values_list("kind", flat=True))
    if not kinds:
        return None
    return max(kinds.items(), key=lambda item: (item[1], item[0]))[0]


def _best_practice(
    scope: list[Unit], start: dt.date, end: dt.date, user: Any | None, excellent: Response | None
) -> BestPractice:
    """The most improved unit (only a significant rise), the top unit and an excellence comment to share."""
    period = periods.Period("custom", start, end)
    viewer = user if user is not None else _everyone()
    improved: list[panels.Improvement] = []
    tops: list[panels.Entry] = []
    rank, label = None, ""
    for unit in scope:
        chosen = Selection(period=period, unit=unit)
        level = ranking_level(unit)
        if level is None:
            rank = panels.peer_rank(chosen, unit)  # only the rank leaves it: peers' numbers stay private
            label = str(Unit.Kind(unit.kind).label).lower() if unit.kind in Unit.Kind.values else unit.kind
            continue
        label = str(Unit.Kind(level).label).lower() if level in Unit.Kind.values else level
        improved += [e for e in panels.improved(chosen, viewer, level).entries if e.test.significant]
        tops += [e for e in panels.leaderboard(chosen, viewer, level).entries if e.rank == 1]
    best_rise = max(improved, key=lambda e: e.test.difference, default=None)
    top = max(tops, key=lambda e: e.shrunk or 0, default=None)
    return BestPractice(
        improved=best_rise,
        top=top,
        rank=rank if rank is not None and rank.entry.rank is not None else None,
        level_label=label,
        excellence=_line(excellent) if excellent is not None else None,
        shoutouts=_shoutouts(scope, start, end),
    )


def _everyone() -> Any:
    """A reader who sees every unit, for an administrator's subscriber without a login (units fixed by the admin)."""
    from django.contrib.auth.models import AnonymousUser

    class Everyone(AnonymousUser):
        is_superuser = True  # type: ignore[assignment]  # read by harken.org.scoping.sees_everything

        @property
        def is_authenticated(self) -> bool:  # type: ignore[override]
            return True

    return Everyone()


def _excellence(scope: list[Unit], start: dt.date, end: dt.date, user: Any | None) -> Response | None:
    """The longest 10/10 comment of the period: praise worth passing on."""
    best: Response | None = None
    for unit in scope:
        filters = Filters(start=start, end=end, unit=unit, categories=("promoter",))
        for response in queries.comments(filters, user, limit=CANDIDATE_COMMENTS):
            if response.score == 10 and (best is None or len(response.comment) > len(best.comment)):
                best = response
    return best


def _shoutouts(scope: list[Unit], start: dt.date, end: dt.date) -> list[Any]:
    """Promoter comments naming an employee or a store (``harken.loop.recognition``)."""
    from harken.loop.recognition import shoutouts_for_units

    since, until = queries.midnight(start), queries.midnight(end + dt.timedelta(days=1))
    return list(shoutouts_for_units([unit.pk for unit in scope], since, until, limit=5))
