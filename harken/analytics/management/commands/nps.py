"""``harken nps``: NPS with n and its interval from the command line, through the one query path."""

from __future__ import annotations

import json
from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.management.base import CommandError
from django.db.models import Q

from harken.analytics import queries
from harken.analytics.queries import Filters, Group, QueryError
from harken.management.base import HarkenCommand, iso_date
from harken.org.models import Unit
from harken.surveys.models import Survey, Touchpoint


class Command(HarkenCommand):
    help = (
        "Print NPS per group: n, promoters, passives, detractors, NPS and its 95%% interval (adjusted "
        "Wald, in points from -100 to 100). Dates are calendar days in TIME_ZONE, both inclusive. "
        "Skipped scores are not counted."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--from", dest="start", type=iso_date, metavar="DATE", help="First day (YYYY-MM-DD).")
        parser.add_argument("--to", dest="end", type=iso_date, metavar="DATE", help="Last day (YYYY-MM-DD).")
        parser.add_argument("--unit", metavar="NAME", help="A unit (name or code); includes everything below it.")
        parser.add_argument("--touchpoint", metavar="NAME", help="A touchpoint (name or slug).")
        parser.add_argument("--survey", metavar="NAME", help="A survey (name or slug).")
        parser.add_argument(
            "--by",
            default="total",
            metavar="DIMENSION",
            help="Group by: total (default), unit (the units one level below --unit), touchpoint, survey, "
            "channel, language, day, week, month, quarter, year, or attribute:KEY (a contact attribute).",
        )
        parser.add_argument("--json", action="store_true", help="Print JSON instead of a table.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            filters = Filters(
                start=options["start"],
                end=options["end"],
                unit=self._unit(options["unit"]),
                touchpoints=self._pk(Touchpoint, "touchpoint", options["touchpoint"]),
                surveys=self._pk(Survey, "survey", options["survey"]),
            )
            groups = queries.nps_by(options["by"], filters)
        except QueryError as exc:
            raise CommandError(str(exc)) from None
        if options["json"]:
            self.stdout.write(json.dumps({"groups": [self._as_json(group) for group in groups]}, indent=2))
        else:
            self.stdout.write(self._as_table(groups))

    def _unit(self, name: str | None) -> Unit | None:
        if name is None:
            return None
        matches = list(Unit.objects.filter(Q(name__iexact=name) | Q(code__iexact=name)).select_related("parent"))
        if not matches:
            raise CommandError(f"Unknown unit {name!r}.")
        if len(matches) > 1:
            places = ", ".join(f"{unit.name} in {unit.parent}" for unit in matches)
            raise CommandError(f"Unit name {name!r} is ambiguous ({places}); use its code instead.")
        return matches[0]

    def _pk(self, model: type[Touchpoint] | type[Survey], label: str, name: str | None) -> tuple[int, ...]:
        if name is None:
            return ()
        found = model.objects.filter(Q(name__iexact=name) | Q(slug__iexact=name)).first()
        if found is None:
            known = ", ".join(model.objects.values_list("name", flat=True)[:10]) or "none yet"
            raise CommandError(f"Unknown {label} {name!r}; known: {known}.")
        return (found.pk,)

    def _as_json(self, group: Group) -> dict[str, Any]:
        summary = group.summary()
        return {
            "key": group.key,
            "label": group.label,
            "n": group.counts.n,
            "promoters": group.counts.promoters,
            "passives": group.counts.passives,
            "detractors": group.counts.detractors,
            "nps": None if summary.nps is None else round(summary.nps, 4),
            "ci_low": None if summary.interval is None else round(summary.interval.low, 4),
            "ci_high": None if summary.interval is None else round(summary.interval.high, 4),
        }

    def _as_table(self, groups: list[Group]) -> str:
        confidence = f"{settings.CONFIDENCE * 100:.0f}% interval"
        header = ("Group", "n", "Promoters", "Passives", "Detractors", "NPS", confidence)
        rows = [header]
        for group in groups:
            summary, counts = group.summary(), group.counts
            nps = "—" if summary.nps is None else f"{summary.nps:+.1f}"
            interval = (
                "—" if summary.interval is None else f"[{summary.interval.low:+.1f}, {summary.interval.high:+.1f}]"
            )
            rows.append(
                (
                    group.label,
                    f"{counts.n:,}",
                    f"{counts.promoters:,}",
                    f"{counts.passives:,}",
                    f"{counts.detractors:,}",
                    nps,
                    interval,
                )
            )
        widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
        lines = []
        for index, row in enumerate(rows):
            cells = [row[0].ljust(widths[0])] + [
                cell.rjust(width) for cell, width in zip(row[1:], widths[1:], strict=True)
            ]
            lines.append("  ".join(cells).rstrip())
            if index == 0:
                lines.append("  ".join("-" * width for width in widths))
        if not groups:
            lines.append("(no responses match)")
        return "\n".join(lines)
