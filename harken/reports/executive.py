"""The executive report: every figure of one scope (a unit subtree) and period, and the facts its narrative tells.

Numbers come from the one query path (``harken.analytics.queries``) and statistics from
``harken.analytics.nps``; the fair ranking is ``harken.dashboards.panels.rank``, theme impact
``harken.text.impact``, key drivers ``harken.text.drivers``, close-the-loop ``harken.loop.metrics`` and action
results ``harken.loop.effects`` — this module only gathers them for one scope and period.  ``user`` limits
every query to what that person may see; ``None`` (scheduled delivery) reads the chosen unit's subtree whole.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count, Q, QuerySet

from harken.analytics import queries
from harken.analytics.nps import Comparison, Counts, Summary, compare, summarize
from harken.analytics.periods import add_months
from harken.analytics.queries import Filters, Group, User
from harken.dashboards.panels import Entry, rank
from harken.loop.effects import Effect, action_effect
from harken.loop.metrics import LoopMetrics, loop_metrics
from harken.loop.models import Action, Case
from harken.org.models import Unit
from harken.org.scoping import root_units, scope_to_user, visible_units
from harken.reports import charts, narrative
from harken.reports.periods import ReportPeriod
from harken.surveys.models import Survey
from harken.text import drivers as key_drivers
from harken.text import impact

ZERO = Counts(0, 0, 0)
TOP_THEMES = 5
MAX_UNITS = 30


@dataclass(frozen=True)
class Row:
    """A group now and in the previous period, with the two-sample test of the difference."""

    key: str
    label: str
    now: Summary
    then: Summary
    test: Comparison | None

    def movement(self) -> narrative.Movement:
        return narrative.Movement(self.label, self.now.nps, self.then.nps, self.now.n, self.then.n, self.test)


@dataclass(frozen=True)
class RankedUnit:
    """A unit on the fair ranking, with its change against the previous period."""

    entry: Entry
    row: Row


@dataclass(frozen=True)
class Drivers:
    survey: Survey
    analysis: key_drivers.DriverAnalysis


@dataclass(frozen=True)
class ActionResult:
    action: Action
    effect: Effect

    def movement(self) -> narrative.Movement:
        effect = self.effect
        return narrative.Movement(
            self.action.name, effect.nps_after, effect.nps_before, effect.after.n, effect.before.n, effect.comparison
        )


@dataclass(frozen=True)
class Report:
    """Every figure of the executive report for one scope and period."""

    scope: Unit | None
    scope_name: str
    period: ReportPeriod
    previous: ReportPeriod
    year_before: ReportPeriod | None
    confidence: int
    min_sample: int
    headline: Row
    vs_year: Row | None
    trend: list[tuple[Group, Summary]]
    journey: list[Row]
    unit_word: str
    units: list[RankedUnit]
    units_left_out: int
    themes_negative: list[impact.ThemeGroup]
    themes_positive: list[impact.ThemeGroup]
    commented: int
    drivers: Drivers | None
    loop_rows: list[LoopMetrics]
    loop_total: LoopMetrics | None
    actions: list[ActionResult]
    generated_at: dt.datetime

    def facts(self) -> narrative.Facts:
        """What the narrative may say, from the figures on the page."""
        head = self.headline.now
        interval = head.interval
        return narrative.Facts(
            scope=self.scope_name,
            period=self.period.label,
            nps=head.nps,
            n=head.n,
            low=interval.low if interval else None,
            high=interval.high if interval else None,
            confidence=self.confidence,
            previous_label=self.previous.label,
            vs_previous=self.headline.movement(),
            year_label=self.year_before.label if self.year_before else None,
            vs_year=self.vs_year.movement() if self.vs_year else None,
            touchpoints=[row.movement() for row in self.journey if row.now.n],
            units=[ranked.row.movement() for ranked in self.units if ranked.row.now.n],
            unit_word=self.unit_word,
            negative_themes=[_theme_fact(group) for group in self.themes_negative[:1]],
            positive_themes=[_theme_fact(group) for group in self.themes_positive[:1]],
            drivers=[_driver_fact(self.drivers, driver) for driver in self.drivers.analysis.drivers[:1]]
            if self.drivers
            else [],
            loop=_loop_fact(self.loop_total),
            actions=[narrative.ActionFact(result.action.name, result.movement()) for result in self.actions],
        )

    def story(self) -> list[narrative.Paragraph]:
        return narrative.narrate(self.facts())

    def charts(self) -> dict[str, str]:
        """The report's charts as SVG text (the same in the page and the PDF)."""
        trend = [
            charts.Point(
                group.label,
                summary.nps,
                summary.interval.low if summary.interval else None,
                summary.interval.high if summary.interval else None,
                summary.n,
            )
            for group, summary in self.trend
        ]
        journey = [_bar(row.label, row.now) for row in self.journey]
        units = [_bar(ranked.row.label, ranked.row.now, muted=ranked.entry.rank is None) for ranked in self.units]
        themes = []
        for group in self.themes_negative + self.themes_positive:
            found = group.impact()
            if found is not None:
                themes.append(charts.Bar(group.label, found.points, found.interval.low, found.interval.high))
        spread = max((abs(v) for b in themes for v in (b.low or 0, b.high or 0)), default=5.0)
        limit = float(max(5, int(spread) + 5 - int(spread) % 5))
        return {
            "trend": charts.trend_svg(trend, "NPS by month with its interval"),
            "journey": charts.bars_svg(journey, "NPS by touchpoint"),
            "units": charts.bars_svg(units, f"{self.unit_word.title()} in rank order: NPS with its interval"),
            "themes": charts.bars_svg(themes, "Theme impact in NPS points", domain=(-limit, limit)) if themes else "",
        }


