"""Importing contacts from CSV or XLSX: map the columns, preview, then upsert — all rows or none.

A column maps to a contact field (email, phone, name, language, time_zone, external_id, home_unit,
email_consent, sms_consent), to a typed attribute (``attr:plan:text``, ``attr:revenue:number``,
``attr:seats:integer``, ``attr:enterprise:boolean``, ``attr:since:date``), or is ignored.  A row is matched
to an existing contact by external id, then by email (case-insensitive); otherwise a contact is added.
Every problem names the file line, the column and what is wrong.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction

from harken.api.auth import check_can_write_unit
from harken.contacts.models import Consent, Contact
from harken.io.tables import Table
from harken.org.models import Unit
from harken.org.scoping import visible_units

FIELDS = [
    "email",
    "phone",
    "name",
    "language",
    "time_zone",
    "external_id",
    "home_unit",
    "email_consent",
    "sms_consent",
]
TYPES = ["text", "number", "integer", "boolean", "date"]
IGNORE = "ignore"
ALIASES = {
    "e_mail": "email",
    "mail": "email",
    "mobile": "phone",
    "id": "external_id",
    "customer_id": "external_id",
    "unit": "home_unit",
    "store": "home_unit",
    "lang": "language",
    "timezone": "time_zone",
    "tz": "time_zone",
}
TRUE = {"1", "true", "yes", "y", "ja", "sí", "si", "oui"}
FALSE = {"0", "false", "no", "n", "nein", "non"}
CONSENTS = {
    "granted": Consent.GRANTED,
    "yes": Consent.GRANTED,
    "unsubscribed": Consent.UNSUBSCRIBED,
    "no": Consent.UNSUBSCRIBED,
    "unknown": Consent.UNKNOWN,
}


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the file: its line, the column and the message."""

    line: int
    column: str
    message: str

    def __str__(self) -> str:
        return f"line {self.line}, column {self.column!r}: {self.message}"


@dataclass
class ContactRow:
    """A row turned into contact values and typed attributes."""

    line: int
    values: dict[str, Any] = field(default_factory=dict)
    attributes: dict[str, Any] = field(default_factory=dict)


@dataclass
class Checked:
    """The rows that are fine and the problems of the others."""

    rows: list[ContactRow]
    problems: list[Problem]
    header: list[str]


@dataclass
class Report:
    """What an import did."""

    created: int = 0
    updated: int = 0
    skipped_rows: int = 0
    problems: list[Problem] = field(default_factory=list)


def slug(text: str) -> str:
    """A header as an attribute name: lower case, words joined by ``_``."""
    return re.sub(r"[^a-z0-9]+", "_", text.strip().lower()).strip("_") or "column"


def guess_type(samples: list[str]) -> str:
    """The narrowest type all non-empty samples fit."""
    values = [s.strip() for s in samples if s.strip()]
    if not values:
        return "text"
    for kind in ("integer", "number", "boolean", "date"):
        try:
            for value in values:
                convert(value, kind)
            return kind
        except ValueError:
            continue
    return "text"


def guess_mapping(table: Table) -> dict[str, str]:
    """A first mapping of each header: known field names (and aliases) to fields, others to typed attributes."""
    header = table.rows[0] if table.rows else []
    mapping = {}
    for index, name in enumerate(header):
        key = ALIASES.get(slug(name), slug(name))
        if key in FIELDS:
            mapping[name] = key
        else:
            samples = [row[index] for row in table.rows[1:51] if index < len(row)]
            mapping[name] = f"attr:{key}:{guess_type(samples)}"
    return mapping


def check_mapping(mapping: dict[str, str]) -> None:
    """Refuse a mapping with unknown targets, a field used twice, or no way to identify a contact."""
    used: list[str] = []
    for column, target in mapping.items():
        if target == IGNORE:
            continue
        if target.startswith("attr:"):
            parts = target.split(":")
            if len(parts) != 3 or not parts[1] or parts[2] not in TYPES:
                raise ValueError(f"Column {column!r}: an attribute is attr:NAME:TYPE with TYPE one of {TYPES}.")
        elif target not in FIELDS:
            raise ValueError(f"Column {column!r}: unknown target {target!r}.")
        key = ":".join(target.split(":")[:2])  # an attribute counts once whatever its type
        if key in used:
            raise ValueError(f"Column {column!r}: {key!r} is mapped twice.")
        used.append(key)
    if "email" not in used and "external_id" not in used:
        raise ValueError("Map a column to email or external_id, so that contacts can be matched.")


def convert(raw: str, kind: str) -> Any:
    """A cell as a typed attribute value; raises ``ValueError`` with a message for the user."""
    text = raw.strip()
    if kind == "text":
        return text
    if kind == "integer":
        if not re.fullmatch(r"[-+]?\d+", text):
            raise ValueError(f"{text!r} is not a whole number")
        return int(text)
    if kind == "number":
        try:
            return float(text.replace(",", ".")) if text.count(",") == 1 and "." not in text else float(text)
        except ValueError:
            raise ValueError(f"{text!r} is not a number") from None
    if kind == "boolean":
        if text.lower() in TRUE:
            return True
        if text.lower() in FALSE:
            return False
        raise ValueError(f"{text!r} is not yes or no")
    try:
        return dt.date.fromisoformat(text[:10]).isoformat()
    except ValueError:
        raise ValueError(f"{text!r} is not a date like 2026-05-01") from None


