"""``harken export``: responses, answers, themes or cases as CSV, XLSX or Parquet; or the warehouse export."""

from __future__ import annotations

import getpass
import os
import sys
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError
from django.db.models import Q

from harken.analytics.queries import Filters, QueryError
from harken.io.exports import DATASETS, FORMATS, INCREMENTAL, rows_of, write_csv, write_file
from harken.io.selection import matching_responses
from harken.io.warehouse import do_incremental_export
from harken.management.base import HarkenCommand, iso_date
from harken.org import audit
from harken.org.models import Unit
from harken.surveys.models import Survey, Touchpoint


class Command(HarkenCommand):
    help = (
        "Export responses (one row each), answers (one row per follow-up answer), themes (one row per theme "
        "found in a response) or cases (one row per follow-up case) as CSV (default, to standard output), XLSX "
        "or Parquet; columns are described in docs/data-dictionary.md. With --incremental (responses and "
        "answers), write Parquet files partitioned by month into the --output folder, only what changed since "
        "the last run."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("dataset", choices=list(DATASETS), help="responses, answers, themes or cases.")
        parser.add_argument("--format", choices=FORMATS, help="Default: from the --output extension, else csv.")
        parser.add_argument("--output", "-o", type=Path, metavar="PATH", help="File (or folder with --incremental).")
        parser.add_argument("--incremental", action="store_true", help="Warehouse export: Parquet by month.")
        parser.add_argument("--from", dest="start", type=iso_date, metavar="DATE", help="First day (YYYY-MM-DD).")
        parser.add_argument("--to", dest="end", type=iso_date, metavar="DATE", help="Last day (YYYY-MM-DD).")
        parser.add_argument("--unit", metavar="NAME", help="A unit (name or code) and everything below it.")
        parser.add_argument("--touchpoint", metavar="NAME", help="A touchpoint (name or slug).")
        parser.add_argument("--survey", metavar="NAME", help="A survey (name or slug).")
        parser.add_argument("--user", metavar="USERNAME", help="Export only what this user may see.")

    def handle(self, *args: Any, **options: Any) -> None:
        user, queryset = self._responses(options)
        dataset, output = options["dataset"], options["output"]
        if options["incremental"]:
            if output is None:
                raise CommandError("--incremental needs --output FOLDER.")
            if dataset not in INCREMENTAL:
                raise CommandError(f"--incremental exports {' and '.join(INCREMENTAL)} only, not {dataset}.")
            if options["format"] not in (None, "parquet"):
                raise CommandError("--incremental writes Parquet only.")
            if output.exists() and not output.is_dir():
                raise CommandError(f"{output} is a file; --incremental writes into a folder.")
            try:
                report = do_incremental_export(output, dataset, queryset)
            except ValueError as exc:
                raise CommandError(str(exc)) from None
            since = report.previous.isoformat() if report.previous else "the beginning"
            self._audit(user, dataset, "parquet", output, report.rows, incremental=True)
            self.stderr.write(
                f"{report.rows} {dataset} rows changed since {since} → {len(report.files)} files in {output / dataset}"
            )
            return
        fmt = options["format"] or (output.suffix.lstrip(".").lower() if output else "csv")
        if fmt not in FORMATS:
            raise CommandError(f"Cannot tell the format from {output}; add --format {'|'.join(FORMATS)}.")
        count = self._write(dataset, fmt, output, queryset)
        self._audit(user, dataset, fmt, output, count, incremental=False)

    def _write(self, dataset: str, fmt: str, output: Path | None, queryset: Any) -> int:
        if fmt != "csv" and output is None:
            raise CommandError(f"{fmt} is binary: give a file with --output.")
        if output is not None and not output.parent.is_dir():
            raise CommandError(f"No folder {str(output.parent)!r}.")
        try:
            if output is None:
                return self._to_stdout(DATASETS[dataset], rows_of(dataset, queryset))
            count = write_file(dataset, fmt, queryset, output)
        except (OSError, ValueError) as exc:
            raise CommandError(str(exc)) from None
        self.stderr.write(f"{count} {dataset} rows written to {output}")
        return count

    def _audit(self, user: Any, dataset: str, fmt: str, output: Path | None, rows: int, incremental: bool) -> None:
        """Exports from the command line are in the audit log like the page's and the API's."""
        try:
            account = getpass.getuser()
        except (OSError, KeyError):  # no name for this uid (some containers)
            account = str(os.getuid())
        audit.record(
            user,
            "export",
            dataset=dataset,
            format=fmt,
            via="cli",
            rows=rows,
            incremental=incremental,
            output=str(output.resolve()) if output else "standard output",
            system_user=account,
        )

    def _to_stdout(self, columns: Any, rows: Any) -> int:
        try:
            return write_csv(columns, rows, self.stdout)  # type: ignore[arg-type]
        except BrokenPipeError:  # `harken export responses | head`: the reader has had enough
            rows.close()
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return 0

    def _responses(self, options: dict[str, Any]) -> tuple[Any, Any]:
        user = None
        if options["user"]:
            user = get_user_model().objects.filter(username=options["user"]).first()
            if user is None:
                raise CommandError(f"Unknown user {options['user']!r}.")
        try:
            filters = Filters(
                start=options["start"],
                end=options["end"],
                unit=self._unit(options["unit"]),
                touchpoints=self._pk(Touchpoint, "touchpoint", options["touchpoint"]),
                surveys=self._pk(Survey, "survey", options["survey"]),
            )
        except QueryError as exc:
            raise CommandError(str(exc)) from None
        return user, matching_responses(filters, user)

    def _unit(self, name: str | None) -> Unit | None:
        if name is None:
            return None
        matches = list(Unit.objects.filter(Q(name__iexact=name) | Q(code__iexact=name)))
        if len(matches) != 1:
            raise CommandError(
                f"Unknown unit {name!r}." if not matches else f"Unit {name!r} is ambiguous; use its code."
            )
        return matches[0]

    def _pk(self, model: type[Touchpoint] | type[Survey], label: str, name: str | None) -> tuple[int, ...]:
        if name is None:
            return ()
        found = model.objects.filter(Q(name__iexact=name) | Q(slug__iexact=name)).first()
        if found is None:
            raise CommandError(f"Unknown {label} {name!r}.")
        return (found.pk,)
