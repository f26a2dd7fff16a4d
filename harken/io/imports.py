"""Writing parsed responses: ``check_import`` resolves units, touchpoints and contacts, ``do_import`` writes
everything in one transaction (or rolls it back for a dry run).  Re-importing a file creates nothing new:
each response carries its id from the file (or a hash of its row) as ``external_id``, unique per survey.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone

from harken.collect.models import Response
from harken.contacts.models import Contact
from harken.distribution.models import Channel
from harken.io.parse import Parsed, Problem, Record, column_name
from harken.org.models import Unit
from harken.surveys.models import Survey, Touchpoint

BATCH = 1000


@dataclass(frozen=True)
class Target:
    """Where imported responses go: a survey, a unit (and the column that picks units below it), a touchpoint."""

    survey: Survey
    unit: Unit
    touchpoint: Touchpoint | None = None
    create_units: bool = False
    skip_bad_rows: bool = False


@dataclass
class Report:
    """What an import did, or would do in a dry run."""

    format: str
    dry_run: bool
    rows: int = 0
    created: int = 0
    already_imported: int = 0
    without_score: int = 0
    excluded: Counter[str] = field(default_factory=Counter)
    units_created: list[str] = field(default_factory=list)
    contacts_created: int = 0
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # decisions about the whole file, e.g. a 1–11 scale recoded

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass
class Plan:
    """Units and touchpoints for every record, found or to be created."""

    units: dict[str, Unit | None] = field(default_factory=dict)
    touchpoints: dict[str, Touchpoint] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)


def check_import(parsed: Parsed, target: Target) -> Plan:
    """Find each record's unit (by name or code under ``target.unit``) and touchpoint (by name or slug)."""
    plan = Plan()
    subtree = target.unit.subtree()
    for record in parsed.records:
        if record.unit and record.unit not in plan.units:
            match = subtree.filter(Q(name__iexact=record.unit) | Q(code__iexact=record.unit)).order_by("depth").first()
            plan.units[record.unit] = match
            if match is None and not target.create_units:
                column = column_name(parsed.layout, parsed.layout.columns["unit"])
                message = f"no unit {record.unit!r} in {target.unit.name}; create it first or use --create-units"
                plan.problems.append(Problem(record.line, column, message))
        if record.touchpoint and record.touchpoint not in plan.touchpoints:
            touchpoint = Touchpoint.objects.filter(
                Q(name__iexact=record.touchpoint) | Q(slug__iexact=record.touchpoint)
            ).first()
            if touchpoint is None:
                column = column_name(parsed.layout, parsed.layout.columns["touchpoint"])
                plan.problems.append(Problem(record.line, column, f"no touchpoint {record.touchpoint!r}"))
            else:
                plan.touchpoints[record.touchpoint] = touchpoint
    return plan


def check_answers(survey: Survey, answer_keys: list[str]) -> list[str]:
    """Answers go under the survey's stable question keys; an unknown key is a mistake, not a new question."""
    known = set(survey.questions.values_list("key", flat=True))
    return [
        f"the survey {survey.name!r} has no question with the key {key!r}" for key in answer_keys if key not in known
    ]


def do_import(parsed: Parsed, target: Target, dry_run: bool = False) -> Report:
    """Write the records in one transaction; with problems (unless skipping bad rows) or a dry run, roll back."""
    report = Report(
        format=parsed.format,
        dry_run=dry_run,
        excluded=parsed.excluded,
        warnings=parsed.warnings,
        notes=parsed.notes,
    )
    report.rows = len(parsed.records) + sum(parsed.excluded.values()) + len({p.line for p in parsed.problems})
    report.problems = list(parsed.problems)
    with transaction.atomic():
        plan = check_import(parsed, target)
        report.problems += plan.problems
        if report.problems and not target.skip_bad_rows:
            return report
        bad_lines = {problem.line for problem in report.problems}
        records = [record for record in parsed.records if record.line not in bad_lines]
        units = _create_units(plan, target, report)
        new = _new_records(records, target.survey, report)
        contacts = _contacts(new, units, target, report)
        _create_responses(new, target, units, plan, contacts, report)
        if dry_run:
            transaction.set_rollback(True)
    return report


