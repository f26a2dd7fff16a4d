"""``harken economics``: retention, churn and revenue by NPS category, and the value of moving customers up."""

from __future__ import annotations

import dataclasses
import json
from argparse import ArgumentParser, ArgumentTypeError
from typing import Any

from django.conf import settings
from django.core.management.base import CommandError
from django.db.models import Q

from harken.analytics.queries import Filters, QueryError
from harken.integrations.economics import Economics, Estimate, accounts_at_risk, outcomes
from harken.management.base import HarkenCommand, iso_date
from harken.org.models import Unit


def months(text: str) -> int:
    """1–60 months for argparse."""
    if not text.isdigit() or not 1 <= int(text) <= 60:
        raise ArgumentTypeError(f"expected a whole number of months from 1 to 60, got {text!r}")
    return int(text)


class Command(HarkenCommand):
    help = (
        "For customers who answered in the period (responses with a contact), what they did in the following "
        "months by NPS category: churn and renewal rates and mean revenue with intervals; the value of moving a "
        "detractor to passive and a passive to promoter; and the detractors with the most revenue at risk. "
        "Needs customer events ('harken import events FILE')."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--from", dest="start", type=iso_date, metavar="DATE", help="First day of answers.")
        parser.add_argument("--to", dest="end", type=iso_date, metavar="DATE", help="Last day of answers.")
        parser.add_argument("--unit", metavar="NAME", help="A unit (name or code) and everything below it.")
        parser.add_argument("--months", type=months, default=12, help="Months after each answer (default 12).")
        parser.add_argument("--at-risk", type=int, default=10, metavar="N", help="Accounts at risk to list.")
        parser.add_argument("--json", action="store_true", help="Print JSON instead of text.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            filters = Filters(start=options["start"], end=options["end"], unit=self._unit(options["unit"]))
        except QueryError as exc:
            raise CommandError(str(exc)) from None
        report = outcomes(filters, None, options["months"], settings.CONFIDENCE)
        risky = accounts_at_risk(None, limit=max(0, options["at_risk"]))
        if options["json"]:
            body = {**dataclasses.asdict(report), "accounts_at_risk": [dataclasses.asdict(row) for row in risky]}
            self.stdout.write(json.dumps(body, indent=2, default=str))
            return
        self.stdout.write(self._text(report, risky))

    def _unit(self, name: str | None) -> Unit | None:
        if name is None:
            return None
        matches = list(Unit.objects.filter(Q(name__iexact=name) | Q(code__iexact=name)))
        if len(matches) != 1:
            raise CommandError(
                f"Unknown unit {name!r}." if not matches else f"Unit {name!r} is ambiguous; use its code."
            )
        return matches[0]

    def _text(self, report: Economics, risky: list[Any]) -> str:
        level = f"{report.confidence * 100:.0f}%"
        lines = [f"Within {report.horizon_days} days after answering ({level} intervals):", ""]
        lines.append(f"{'Category':<10}  {'n':>6}  {'Churned':<22}  {'Renewed':<22}  Mean revenue")
        for row in report.outcomes:
            lines.append(
                f"{row.category.title():<10}  {row.n:>6}  {_rate(row.churn_rate):<22}  {_rate(row.renewal_rate):<22}  "
                f"{_money(row.revenue)}"
            )
        lines += [
            "",
            f"Detractor → passive: {_money(report.detractor_to_passive, signed=True)} revenue per customer; "
            f"churn {_points(report.churn_detractor_minus_passive)} lower",
            f"Passive → promoter:  {_money(report.passive_to_promoter, signed=True)} revenue per customer; "
            f"churn {_points(report.churn_passive_minus_promoter)} lower",
        ]
        if risky:
            lines += ["", "Accounts at risk (detractors, no closed case; revenue in the last 12 months):"]
            lines += [
                f"  {row.value:>12,.2f}  score {row.score:>2}  {row.name} {row.external_id}".rstrip() for row in risky
            ]
        return "\n".join(lines)


def _rate(estimate: Estimate) -> str:
    if estimate.value is None or estimate.low is None or estimate.high is None:
        return "—"
    return f"{estimate.value:.1%} [{estimate.low:.1%}, {estimate.high:.1%}]"


def _money(estimate: Estimate, signed: bool = False) -> str:
    if estimate.value is None:
        return "—"
    sign = "+" if signed else ""
    text = f"{estimate.value:{sign},.2f}"
    if estimate.low is not None and estimate.high is not None:
        text += f" [{estimate.low:{sign},.2f}, {estimate.high:{sign},.2f}]"
    return text


def _points(estimate: Estimate) -> str:
    if estimate.value is None:
        return "—"
    text = f"{estimate.value * 100:+.1f} points"
    if estimate.low is not None and estimate.high is not None:
        text += f" [{estimate.low * 100:+.1f}, {estimate.high * 100:+.1f}]"
    return text