def _bar(label: str, summary: Summary, muted: bool = False) -> charts.Bar:
    interval = summary.interval
    return charts.Bar(
        label,
        summary.nps,
        interval.low if interval else None,
        interval.high if interval else None,
        summary.n,
        muted,
    )


def _theme_fact(group: impact.ThemeGroup) -> narrative.ThemeFact:
    found = group.impact()
    assert found is not None  # only themes with an impact are kept
    excludes_zero = found.interval.low > 0 or found.interval.high < 0
    return narrative.ThemeFact(group.label, found.points, group.share or 0.0, excludes_zero)


def _driver_fact(drivers: Drivers | None, driver: key_drivers.Driver) -> narrative.DriverFact:
    assert drivers is not None
    analysis = drivers.analysis
    return narrative.DriverFact(driver.label, driver.share or 0.0, analysis.r_squared, analysis.n, driver.significant)


def _loop_fact(total: LoopMetrics | None) -> narrative.LoopFact | None:
    if total is None:
        return None
    return narrative.LoopFact(
        total.cases,
        total.detractor_cases,
        total.contacted_within_sla,
        total.median_hours_to_first_contact,
        total.resurveyed,
        total.recovered,
    )


def summary(counts: Counts) -> Summary:
    return summarize(counts, settings.CONFIDENCE)


def row(key: str, label: str, now: Counts, then: Counts) -> Row:
    """A group now and then, with the test at the installation's confidence level."""
    return Row(key, label, summary(now), summary(then), compare(then, now, 1 - settings.CONFIDENCE))


def default_scope(user: User) -> Unit | None:
    """The viewer's single top unit, if they have one (else all their units, None)."""
    if user is None:
        return None
    roots = root_units(user)
    return roots[0] if len(roots) == 1 else None


def build(scope: Unit | None, period: ReportPeriod, user: User, now: dt.datetime) -> Report:
    """Gather every figure of the report.  ``scope`` must be visible to ``user`` (the view checks it)."""
    previous, year = period.previous(), period.year_before()
    filters = Filters(start=period.start, end=period.end, unit=scope)
    before = Filters(start=previous.start, end=previous.end, unit=scope)
    scope_name = scope.name if scope else _all_name(user)
    head = row("all", scope_name, queries.total(filters, user), queries.total(before, user))
    vs_year = None
    if year is not None:
        last_year = Filters(start=year.start, end=year.end, unit=scope)
        vs_year = row("year", scope_name, head.now.counts, queries.total(last_year, user))
    themes = impact.themes(filters, user)
    negative, positive = impact.drivers(themes)
    units, word, left_out = _ranking(scope, filters, before, user)
    loop_rows, loop_total = _loop(scope, period, user)
    return Report(
        scope=scope,
        scope_name=scope_name,
        period=period,
        previous=previous,
        year_before=year,
        confidence=round(settings.CONFIDENCE * 100),
        min_sample=settings.MIN_SAMPLE,
        headline=head,
        vs_year=vs_year,
        trend=_trend(scope, period, user),
        journey=_journey(filters, before, user),
        unit_word=word,
        units=units,
        units_left_out=left_out,
        themes_negative=negative[:TOP_THEMES],
        themes_positive=positive[:TOP_THEMES],
        commented=themes[0].commented if themes else 0,
        drivers=_drivers(filters, user),
        loop_rows=loop_rows,
        loop_total=loop_total,
        actions=_actions(scope, period, user),
        generated_at=now,
    )


def _all_name(user: User) -> str:
    if user is None:
        return "All units"
    return ", ".join(unit.name for unit in root_units(user)) or "No units"