def _create_units(plan: Plan, target: Target, report: Report) -> dict[str, Unit]:
    units: dict[str, Unit] = {}
    for name, unit in plan.units.items():
        if unit is None and target.create_units:
            unit = Unit.objects.create(name=name[:200], parent=target.unit)
            report.units_created.append(name)
        if unit is not None:
            units[name] = unit  # an unknown unit's rows are bad rows: skipped or nothing is written
    return units


def _new_records(records: list[Record], survey: Survey, report: Report) -> list[Record]:
    ids = [record.external_id for record in records]
    existing: set[str] = set()
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        existing |= set(
            Response.objects.filter(survey=survey, external_id__in=chunk).values_list("external_id", flat=True)
        )
    report.already_imported = len(existing)
    return [record for record in records if record.external_id not in existing]


def _contact_key(record: Record) -> str:
    """Which contact a record is about: its CRM id if the file has one, else its e-mail address."""
    if record.customer_id:
        return f"id:{record.customer_id}"
    return f"email:{record.email.lower()}" if "@" in record.email else ""


def _contacts(records: list[Record], units: dict[str, Unit], target: Target, report: Report) -> dict[str, Contact]:
    """Contacts by ``_contact_key``: found by CRM id, else by e-mail (any case), else created with the
    record's id, address, name and unit."""
    wanted = {_contact_key(record): record for record in records if _contact_key(record)}
    ids = [record.customer_id for record in wanted.values() if record.customer_id]
    emails = [record.email.lower() for record in wanted.values() if "@" in record.email]
    by_id: dict[str, Contact] = {}
    by_email: dict[str, Contact] = {}
    for start in range(0, max(len(ids), len(emails)), BATCH):
        for row in Contact.objects.filter(external_id__in=ids[start : start + BATCH]):
            by_id[row.external_id] = row
        for row in Contact.objects.annotate(lower=Lower("email")).filter(lower__in=emails[start : start + BATCH]):
            by_email.setdefault(row.email.lower(), row)
    found: dict[str, Contact] = {}
    for key, record in wanted.items():
        contact = _existing_contact(record, by_id, by_email)
        if contact is None:
            unit = units.get(record.unit, target.unit)
            contact = Contact.objects.create(
                email=record.email[:254] if "@" in record.email else "",
                external_id=record.customer_id,
                name=record.name,
                home_unit=unit,
            )
            report.contacts_created += 1
            if "@" in record.email:
                by_email.setdefault(record.email.lower(), contact)
        found[key] = contact
    return found


def _existing_contact(record: Record, by_id: dict[str, Contact], by_email: dict[str, Contact]) -> Contact | None:
    """The contact with the record's CRM id; else the one with its address, unless that one has another CRM id."""
    if record.customer_id and record.customer_id in by_id:
        return by_id[record.customer_id]
    contact = by_email.get(record.email.lower()) if "@" in record.email else None
    if contact is not None and record.customer_id and contact.external_id:
        return None
    return contact


def _create_responses(
    records: list[Record],
    target: Target,
    units: dict[str, Unit],
    plan: Plan,
    contacts: dict[str, Contact],
    report: Report,
) -> None:
    now = timezone.now()
    default_touchpoint = target.touchpoint or target.survey.touchpoint
    rows = [
        Response(
            survey=target.survey,
            unit=units.get(record.unit, target.unit),
            touchpoint=plan.touchpoints.get(record.touchpoint, default_touchpoint),
            contact=contacts.get(_contact_key(record)),
            score=record.score,
            comment=record.comment,
            answers=record.answers,
            channel=Channel.IMPORT,
            language=record.language or target.survey.default_language,
            external_id=record.external_id,
            submitted_at=record.submitted_at or now,
        )
        for record in records
    ]
    Response.objects.bulk_create(rows, batch_size=BATCH)
    report.created = len(rows)
    report.without_score = sum(1 for record in records if record.score is None)
