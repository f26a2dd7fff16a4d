"""The dashboards' panels: each one is computed here once and rendered on the page and in exports alike.

Every number comes from ``harken.analytics.queries`` (one grouped query per panel) and every statistic from
``harken.analytics.nps``.  Each panel's ``table()`` gives the rows an export writes, rounded exactly as the
page shows them (one decimal for NPS and interval bounds).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

from harken.analytics import periods, queries
from harken.analytics.nps import Comparison, Counts, Summary, compare, shrink, summarize
from harken.analytics.queries import Filters, Group
from harken.dashboards.models import Benchmark, Goal
from harken.dashboards.selection import Selection
from harken.org.models import Unit
from harken.org.scoping import root_units, visible_units

Viewer = AbstractBaseUser | AnonymousUser
HEADERS = ["NPS", "95% low", "95% high", "n", "Promoters", "Passives", "Detractors"]


def one(value: float | None) -> float | None:
    """Round as the page does: one decimal."""
    return None if value is None else round(value, 1)


def stats(summary: Summary) -> list[Any]:
    """The standard numbers of a row: NPS, interval bounds, n and the three counts."""
    interval = summary.interval
    return [
        one(summary.nps),
        one(interval.low) if interval else None,
        one(interval.high) if interval else None,
        summary.n,
        summary.counts.promoters,
        summary.counts.passives,
        summary.counts.detractors,
    ]


def summary_of(counts: Counts) -> Summary:
    return summarize(counts, settings.CONFIDENCE)


@dataclass(frozen=True)
class Table:
    """What an export writes: a title, column headers and rows of plain values."""

    title: str
    headers: list[str]
    rows: list[list[Any]]


@dataclass(frozen=True)
class Change:
    """The NPS now against an earlier period, with the two-sample test."""

    label: str
    start: dt.date
    end: dt.date
    before: Summary
    test: Comparison | None

    @property
    def significant(self) -> bool:
        return bool(self.test and self.test.significant)


@dataclass(frozen=True)
class Reference:
    """A goal or benchmark: a horizontal line on the trend and a comparison in the headline."""

    kind: str  # "goal" or "benchmark"
    label: str
    value: float


@dataclass(frozen=True)
class Headline:
    summary: Summary
    changes: list[Change]
    distribution: list[int]
    answered: int
    sent: int
    references: list[Reference]

    @property
    def response_rate(self) -> float | None:
        return None if not self.sent else 100 * self.answered / self.sent

    def table(self) -> Table:
        rows: list[list[Any]] = [["Selected period", *stats(self.summary), None, None]]
        for change in self.changes:
            test = change.test
            rows.append(
                [
                    f"{change.label} ({change.start} to {change.end})",
                    *stats(change.before),
                    one(test.difference) if test else None,
                    "yes" if change.significant else "no",
                ]
            )
        return Table("NPS", ["Period", *HEADERS, "Change now − then", "Significant"], rows)

    def distribution_table(self) -> Table:
        total = sum(self.distribution)
        rows = [
            [score, count, one(100 * count / total) if total else None] for score, count in enumerate(self.distribution)
        ]
        return Table("Scores 0–10", ["Score", "Responses", "Share %"], rows)


def headline(selection: Selection, user: Viewer) -> Headline:
    """NPS with n and interval, changes against the previous period and a year before, the 0–10 spread."""
    filters = selection.filters()
    summary = summary_of(queries.total(filters, user))
    changes = []
    period = selection.period
    if period.start is not None and period.end is not None:
        earlier = [("Previous period", periods.previous(period.start, period.end))]
        if (period.end - period.start).days < 364:  # a year or longer: the previous period is already a year back
            earlier.append(("Same period last year", periods.year_before(period.start, period.end)))
        for label, (start, end) in earlier:
            before = queries.total(selection.filters(start=start, end=end), user)
            changes.append(Change(label, start, end, summary_of(before), compare(before, summary.counts)))
    answered, sent = queries.invitations_answered(filters, user)
    return Headline(
        summary=summary,
        changes=changes,
        distribution=queries.distribution(filters, user),
        answered=answered,
        sent=sent,
        references=references(selection, user),
    )


def references(selection: Selection, user: Viewer) -> list[Reference]:
    """Goals of the unit in view that overlap the period, and active benchmarks."""
    unit = selection.unit or (root_units(user)[0] if len(root_units(user)) == 1 else None)
    found: list[Reference] = []
    if unit is not None:
        goals = Goal.objects.filter(unit=unit)
        if selection.period.start:
            goals = goals.filter(end__gte=selection.period.start)
        if selection.period.end:
            goals = goals.filter(start__lte=selection.period.end)
        found += [Reference("goal", f"Goal {goal.start:%b %Y}–{goal.end:%b %Y}", goal.target) for goal in goals[:3]]
    benchmarks = Benchmark.objects.filter(is_active=True)
    if selection.touchpoints:
        benchmarks = benchmarks.filter(touchpoint__isnull=True) | benchmarks.filter(
            touchpoint__in=selection.touchpoints
        )
    else:
        benchmarks = benchmarks.filter(touchpoint__isnull=True)
    found += [Reference("benchmark", benchmark.name, benchmark.value) for benchmark in benchmarks[:3]]
    return found


@dataclass(frozen=True)
class GroupRows:
    """A list of groups with their summaries (trend, journey, units)."""

    title: str
    first_column: str
    rows: list[tuple[Group, Summary]]
    references: list[Reference] = field(default_factory=list)

    def table(self) -> Table:
        return Table(self.title, [self.first_column, *HEADERS], [[g.label, *stats(s)] for g, s in self.rows])

    def chart(self) -> dict[str, Any]:
        """The data the chart script draws: labels, NPS, interval bounds, n, reference lines."""
        return {
            "labels": [group.label for group, _ in self.rows],
            "nps": [one(summary.nps) for _, summary in self.rows],
            "low": [one(summary.interval.low) if summary.interval else None for _, summary in self.rows],
            "high": [one(summary.interval.high) if summary.interval else None for _, summary in self.rows],
            "n": [summary.n for _, summary in self.rows],
            "references": [{"label": r.label, "value": r.value, "kind": r.kind} for r in self.references],
        }


def _rows(groups: list[Group]) -> list[tuple[Group, Summary]]:
    return [(group, group.summary()) for group in groups]


def trend(selection: Selection, user: Viewer, refs: list[Reference] | None = None) -> GroupRows:
    groups = queries.nps_by(selection.trend, selection.filters(), user)
    label = {"week": "Week", "month": "Month", "quarter": "Quarter"}[selection.trend]
    return GroupRows("Trend", label, _rows(groups), refs or [])


def journey(selection: Selection, user: Viewer) -> GroupRows:
    return GroupRows("By touchpoint", "Touchpoint", _rows(queries.nps_by("touchpoint", selection.filters(), user)))


def by_unit(selection: Selection, user: Viewer) -> GroupRows:
    return GroupRows("By unit", "Unit", _rows(queries.nps_by("unit", selection.filters(), user)))


@dataclass(frozen=True)
class Comments:
    responses: list[Any]

    def table(self) -> Table:
        rows = [
            [
                r.submitted_at.astimezone(queries.local_zone()).strftime("%Y-%m-%d %H:%M"),
                r.score,
                r.unit.name,
                r.touchpoint.name if r.touchpoint else "",
                r.comment,
            ]
            for r in self.responses
        ]
        return Table("Latest comments", ["Submitted", "Score", "Unit", "Touchpoint", "Comment"], rows)


def comments(selection: Selection, user: Viewer, praise_first: bool = False, limit: int = 8) -> Comments:
    return Comments(queries.comments(selection.filters(), user, limit=limit, praise_first=praise_first))


# --- Units: leaderboard, most improved, drill-down --------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    """One unit on a leaderboard: raw NPS with n and interval, the shrunk NPS it is ranked by, its rank."""

    unit: Unit
    summary: Summary
    shrunk: float | None
    rank: int | None  # None: below the minimum sample, not ranked

    @property
    def below_minimum(self) -> bool:
        return self.rank is None


@dataclass(frozen=True)
class Leaderboard:
    level: str
    entries: list[Entry]
    min_sample: int

    def table(self) -> Table:
        rows = [
            [e.rank, e.unit.name, one(e.shrunk), *stats(e.summary), "" if e.rank else "below minimum sample"]
            for e in self.entries
        ]
        return Table("Leaderboard", ["Rank", "Unit", "Ranked by (shrunk NPS)", *HEADERS, "Note"], rows)


def levels(user: Viewer) -> list[tuple[str, str]]:
    """The kinds of unit the viewer can rank (store, region …), from the deepest up."""
    kinds = dict(Unit.Kind.choices)
    seen = visible_units(user).order_by("-depth").values_list("kind", flat=True).distinct()
    ordered: list[str] = []
    for kind in seen:
        if kind not in ordered and kind != Unit.Kind.COMPANY:  # one company: nothing to rank
            ordered.append(kind)
    return [(kind, str(kinds.get(kind, kind))) for kind in ordered]


def rank(units: list[Unit], totals: dict[int, Counts]) -> list[Entry]:
    """Rank units by empirical-Bayes shrunk NPS; those under the minimum sample are listed last, unranked."""
    counts = [totals.get(unit.pk, Counts(0, 0, 0)) for unit in units]
    shrunk = shrink(counts)
    entries = [
        (unit, summary_of(c), s.shrunk if c.n else None) for unit, c, s in zip(units, counts, shrunk, strict=True)
    ]
    ranked = sorted((e for e in entries if e[1].n >= settings.MIN_SAMPLE), key=lambda e: (-(e[2] or 0), e[0].name))
    small = sorted((e for e in entries if e[1].n < settings.MIN_SAMPLE), key=lambda e: (-e[1].n, e[0].name))
    result = [Entry(unit, summary, value, position) for position, (unit, summary, value) in enumerate(ranked, 1)]
    return result + [Entry(unit, summary, value, None) for unit, summary, value in small]


def leaderboard(selection: Selection, user: Viewer, level: str) -> Leaderboard:
    units = list(visible_units(user).filter(kind=level, is_active=True).order_by("name"))
    totals = queries.unit_totals(selection.filters(unit=None), user)
    if selection.unit is not None:
        units = [unit for unit in units if unit.path.startswith(selection.unit.path)]
    return Leaderboard(level, rank(units, totals), settings.MIN_SAMPLE)


@dataclass(frozen=True)
class PeerRank:
    """Where a front-line member's unit stands among all units of its kind — the only thing shown of them."""

    unit: Unit
    entry: Entry
    ranked: int


