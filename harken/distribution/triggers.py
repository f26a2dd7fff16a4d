"""Journey triggers: touchpoint events ("order delivered", "ticket closed") turned into invitations.

An event names its touchpoint, its unit, the customer (by external id, email or phone; a customer not yet
known is added with the unit as home unit), optionally the employee, and any context.  The touchpoint's
``JourneyTrigger`` decides the survey and the delay; quiet hours and fatigue rules apply as for every send.
An event id seen before is ignored, so resending a file or retrying a request is harmless.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from harken.api.auth import check_can_write_unit
from harken.contacts.models import Contact
from harken.distribution import sending
from harken.distribution.models import Invitation, JourneyTrigger
from harken.io.tables import Table
from harken.org.models import Employee, Unit
from harken.org.scoping import visible_units
from harken.surveys.models import Touchpoint

EVENT_COLUMNS = {
    "event_id",
    "touchpoint",
    "unit_id",
    "email",
    "phone",
    "external_id",
    "name",
    "language",
    "time_zone",
    "employee_id",
    "occurred_at",
}


class EventError(ValueError):
    """An event that cannot be accepted; ``field`` names the culprit."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass
class TouchpointEvent:
    """One event as received, before it is checked."""

    event_id: str
    touchpoint: str
    unit_id: int
    email: str = ""
    phone: str = ""
    external_id: str = ""
    name: str = ""
    language: str = ""
    time_zone: str = ""
    employee_id: int | None = None
    occurred_at: dt.datetime | None = None
    context: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class CheckedEvent:
    """An event whose unit, trigger and employee exist and which the caller may record."""

    event: TouchpointEvent
    unit: Unit
    trigger: JourneyTrigger
    employee: Employee | None


@dataclass(frozen=True)
class EventResult:
    """What became of an event: ``queued``, ``suppressed``, ``duplicate`` or ``error``."""

    event_id: str
    status: str
    invitation_id: int | None = None
    scheduled_at: dt.datetime | None = None
    message: str = ""
    line: int | None = None


def check_event(user: AbstractBaseUser, event: TouchpointEvent) -> CheckedEvent:
    """Validate and authorize one event; raises ``EventError`` naming the field."""
    if not event.event_id.strip():
        raise EventError("event_id", "Give every event an id, so a repeated event is not asked twice.")
    if not (event.email.strip() or event.phone.strip() or event.external_id.strip()):
        raise EventError("email", "Give the customer's email, phone or external_id.")
    unit = visible_units(user).filter(pk=event.unit_id).first()
    if unit is None:
        raise EventError("unit_id", f"No unit {event.unit_id} that you may see.")
    try:
        check_can_write_unit(user, unit)
    except PermissionDenied as exc:
        raise EventError("unit_id", str(exc)) from None
    touchpoint = Touchpoint.objects.filter(slug=event.touchpoint.strip()).first()
    if touchpoint is None:
        raise EventError("touchpoint", f"No touchpoint {event.touchpoint!r} (use its slug, e.g. delivery).")
    trigger = JourneyTrigger.objects.select_related("survey").filter(touchpoint=touchpoint, is_active=True).first()
    if trigger is None or not trigger.survey.is_active:
        raise EventError("touchpoint", f"No active survey is triggered by {touchpoint.name}.")
    employee = None
    if event.employee_id is not None:
        employee = Employee.objects.filter(pk=event.employee_id, unit__path__startswith=unit.path).first()
        if employee is None:
            raise EventError("employee_id", f"No employee {event.employee_id} in {unit.name}.")
    return CheckedEvent(event=event, unit=unit, trigger=trigger, employee=employee)


def find_or_add_contact(event: TouchpointEvent, unit: Unit) -> Contact:
    """The event's customer by external id, then email, then phone; added (home unit: the event's) if new."""
    contacts = Contact.objects.all()
    found = None
    if event.external_id.strip():
        found = contacts.filter(external_id=event.external_id.strip()).first()
    if found is None and event.email.strip():
        found = contacts.filter(email__iexact=event.email.strip()).first()
    if found is None and event.phone.strip():
        found = contacts.filter(phone=event.phone.strip()).first()
    if found is not None:
        return found
    return Contact.objects.create(
        email=event.email.strip(),
        phone=event.phone.strip(),
        external_id=event.external_id.strip(),
        name=event.name.strip(),
        language=event.language.strip() or "en",
        time_zone=event.time_zone.strip(),
        home_unit=unit,
    )