def _trend(scope: Unit | None, period: ReportPeriod, user: User) -> list[tuple[Group, Summary]]:
    """NPS per month over the 12 months to the period's end (or the whole period when it is longer)."""
    start = min(period.start, add_months(period.end.replace(day=1), -11))
    groups = queries.nps_by("month", Filters(start=start, end=period.end, unit=scope), user)
    found = {group.key: group for group in groups}
    result = []
    month = start.replace(day=1)
    while month <= period.end:
        key = f"{month:%Y-%m}"
        group = found.get(key, Group(key, f"{month:%b %Y}", ZERO))
        result.append((group, summary(group.counts)))
        month = add_months(month, 1)
    return result


def _journey(filters: Filters, before: Filters, user: User) -> list[Row]:
    then = {group.key: group.counts for group in queries.nps_by("touchpoint", before, user)}
    rows = []
    for group in queries.nps_by("touchpoint", filters, user):
        earlier = then.get(group.key, ZERO)
        if group.counts.n or earlier.n:
            rows.append(row(group.key, group.label, group.counts, earlier))
    return rows


def _ranking(scope: Unit | None, filters: Filters, before: Filters, user: User) -> tuple[list[RankedUnit], str, int]:
    """The units one level below the scope, ranked by shrunk NPS (``panels.rank``), each with its change."""
    units = _children(scope, user)
    if not units:
        return [], "units", 0
    now = queries.unit_totals(filters, user)
    then = queries.unit_totals(before, user)
    entries = rank(units, now)
    kinds = {unit.kind for unit in units}
    word = str(dict(Unit.Kind.choices)[kinds.pop()]).lower() + "s" if len(kinds) == 1 else "units"
    ranked = [
        RankedUnit(
            entry,
            row(str(entry.unit.pk), entry.unit.name, now.get(entry.unit.pk, ZERO), then.get(entry.unit.pk, ZERO)),
        )
        for entry in entries
    ]
    return ranked[:MAX_UNITS], word, max(0, len(ranked) - MAX_UNITS)


def _children(scope: Unit | None, user: User) -> list[Unit]:
    visible: QuerySet[Unit] = visible_units(user) if user is not None else Unit.objects.all()
    visible = visible.filter(is_active=True)
    if scope is not None:
        return list(visible.filter(parent=scope).order_by("name"))
    roots = root_units(user) if user is not None else list(Unit.objects.filter(parent__isnull=True))
    if len(roots) == 1:
        return list(visible.filter(parent=roots[0]).order_by("name"))
    return sorted(roots, key=lambda unit: unit.name)


def _drivers(filters: Filters, user: User) -> Drivers | None:
    """Key drivers of the survey with driver questions that has the most answers in the selection."""
    surveys = [s for s in Survey.objects.all() if key_drivers.driver_questions(s)]
    counts = {
        item["survey_id"]: item["n"]
        for item in queries.responses(filters, user)
        .filter(survey__in=surveys)
        .order_by()
        .values("survey_id")
        .annotate(n=Count("id"))
    }
    for survey in sorted(surveys, key=lambda s: -counts.get(s.pk, 0)):
        if counts.get(survey.pk):
            analysis = key_drivers.key_drivers(survey, filters, user)
            if analysis is not None:
                return Drivers(survey, analysis)
    return None


def _cases(scope: Unit | None, period: ReportPeriod, user: User) -> QuerySet[Case]:
    cases: QuerySet[Case] = Case.objects.all()
    if user is not None:
        cases = scope_to_user(cases, user)
    if scope is not None:
        cases = cases.filter(unit__path__startswith=scope.path)
    return queries.in_period(cases, "opened_at", Filters(start=period.start, end=period.end))


def _loop(scope: Unit | None, period: ReportPeriod, user: User) -> tuple[list[LoopMetrics], LoopMetrics | None]:
    """Close-the-loop metrics per month of the period, and for the whole period (exact medians)."""
    cases = _cases(scope, period, user)
    rows = loop_metrics(cases, "month")
    if not rows:
        return [], None
    return rows, loop_metrics(cases, "all")[0]


def _actions(scope: Unit | None, period: ReportPeriod, user: User) -> list[ActionResult]:
    """Improvement actions on the scope whose before/after window overlaps the period, measured up to its end."""
    actions = Action.objects.exclude(state=Action.State.ABANDONED).filter(started_on__lte=period.end)
    if user is not None:
        actions = actions.filter(units__in=visible_units(user).values("pk"))
    if scope is not None:
        actions = actions.filter(Q(units__path__startswith=scope.path) | Q(units__in=scope.ancestors()))
    results = []
    for action in actions.distinct().prefetch_related("units").order_by("-started_on", "name")[:10]:
        if action.started_on + dt.timedelta(days=action.window_days) >= period.start:
            results.append(ActionResult(action, action_effect(action, period.end)))
    return results