def peer_rank(selection: Selection, unit: Unit) -> PeerRank:
    """Rank ``unit`` among every unit of its kind in the organisation.

    The counts of the other units are read without the viewer's scoping on purpose, and only the
    position and the number of ranked peers leave this function: front-line staff see their rank, not
    their peers' numbers (issue 5).
    """
    peers = list(Unit.objects.filter(kind=unit.kind, is_active=True).order_by("name"))
    totals = queries.unit_totals(selection.filters(unit=None))
    entries = rank(peers, totals)
    own = next(entry for entry in entries if entry.unit.pk == unit.pk)
    return PeerRank(unit, own, sum(1 for entry in entries if entry.rank))


@dataclass(frozen=True)
class Improvement:
    unit: Unit
    now: Summary
    before: Summary
    test: Comparison


@dataclass(frozen=True)
class Improved:
    start: dt.date | None
    end: dt.date | None
    entries: list[Improvement]

    def table(self) -> Table:
        rows = [
            [
                e.unit.name,
                one(e.test.difference),
                "yes" if e.test.significant else "no",
                one(e.test.p_value * 100),
                one(e.before.nps),
                e.before.n,
                one(e.now.nps),
                e.now.n,
            ]
            for e in self.entries
        ]
        headers = ["Unit", "Change", "Significant", "p (%)", "NPS before", "n before", "NPS now", "n now"]
        return Table("Most improved", headers, rows)


