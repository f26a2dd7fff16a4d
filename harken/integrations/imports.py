"""Writing imported customer events: contacts found by e-mail or external id, one transaction, idempotent."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction
from django.db.models.functions import Lower

from harken.contacts.models import Contact
from harken.integrations.models import CustomerEvent
from harken.io.events import ParsedEvents
from harken.io.parse import Problem, column_name

BATCH = 1000


@dataclass
class EventReport:
    rows: int = 0
    created: int = 0
    already_imported: int = 0
    dry_run: bool = False
    problems: list[Problem] = field(default_factory=list)


def check_contacts(parsed: ParsedEvents) -> tuple[dict[str, Contact], list[Problem]]:
    """Each record's contact, by e-mail (any case) or by external id; a problem per unknown customer."""
    keys = {record.customer for record in parsed.records}
    found: dict[str, Contact] = {}
    emails = [key.lower() for key in keys if "@" in key]
    for by_email in Contact.objects.annotate(lower=Lower("email")).filter(lower__in=emails):
        found[by_email.email.lower()] = by_email
    for by_id in Contact.objects.filter(external_id__in=[key for key in keys if "@" not in key]):
        found[by_id.external_id] = by_id
    problems = []
    column = column_name(parsed.layout, parsed.layout.columns["customer"])
    for record in parsed.records:
        key = record.customer.lower() if "@" in record.customer else record.customer
        if key not in found:
            message = f"no contact with the e-mail or external id {record.customer!r}"
            problems.append(Problem(record.line, column, message))
    return found, problems


def do_import_events(parsed: ParsedEvents, source: str = "import", dry_run: bool = False) -> EventReport:
    """Create the events not imported before; nothing at all when a row is bad."""
    report = EventReport(rows=len(parsed.records) + len({p.line for p in parsed.problems}), dry_run=dry_run)
    contacts, problems = check_contacts(parsed)
    report.problems = parsed.problems + problems
    if report.problems:
        return report
    existing = set(
        CustomerEvent.objects.filter(external_id__in=[r.external_id for r in parsed.records]).values_list(
            "external_id", flat=True
        )
    )
    new = [record for record in parsed.records if record.external_id not in existing]
    report.already_imported = len(parsed.records) - len(new)
    with transaction.atomic():
        CustomerEvent.objects.bulk_create(
            [
                CustomerEvent(
                    contact=contacts[record.customer.lower() if "@" in record.customer else record.customer],
                    kind=record.kind,
                    occurred_at=record.occurred_at,
                    value=record.value,
                    currency=record.currency,
                    external_id=record.external_id,
                    source=source,
                )
                for record in new
            ],
            batch_size=BATCH,
        )
        report.created = len(new)
        if dry_run:
            transaction.set_rollback(True)
    return report
