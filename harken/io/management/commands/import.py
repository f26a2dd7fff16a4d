"""``harken import responses FILE``: import responses exported from another survey tool."""

from __future__ import annotations

import zoneinfo
from argparse import ArgumentParser, ArgumentTypeError
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import CommandError
from django.db.models import Q

from harken.integrations.imports import do_import_events
from harken.io.events import parse_events
from harken.io.formats import FORMATS, LayoutError
from harken.io.imports import Report, Target, check_answers, do_import
from harken.io.parse import SCALES, Options, parse_file
from harken.io.tables import FileError
from harken.management.base import HarkenCommand
from harken.org.models import Unit
from harken.surveys.models import Survey, Touchpoint

SHOWN_PROBLEMS = 25


def zone(text: str) -> zoneinfo.ZoneInfo:
    """An IANA time zone for argparse."""
    try:
        return zoneinfo.ZoneInfo(text)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ArgumentTypeError(f"unknown time zone {text!r} (use a name like Europe/Paris)") from None


def answer_pair(text: str) -> tuple[str, str]:
    """COLUMN=KEY for argparse."""
    column, sep, key = text.rpartition("=")
    if not sep or not column or not key:
        raise ArgumentTypeError(f"expected COLUMN=QUESTION_KEY, got {text!r}")
    return column, key