def improved(selection: Selection, user: Viewer, level: str, limit: int = 10) -> Improved:
    """Units of ``level`` whose NPS rose most against the previous period, each with its two-sample test."""
    period = selection.period
    if period.start is None or period.end is None:
        return Improved(None, None, [])
    start, end = periods.previous(period.start, period.end)
    units = list(visible_units(user).filter(kind=level, is_active=True))
    if selection.unit is not None:
        units = [unit for unit in units if unit.path.startswith(selection.unit.path)]
    now = queries.unit_totals(selection.filters(unit=None), user)
    before = queries.unit_totals(selection.filters(start=start, end=end, unit=None), user)
    entries = []
    for unit in units:
        a, b = before.get(unit.pk, Counts(0, 0, 0)), now.get(unit.pk, Counts(0, 0, 0))
        test = compare(a, b)
        if test is not None and min(a.n, b.n) >= settings.MIN_SAMPLE:
            entries.append(Improvement(unit, summary_of(b), summary_of(a), test))
    entries.sort(key=lambda e: (-e.test.difference, e.unit.name))
    return Improved(start, end, [e for e in entries if e.test.difference > 0][:limit])


@dataclass(frozen=True)
class DrillRow:
    """A unit compared with the rest of its parent (independent samples, so the test is fair)."""

    unit: Unit
    summary: Summary
    test: Comparison | None
    has_children: bool


