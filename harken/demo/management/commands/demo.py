"""``harken demo``: load the demo company, Northwind Outfitters, into the configured database."""

from __future__ import annotations

import datetime as dt
from argparse import ArgumentParser, ArgumentTypeError
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from harken.demo.catalog import DEMO_PASSWORD
from harken.demo.generator import DEFAULT_RESPONSES, DEFAULT_SEED, DemoError, DemoSummary, load_demo


def _count(value: str) -> int:
    try:
        number = int(value.replace("_", "").replace(",", ""))
    except ValueError:
        raise ArgumentTypeError(f"expected a whole number, got {value!r}") from None
    if number < 0:
        raise ArgumentTypeError(f"must be 0 or more, got {number}")
    return number


def _day(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ArgumentTypeError(f"expected a date as YYYY-MM-DD, got {value!r}") from None


class Command(BaseCommand):
    help = (
        "Load the demo company, Northwind Outfitters, so there is something to explore: 4 regions, 40 stores "
        "with teams, ~150 employees, 6 journey touchpoints with their surveys, ~25,000 contacts and ~100,000 "
        "responses with comments over the last two years (with seasons, stores that improve and decline, and "
        "invitations that were not answered), plus the logins admin, analyst, manager and frontline. Loads into "
        "an empty database, or over a previous demo with --force; refuses a database with other responses. "
        f"Every demo login has the public password {DEMO_PASSWORD!r}: never load the demo into an installation "
        "other people can reach."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--responses", type=_count, default=DEFAULT_RESPONSES, metavar="N",
            help="How many responses to create (default: %(default)s, under a minute on SQLite). Contacts "
                 "scale with it, one per four responses.",
        )
        parser.add_argument(
            "--seed", type=int, default=DEFAULT_SEED,
            help="Seed of the random generator (default: %(default)s). The same seed and --today give the same "
                 "data, apart from the secret invitation tokens.",
        )
        parser.add_argument(
            "--today", type=_day, default=None, metavar="YYYY-MM-DD",
            help="The day the data leads up to (default: today in TIME_ZONE). Responses cover the 730 days "
                 "before it.",
        )
        parser.add_argument(
            "--force", action="store_true",
            help="Replace a previous demo: delete the demo company and everything recorded on it, then load "
                 "again. Never deletes responses that are not demo data.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        verbose = options["verbosity"] >= 1
        try:
            summary = load_demo(
                seed=options["seed"], responses=options["responses"], today=options["today"],
                force=options["force"], progress=self._say if verbose else None,
            )
        except DemoError as exc:
            raise CommandError(str(exc)) from None
        if verbose:
            self._report(summary)

    def _say(self, line: str) -> None:
        self.stdout.write(line)

    def _report(self, summary: DemoSummary) -> None:
        self.stdout.write(self.style.SUCCESS(
            f"Loaded Northwind Outfitters in {summary.seconds:.1f} s: {summary.units} units ({summary.stores} "
            f"stores), {summary.employees} employees, {summary.contacts:,} contacts, {summary.responses:,} "
            f"responses, {summary.invitations:,} invitations."
        ))
        self.stdout.write(f"Open {settings.BASE_URL}/ and log in as:")
        width = max(len(login.username) for login in summary.logins)
        for login in summary.logins:
            self.stdout.write(f"  {login.username.ljust(width)}  {login.role}")
        self.stdout.write(f"Password for every demo login: {DEMO_PASSWORD} (public: keep this installation private).")