class Command(HarkenCommand):
    help = (
        "Import responses from a CSV, XLSX or JSON export of Qualtrics, SurveyMonkey, Typeform, Google Forms, "
        "Formbricks or Delighted, or any CSV with a 0-10 score column. The format and columns are recognised; "
        "name a column to override a guess. Re-importing the same file creates nothing new. Everything is "
        "written in one transaction: with any bad row nothing is imported (unless --skip-bad-rows)."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "kind", choices=["responses", "events"], help="What the file holds: survey responses, or customer events."
        )
        parser.add_argument("file", type=Path, help="The exported file (.csv, .tsv, .txt, .xlsx or .json).")
        parser.add_argument("--survey", metavar="NAME", help="Responses: the Harken survey (name or slug).")
        parser.add_argument("--unit", metavar="NAME", help="Responses: the unit they belong to (name or code).")
        parser.add_argument("--unit-column", metavar="COLUMN", help="A column naming a unit below --unit for each row.")
        parser.add_argument("--create-units", action="store_true", help="Create units named in --unit-column.")
        parser.add_argument("--touchpoint", metavar="NAME", help="The touchpoint of every response (name or slug).")
        parser.add_argument("--touchpoint-column", metavar="COLUMN", help="A column naming each row's touchpoint.")
        parser.add_argument("--format", choices=list(FORMATS), help="Skip recognition and read the file as this.")
        for role in ("score", "comment", "date", "id", "email", "customer", "kind", "value"):
            parser.add_argument(f"--{role}-column", metavar="COLUMN", help=f"The column with the {role}.")
        parser.add_argument(
            "--answer",
            action="append",
            type=answer_pair,
            default=[],
            metavar="COLUMN=KEY",
            help="Store a column as the answer to the survey question KEY (repeatable).",
        )
        parser.add_argument(
            "--time-zone", type=zone, metavar="ZONE", help="Zone of times without one (default TIME_ZONE)."
        )
        dates = parser.add_mutually_exclusive_group()
        dates.add_argument(
            "--day-first", dest="day_first", action="store_true", default=None, help="Read 5/10 as 5 Oct."
        )
        dates.add_argument("--month-first", dest="day_first", action="store_false", help="Read 5/10 as 10 May.")
        parser.add_argument("--delimiter", metavar="CHAR", help="The CSV delimiter (default: guessed); 'tab' for tabs.")
        parser.add_argument(
            "--scale",
            choices=SCALES,
            default="auto",
            help="Scale of the score column: auto (default) recognises 1-11 exports and recodes them to 0-10.",
        )
        parser.add_argument("--include-partial", action="store_true", help="Also import unfinished responses.")
        parser.add_argument("--skip-bad-rows", action="store_true", help="Import the good rows even if some are bad.")
        parser.add_argument("--dry-run", action="store_true", help="Report what would be imported; change nothing.")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"No file {str(path)!r}.")
        if options["kind"] == "events":
            self._events(path, options)
            return
        if not options["survey"] or not options["unit"]:
            raise CommandError("Importing responses needs --survey and --unit.")
        target = Target(
            survey=self._survey(options["survey"]),
            unit=self._unit(options["unit"]),
            touchpoint=self._touchpoint(options["touchpoint"]),
            create_units=options["create_units"],
            skip_bad_rows=options["skip_bad_rows"],
        )
        parse_options = self._options(options)
        unknown = check_answers(target.survey, list(parse_options.answer_columns.values()))
        if unknown:
            raise CommandError("; ".join(unknown) + ".")
        try:
            parsed = parse_file(path.read_bytes(), path.name, parse_options)
        except (FileError, LayoutError) as exc:
            raise CommandError(f"{path.name}: {exc}") from None
        report = do_import(parsed, target, dry_run=options["dry_run"])
        self._print(report, path.name)
        if not report.ok and not target.skip_bad_rows:
            raise CommandError(f"{len(report.problems)} problem(s) in {path.name}; nothing was imported.")

    def _events(self, path: Path, options: dict[str, Any]) -> None:
        """Customer events: a customer (e-mail or external id), an event kind, a date, maybe an amount."""
        columns = {
            role: options[f"{role}_column"] for role in ("customer", "kind", "value", "id") if options[f"{role}_column"]
        }
        if options["date_column"]:
            columns["date"] = options["date_column"]
        try:
            parsed = parse_events(
                path.read_bytes(), path.name, options["time_zone"] or zoneinfo.ZoneInfo(settings.TIME_ZONE), columns
            )
        except (FileError, LayoutError) as exc:
            raise CommandError(f"{path.name}: {exc}") from None
        report = do_import_events(parsed, source=path.name[:50], dry_run=options["dry_run"])
        for problem in report.problems[:SHOWN_PROBLEMS]:
            self.stderr.write(f"{path.name}: {problem}")
        if report.problems:
            raise CommandError(f"{len(report.problems)} problem(s) in {path.name}; nothing was imported.")
        verb = "would create" if report.dry_run else "created"
        self.stdout.write(
            f"{path.name}: {report.rows} rows; {verb} {report.created} events; "
            f"{report.already_imported} already imported."
        )

    def _options(self, options: dict[str, Any]) -> Options:
        delimiter = options["delimiter"]
        if delimiter is not None and delimiter.lower() in ("tab", "\\t"):
            delimiter = "\t"
        if delimiter is not None and len(delimiter) != 1:
            raise CommandError("--delimiter is one character (or 'tab').")
        roles = {
            "score": "score",
            "comment": "comment",
            "date": "submitted",
            "id": "id",
            "email": "email",
            "customer": "customer_id",
        }
        return Options(
            time_zone=options["time_zone"] or zoneinfo.ZoneInfo(settings.TIME_ZONE),
            format=options["format"],
            delimiter=delimiter,
            day_first=options["day_first"],
            include_partial=options["include_partial"],
            columns={role: options[f"{flag}_column"] for flag, role in roles.items() if options[f"{flag}_column"]},
            unit_column=options["unit_column"],
            touchpoint_column=options["touchpoint_column"],
            answer_columns=dict(options["answer"]),
            scale=options["scale"],
        )

    def _survey(self, name: str) -> Survey:
        survey = Survey.objects.filter(Q(name__iexact=name) | Q(slug__iexact=name)).first()
        if survey is None:
            known = ", ".join(Survey.objects.values_list("name", flat=True)[:10]) or "none yet"
            raise CommandError(f"Unknown survey {name!r}; known: {known}.")
        return survey

    def _unit(self, name: str) -> Unit:
        matches = list(Unit.objects.filter(Q(name__iexact=name) | Q(code__iexact=name)).select_related("parent"))
        if not matches:
            raise CommandError(f"Unknown unit {name!r}.")
        if len(matches) > 1:
            raise CommandError(f"Unit name {name!r} is ambiguous; use its code instead.")
        return matches[0]

    def _touchpoint(self, name: str | None) -> Touchpoint | None:
        if name is None:
            return None
        touchpoint = Touchpoint.objects.filter(Q(name__iexact=name) | Q(slug__iexact=name)).first()
        if touchpoint is None:
            known = ", ".join(Touchpoint.objects.values_list("name", flat=True)[:10]) or "none yet"
            raise CommandError(f"Unknown touchpoint {name!r}; known: {known}.")
        return touchpoint

    def _print(self, report: Report, name: str) -> None:
        for problem in report.problems[:SHOWN_PROBLEMS]:
            self.stderr.write(f"{name}: {problem}")
        if len(report.problems) > SHOWN_PROBLEMS:
            self.stderr.write(f"{name}: … and {len(report.problems) - SHOWN_PROBLEMS} more problems")
        for warning in report.warnings[:SHOWN_PROBLEMS]:
            self.stderr.write(f"{name}: warning: {warning}")
        for note in report.notes:
            self.stderr.write(f"{name}: {note}")
        if report.problems and not report.created:
            return
        verb = "would create" if report.dry_run else "created"
        lines = [
            f"{name}: read as {report.format}; {report.rows} rows.",
            f"{verb} {report.created} responses ({report.without_score} without a score); "
            f"{report.already_imported} already imported.",
        ]
        if report.excluded:
            lines.append("left out: " + ", ".join(f"{count} {why}" for why, count in sorted(report.excluded.items())))
        if report.units_created:
            lines.append(f"{verb} {len(report.units_created)} units: {', '.join(report.units_created[:10])}")
        if report.contacts_created:
            lines.append(f"{verb} {report.contacts_created} contacts.")
        if report.dry_run:
            lines.append("Dry run: nothing was changed.")
        self.stdout.write("\n".join(lines))