@dataclass(frozen=True)
class Drill:
    unit: Unit | None
    trail: list[Unit]
    own: Summary | None
    parent: Unit | None
    parent_summary: Summary | None
    siblings: list[DrillRow]
    children: list[DrillRow]

    def table(self) -> Table:
        rows = [
            [
                row.unit.name,
                *stats(row.summary),
                one(row.test.difference) if row.test else None,
                "yes" if row.test and row.test.significant else "no",
            ]
            for row in self.children
        ]
        name = self.unit.name if self.unit else "your units"
        return Table(f"Units under {name}", ["Unit", *HEADERS, "vs rest of parent", "Significant"], rows)


def drill(selection: Selection, user: Viewer) -> Drill:
    """The chosen unit (or the viewer's top unit), its children and its siblings, each against the rest."""
    visible = visible_units(user)
    unit = selection.unit
    roots = root_units(user)
    if unit is None and len(roots) == 1:
        unit = roots[0]
    totals = queries.unit_totals(selection.filters(unit=None), user)
    zero = Counts(0, 0, 0)
    parents_with_children = set(visible.exclude(parent=None).values_list("parent_id", flat=True))

    def rows(units: list[Unit], whole: Counts) -> list[DrillRow]:
        result = []
        for child in units:
            counts = totals.get(child.pk, zero)
            rest = _minus(whole, counts)
            result.append(DrillRow(child, summary_of(counts), compare(rest, counts), child.pk in parents_with_children))
        return result

    if unit is None:
        return Drill(None, [], None, None, None, [], rows(roots, sum((totals.get(r.pk, zero) for r in roots), zero)))
    own = totals.get(unit.pk, zero)
    children = list(visible.filter(parent=unit).order_by("name"))
    parent = unit.parent if unit.parent_id and visible.filter(pk=unit.parent_id).exists() else None
    siblings: list[DrillRow] = []
    parent_summary = None
    if parent is not None:
        parent_counts = totals.get(parent.pk, zero)
        parent_summary = summary_of(parent_counts)
        siblings = rows(list(visible.filter(parent=parent).order_by("name")), parent_counts)
    trail = [u for u in unit.ancestors() if visible.filter(pk=u.pk).exists()]
    return Drill(unit, trail, summary_of(own), parent, parent_summary, siblings, rows(children, own))


def _minus(whole: Counts, part: Counts) -> Counts:
    return Counts(
        max(0, whole.detractors - part.detractors),
        max(0, whole.passives - part.passives),
        max(0, whole.promoters - part.promoters),
    )


# --- Goals -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Attainment:
    """A goal with the NPS reached so far in its period and a verdict that respects the interval."""

    goal: Goal
    summary: Summary

    @property
    def verdict(self) -> str:
        interval = self.summary.interval
        if interval is None:
            return "no answers yet"
        if interval.low >= self.goal.target:
            return "met"
        if interval.high < self.goal.target:
            return "below"
        return "within the margin of error"

    @property
    def gap(self) -> float | None:
        return None if self.summary.nps is None else self.summary.nps - self.goal.target


def goals(user: Viewer) -> list[Attainment]:
    """Goals on the units the viewer may see, with their attainment (one total query per goal)."""
    found = Goal.objects.filter(unit__in=visible_units(user)).select_related("unit").order_by("-end", "unit__path")
    result = []
    for goal in found[:50]:
        counts = queries.total(Filters(start=goal.start, end=goal.end, unit=goal.unit), user)
        result.append(Attainment(goal, summary_of(counts)))
    return result


def goals_table(items: list[Attainment]) -> Table:
    rows = [
        [a.goal.unit.name, str(a.goal.start), str(a.goal.end), a.goal.target, *stats(a.summary), one(a.gap), a.verdict]
        for a in items
    ]
    return Table("Goals", ["Unit", "From", "To", "Target", *HEADERS, "Gap", "Attainment"], rows)