def check_rows(user: AbstractBaseUser, table: Table, mapping: dict[str, str]) -> Checked:
    """Every data row converted, or the problems of each row that cannot be."""
    check_mapping(mapping)
    header = table.rows[0] if table.rows else []
    units = _unit_lookup(user)
    checked = Checked(rows=[], problems=[], header=header)
    seen: dict[str, int] = {}
    for row, line in zip(table.rows[1:], table.lines[1:], strict=True):
        if not any(cell.strip() for cell in row):
            continue
        contact_row, problems = _check_row(user, header, row, line, mapping, units)
        key = str(contact_row.values.get("external_id") or contact_row.values.get("email", "")).lower()
        if key and key in seen:
            problems.append(Problem(line, "email", f"the same contact is already on line {seen[key]}"))
        elif key:
            seen[key] = line
        if not problems:
            problems.extend(_check_may_change(user, contact_row))
        checked.problems.extend(problems)
        if not problems:
            checked.rows.append(contact_row)
    return checked


def _check_may_change(user: AbstractBaseUser, row: ContactRow) -> list[Problem]:
    """Only contacts of units the user may write to are added or changed (administrators: any contact)."""
    if getattr(user, "is_superuser", False):
        return []
    existing = _existing(row)
    home_unit = existing.home_unit if existing is not None and existing.home_unit else row.values.get("home_unit")
    if home_unit is None:
        return [Problem(row.line, "home_unit", "give the contact's home unit (one you manage)")]
    try:
        check_can_write_unit(user, home_unit)
    except PermissionDenied:
        return [Problem(row.line, "email", f"this contact belongs to {home_unit.name}, which you may not change")]
    return []


def _unit_lookup(user: AbstractBaseUser) -> dict[str, list[Unit]]:
    lookup: dict[str, list[Unit]] = {}
    for unit in visible_units(user):
        lookup.setdefault(str(unit.pk), []).append(unit)
        lookup.setdefault(unit.name.strip().lower(), []).append(unit)
    return lookup


def _check_row(
    user: AbstractBaseUser,
    header: list[str],
    row: list[str],
    line: int,
    mapping: dict[str, str],
    units: dict[str, list[Unit]],
) -> tuple[ContactRow, list[Problem]]:
    result, problems, identified = ContactRow(line=line), [], False
    for index, column in enumerate(header):
        target = mapping.get(column, IGNORE)
        raw = row[index].strip() if index < len(row) else ""
        if target == IGNORE or not raw:  # an empty cell changes nothing
            continue
        identified = identified or target in ("email", "external_id")
        try:
            if target.startswith("attr:"):
                _, name, kind = target.split(":")
                result.attributes[name] = convert(raw, kind)
            else:
                result.values[target] = _field_value(user, target, raw, units)
        except ValueError as exc:
            problems.append(Problem(line, column, str(exc)))
    if not identified:
        problems.append(Problem(line, "email", "give an email or an external id"))
    return result, problems


def _field_value(user: AbstractBaseUser, target: str, raw: str, units: dict[str, list[Unit]]) -> Any:
    if target == "email":
        try:
            validate_email(raw)
        except ValidationError:
            raise ValueError(f"{raw!r} is not an email address") from None
        return raw.lower()
    if target == "home_unit":
        found = units.get(raw.lower(), [])
        if len(found) != 1:
            raise ValueError(f"no unit {raw!r} that you may see" if not found else f"several units are called {raw!r}")
        try:
            check_can_write_unit(user, found[0])
        except PermissionDenied as exc:
            raise ValueError(str(exc)) from None
        return found[0]
    if target in ("email_consent", "sms_consent"):
        if raw.lower() not in CONSENTS:
            raise ValueError(f"{raw!r} is not granted, unsubscribed or unknown")
        return CONSENTS[raw.lower()]
    max_length = Contact._meta.get_field(target).max_length or 0  # type: ignore[union-attr]
    if max_length and len(raw) > max_length:
        raise ValueError(f"longer than {max_length} characters")
    return raw


def do_import(checked: Checked, only_valid: bool = False) -> Report:
    """Upsert the checked rows in one transaction; with problems and not ``only_valid``, write nothing."""
    report = Report(problems=checked.problems)
    if checked.problems and not only_valid:
        report.skipped_rows = len({problem.line for problem in checked.problems}) + len(checked.rows)
        return report
    report.skipped_rows = len({problem.line for problem in checked.problems})
    row = None
    try:
        with transaction.atomic():
            for row in checked.rows:
                _upsert(row, report)
    except IntegrityError:
        assert row is not None
        conflict = Problem(row.line, "email", "its email or external id belongs to another contact")
        return Report(problems=[*checked.problems, conflict], skipped_rows=len(checked.rows) + report.skipped_rows)
    return report


def _upsert(row: ContactRow, report: Report) -> None:
    contact = _existing(row)
    if contact is None:
        Contact.objects.create(**{"language": "en", **row.values}, attributes=row.attributes)
        report.created += 1
        return
    for name, value in row.values.items():
        setattr(contact, name, value)
    contact.attributes = {**(contact.attributes or {}), **row.attributes}
    contact.save()
    report.updated += 1


def _existing(row: ContactRow) -> Contact | None:
    if row.values.get("external_id"):
        found = Contact.objects.filter(external_id=row.values["external_id"]).first()
        if found is not None:
            return found
    if row.values.get("email"):
        return Contact.objects.filter(email__iexact=row.values["email"]).first()
    return None