def do_record_event(checked: CheckedEvent, now: dt.datetime | None = None) -> EventResult:
    """Queue the invitation an event triggers, after the trigger's delay (and outside quiet hours)."""
    event, trigger = checked.event, checked.trigger
    if Invitation.objects.filter(event_id=event.event_id).exists():
        return EventResult(event.event_id, "duplicate", message="This event was received before.")
    now = now or timezone.now()
    due = max(event.occurred_at or now, now - dt.timedelta(days=1)) + dt.timedelta(minutes=trigger.delay_minutes)
    contact = find_or_add_contact(event, checked.unit)
    try:
        invitation = sending.do_queue_invitation(
            trigger.survey,
            contact,
            checked.unit,
            channel=trigger.channel,
            touchpoint=trigger.touchpoint,
            employee=checked.employee,
            context=event.context,
            event_id=event.event_id,
            when=max(due, now),
        )
    except IntegrityError:  # the same event arrived at the same moment through another request
        invitation = None
    if invitation is None:
        return EventResult(event.event_id, "duplicate", message="This event was received before.")
    if invitation.status == Invitation.Status.SUPPRESSED:
        return EventResult(event.event_id, "suppressed", invitation.pk, message=invitation.last_error)
    return EventResult(event.event_id, "queued", invitation.pk, invitation.scheduled_at)


def do_record_events(
    user: AbstractBaseUser, events: list[TouchpointEvent], lines: list[int] | None = None
) -> list[EventResult]:
    """Check and record each event on its own: a bad one is reported and does not stop the others."""
    results = []
    for index, event in enumerate(events):
        line = lines[index] if lines else None
        try:
            checked = check_event(user, event)
        except EventError as exc:
            results.append(EventResult(event.event_id, "error", message=f"{exc.field}: {exc}", line=line))
            continue
        result = do_record_event(checked)
        results.append(EventResult(**{**result.__dict__, "line": line}))
    return results


def events_from_table(table: Table) -> tuple[list[TouchpointEvent], list[int], list[EventResult]]:
    """Events from a CSV/XLSX table with a header row; other columns become context.  Unreadable rows are
    returned as errors naming their line and column."""
    if not table.rows:
        return [], [], []
    header = [cell.strip().lower() for cell in table.rows[0]]
    missing = {"event_id", "touchpoint", "unit_id"} - set(header)
    if missing:
        error = EventResult(
            "", "error", message=f"Missing column(s): {', '.join(sorted(missing))}", line=table.lines[0]
        )
        return [], [], [error]
    events, lines, errors = [], [], []
    for row, line in zip(table.rows[1:], table.lines[1:], strict=True):
        if not any(cell.strip() for cell in row):
            continue
        values = dict(zip(header, row + [""] * (len(header) - len(row)), strict=False))
        try:
            events.append(_event_from_row(values))
            lines.append(line)
        except EventError as exc:
            errors.append(EventResult(values.get("event_id", ""), "error", message=f"{exc.field}: {exc}", line=line))
    return events, lines, errors


def _event_from_row(values: dict[str, str]) -> TouchpointEvent:
    def whole(name: str) -> int | None:
        raw = values.get(name, "").strip()
        if not raw:
            return None
        try:
            return int(raw)
        except ValueError:
            raise EventError(name, f"{raw!r} is not a whole number.") from None

    occurred_raw = values.get("occurred_at", "").strip()
    occurred = parse_datetime(occurred_raw) if occurred_raw else None
    if occurred_raw and occurred is None:
        raise EventError("occurred_at", f"{occurred_raw!r} is not a date and time like 2026-05-01T14:30:00Z.")
    if occurred is not None and timezone.is_naive(occurred):
        occurred = timezone.make_aware(occurred)
    unit_id = whole("unit_id")
    if unit_id is None:
        raise EventError("unit_id", "Give the unit id.")
    return TouchpointEvent(
        event_id=values.get("event_id", "").strip(),
        touchpoint=values.get("touchpoint", ""),
        unit_id=unit_id,
        email=values.get("email", ""),
        phone=values.get("phone", ""),
        external_id=values.get("external_id", ""),
        name=values.get("name", ""),
        language=values.get("language", ""),
        time_zone=values.get("time_zone", ""),
        employee_id=whole("employee_id"),
        occurred_at=occurred,
        context={key: value for key, value in values.items() if key not in EVENT_COLUMNS and key and value.strip()},
    )
