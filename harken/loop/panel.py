"""The close-the-loop panel of the dashboards: the metrics per unit and per month for the viewer's selection.

Numbers come from ``harken.loop.metrics.loop_metrics`` over the cases the viewer may see
(``cases.visible_cases``), filtered like the dashboards: cases opened in the period (calendar days in the
installation's time zone), in the chosen unit's subtree, on responses of the chosen touchpoints, surveys and
channels.  Units are the chosen unit's children (or the viewer's top units' children), each with its subtree.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import QuerySet

from harken.analytics.queries import local_zone
from harken.dashboards.panels import Table
from harken.dashboards.selection import Selection
from harken.loop.cases import visible_cases
from harken.loop.metrics import LoopMetrics, loop_metrics
from harken.loop.models import Case
from harken.org.models import Unit
from harken.org.scoping import root_units

Viewer = AbstractBaseUser | AnonymousUser
HEADERS = [
    "Cases",
    "Detractor cases",
    "Contacted within SLA",
    "Share within SLA %",
    "Contacted",
    "Median hours to first contact",
    "Closed",
    "Median hours to close",
    "Re-surveyed",
    "Recovered",
    "Recovery rate %",
]


def figures(row: LoopMetrics | None) -> list[Any]:
    """The exported numbers of one row, each count beside the figure it is the n of."""
    if row is None:
        return [0, 0, 0, None, 0, None, 0, None, 0, 0, None]
    return [
        row.cases,
        row.detractor_cases,
        row.contacted_within_sla,
        row.percent_within_sla,
        row.contacted,
        row.median_hours_to_first_contact,
        row.closed,
        row.median_hours_to_close,
        row.resurveyed,
        row.recovered,
        row.percent_recovered,
    ]


@dataclass(frozen=True)
class LoopPanel:
    """All cases of the selection (``total``), per unit, and per month of opening."""

    total: LoopMetrics | None
    by_unit: list[tuple[Unit, LoopMetrics | None]]
    by_month: list[LoopMetrics]

    def units_table(self) -> Table:
        """Rows per unit, then the total."""
        rows = [[unit.name, *figures(row)] for unit, row in self.by_unit]
        rows.append(["All", *figures(self.total)])
        return Table("Close the loop by unit", ["Unit", *HEADERS], rows)

    def trend_table(self) -> Table:
        """Rows per month the cases were opened."""
        rows = [[f"{row.group:%Y-%m}", *figures(row)] for row in self.by_month]
        return Table("Close the loop by month", ["Month", *HEADERS], rows)


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), local_zone())


def selected_cases(selection: Selection, user: Viewer) -> QuerySet[Case]:
    """The cases the viewer may see that the dashboards' selection covers."""
    queryset = visible_cases(user).order_by()
    period = selection.period
    if period.start is not None:
        queryset = queryset.filter(opened_at__gte=_midnight(period.start))
    if period.end is not None:
        queryset = queryset.filter(opened_at__lt=_midnight(period.end + dt.timedelta(days=1)))
    if selection.unit is not None:
        queryset = queryset.filter(unit__path__startswith=selection.unit.path)
    if selection.touchpoints:
        queryset = queryset.filter(response__touchpoint_id__in=selection.touchpoints)
    if selection.surveys:
        queryset = queryset.filter(response__survey_id__in=selection.surveys)
    if selection.channels:
        queryset = queryset.filter(response__channel__in=selection.channels)
    return queryset


def row_units(selection: Selection, user: Viewer) -> list[Unit]:
    """The units shown as rows: the children of the chosen unit (or of the viewer's top units), or the unit
    itself when it has none."""
    tops = [selection.unit] if selection.unit is not None else root_units(user)
    rows: list[Unit] = []
    for top in tops:
        children = list(Unit.objects.filter(parent=top).order_by("name"))
        rows.extend(children or [top])
    return rows


def _single(cases: QuerySet[Case]) -> LoopMetrics | None:
    rows = loop_metrics(cases, "all")
    return rows[0] if rows and rows[0].cases else None  # an aggregate over no rows is one row of zeros


def loop_panel(selection: Selection, user: Viewer) -> LoopPanel:
    """The panel for ``selection`` as ``user`` sees it (two queries per unit row, two for the total and two
    for the months)."""
    cases = selected_cases(selection, user)
    by_unit = [(unit, _single(cases.filter(unit__path__startswith=unit.path))) for unit in row_units(selection, user)]
    return LoopPanel(total=_single(cases), by_unit=by_unit, by_month=loop_metrics(cases, "month"))
