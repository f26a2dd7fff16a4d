"""Customer events (renewal, churn, purchase …) from a CSV/XLSX/JSON file — pure parsing, no database."""

from __future__ import annotations

import hashlib
import re
import zoneinfo
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation

from harken.io.formats import Layout, LayoutError
from harken.io.parse import Problem, column_name
from harken.io.tables import read_table
from harken.io.values import CellError, DateStyle, clean_header, clean_text, guess_date_style, parse_timestamp

KINDS = {
    "purchase": "purchase",
    "order": "purchase",
    "sale": "purchase",
    "bought": "purchase",
    "invoice": "purchase",
    "renewal": "renewal",
    "renewed": "renewal",
    "renew": "renewal",
    "churn": "churn",
    "churned": "churn",
    "cancel": "churn",
    "cancelled": "churn",
    "canceled": "churn",
    "cancellation": "churn",
    "lost": "churn",
    "upgrade": "upgrade",
    "upgraded": "upgrade",
    "downgrade": "downgrade",
    "downgraded": "downgrade",
}
NAMES = {
    "id": ["id", "event id", "event_id", "external id", "external_id", "transaction id", "invoice"],
    "customer": [
        "customer",
        "contact",
        "email",
        "e-mail",
        "customer id",
        "customer_id",
        "contact_id",
        "contact external id",
        "contact_external_id",
        "account",
        "account id",
    ],
    "kind": ["event", "kind", "type", "event type", "event_type"],
    "date": ["date", "occurred_at", "occurred at", "timestamp", "time", "created_at", "event date"],
    "value": ["value", "amount", "revenue", "total", "price"],
    "currency": ["currency"],
}
REQUIRED = ("customer", "kind", "date")


@dataclass
class EventRecord:
    """One event as read from a file."""

    line: int
    external_id: str
    customer: str
    kind: str
    occurred_at: datetime
    value: Decimal | None
    currency: str


@dataclass
class ParsedEvents:
    layout: Layout
    records: list[EventRecord] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def parse_amount(text: str) -> Decimal | None:
    """Money from "120.50", "1,000.00", "1.000,50", "€ 12", "120,5"; None when blank."""
    text = re.sub(r"[^\d,.\-]", "", clean_text(text))
    if not text:
        return None
    if "," in text and "." in text:
        text = text.replace(",", "") if text.rindex(".") > text.rindex(",") else text.replace(".", "").replace(",", ".")
    elif "," in text:
        text = text.replace(",", ".") if re.fullmatch(r"-?\d+,\d{1,2}", text) else text.replace(",", "")
    try:
        return Decimal(text).quantize(Decimal("0.01"))
    except InvalidOperation:
        raise CellError(f"{text!r} is not an amount of money") from None


def parse_events(
    data: bytes, filename: str, zone: zoneinfo.ZoneInfo, columns: dict[str, str] | None = None
) -> ParsedEvents:
    """Read events; the columns are found by common names unless named in ``columns`` (role → header)."""
    table = read_table(data, filename)
    if not table.rows:
        raise LayoutError("the file has no rows")
    layout = Layout("events", [clean_header(cell) for cell in table.rows[0]], 1)
    lowered = [name.lower() for name in layout.header]
    for role, names in NAMES.items():
        match = next((lowered.index(name) for name in names if name in lowered), None)
        if match is not None:
            layout.columns[role] = match
    for role, name in (columns or {}).items():
        layout.columns[role] = layout.index_of(name)
    missing = [role for role in REQUIRED if role not in layout.columns]
    if missing:
        raise LayoutError(f"no {', '.join(missing)} column; name it with --{missing[0]}-column")
    parsed = ParsedEvents(layout=layout)
    dates = [row[layout.columns["date"]] for row in table.rows[1:] if layout.columns["date"] < len(row)]
    style = guess_date_style(dates)
    for row, line in zip(table.rows[1:], table.lines[1:], strict=True):
        record = _event(parsed, row, line, zone, style)
        if record is not None:
            parsed.records.append(record)
    return parsed


def _event(
    parsed: ParsedEvents, row: list[str], line: int, zone: zoneinfo.ZoneInfo, style: DateStyle
) -> EventRecord | None:
    columns = parsed.layout.columns

    def cell(role: str) -> str:
        index = columns.get(role)
        return clean_text(row[index]) if index is not None and index < len(row) else ""

    def problem(role: str, message: str) -> None:
        parsed.problems.append(Problem(line, column_name(parsed.layout, columns[role]), message))

    before = len(parsed.problems)
    if not cell("customer"):
        problem("customer", "empty; give the contact's e-mail or external id")
    kind = KINDS.get(cell("kind").lower())
    if kind is None:
        problem("kind", f"{cell('kind')!r} is not an event kind (purchase, renewal, churn, upgrade, downgrade)")
    occurred_at, value = None, None
    try:
        occurred_at = parse_timestamp(cell("date"), zone, style)
        if occurred_at is None:
            problem("date", "empty")
    except CellError as exc:
        problem("date", str(exc))
    try:
        value = parse_amount(cell("value")) if "value" in columns else None
    except CellError as exc:
        problem("value", str(exc))
    if len(parsed.problems) > before or kind is None or occurred_at is None:
        return None
    external_id = cell("id") or "row:" + hashlib.sha256("\x1f".join(row).encode()).hexdigest()[:24]
    return EventRecord(
        line, external_id[:120], cell("customer"), kind, occurred_at, value, cell("currency")[:3].upper()
    )
