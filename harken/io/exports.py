"""Exports of responses, their answers, themes and cases as CSV, XLSX and Parquet; the warehouse export's rows.

The ``*_COLUMNS`` lists in ``DATASETS`` are the data dictionary: docs/data-dictionary.md is checked
against them by a test.  Rows are read in chunks straight from the database (``values()``), so an export
of millions of responses needs little memory.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from django.db.models import QuerySet

from harken.analytics.queries import local_zone
from harken.collect.models import Response
from harken.loop.models import Case
from harken.text.models import ResponseTheme

CHUNK = 2000
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")  # control characters XLSX cannot hold


@dataclass(frozen=True)
class Column:
    """One exported column: its name, Parquet type, meaning, and how to get it from a ``values()`` row."""

    name: str
    type: str  # int64, int8, boolean, string, timestamp
    description: str
    get: Callable[[dict[str, Any]], Any]


def _field(name: str) -> Callable[[dict[str, Any]], Any]:
    return lambda row: row[name]


def _month(row: dict[str, Any]) -> str:
    return f"{row['submitted_at'].astimezone(local_zone()):%Y-%m}"


RESPONSE_COLUMNS = [
    Column("response_id", "int64", "Harken's id of the response; unique, never reused.", _field("id")),
    Column("survey_id", "int64", "Id of the survey answered.", _field("survey_id")),
    Column("survey", "string", "Name of the survey.", _field("survey__name")),
    Column("unit_id", "int64", "Id of the unit (store, team …) the response is about.", _field("unit_id")),
    Column("unit", "string", "Name of that unit.", _field("unit__name")),
    Column(
        "unit_path",
        "string",
        "Ids from the root to the unit, e.g. /1/4/17/; prefix-match for subtrees.",
        _field("unit__path"),
    ),
    Column("touchpoint_id", "int64", "Id of the journey step, or null.", _field("touchpoint_id")),
    Column("touchpoint", "string", "Slug of the journey step, or null.", _field("touchpoint__slug")),
    Column("contact_id", "int64", "Id of the customer, or null (anonymous link, or erased).", _field("contact_id")),
    Column(
        "contact_external_id",
        "string",
        "The customer's id in your CRM, or null.",
        lambda row: row["contact__external_id"] or None,
    ),
    Column("employee_id", "int64", "Id of the employee the response is about, or null.", _field("employee_id")),
    Column("invitation_id", "int64", "Id of the invitation answered, or null.", _field("invitation_id")),
    Column("score", "int8", "0–10; null when the customer skipped the question (not in any NPS).", _field("score")),
    Column(
        "category",
        "string",
        "promoter (9–10), passive (7–8), detractor (0–6), or null without a score.",
        _field("category"),
    ),
    Column("comment", "string", "The customer's comment; empty when none.", _field("comment")),
    Column(
        "answers",
        "string",
        "Follow-up answers as a JSON object keyed by the questions' stable keys.",
        lambda row: json.dumps(row["answers"] or {}, ensure_ascii=False, sort_keys=True),
    ),
    Column("channel", "string", "email, sms, link, widget, kiosk, api or import.", _field("channel")),
    Column("language", "string", "Language the survey was answered in (en, es, fr, de …).", _field("language")),
    Column(
        "external_id", "string", "Id in the system the response was imported from, or empty.", _field("external_id")
    ),
    Column("submitted_at", "timestamp", "When the customer answered (UTC).", _field("submitted_at")),
    Column(
        "submitted_month", "string", "Calendar month of submitted_at in TIME_ZONE (YYYY-MM); the partition.", _month
    ),
    Column("created_at", "timestamp", "When the row was stored in Harken (UTC).", _field("created_at")),
    Column(
        "updated_at", "timestamp", "When the row last changed (UTC); the incremental watermark.", _field("updated_at")
    ),
]

ANSWER_COLUMNS = [
    Column("response_id", "int64", "The response the answer belongs to.", _field("response_id")),
    Column(
        "question_key",
        "string",
        "The question's stable key (never reused for another question).",
        _field("question_key"),
    ),
    Column("value", "string", "The answer as text; a list of choices is JSON.", _field("value")),
    Column(
        "submitted_month",
        "string",
        "Month of the response (YYYY-MM in TIME_ZONE); the partition.",
        _field("submitted_month"),
    ),
    Column("updated_at", "timestamp", "When the response last changed (UTC).", _field("updated_at")),
]


def _response_month(row: dict[str, Any]) -> str:
    return f"{row['response__submitted_at'].astimezone(local_zone()):%Y-%m}"


THEME_COLUMNS = [
    Column("response_id", "int64", "The response the theme was found in.", _field("response_id")),
    Column("theme_id", "int64", "Id of the theme; stable when the theme is renamed.", _field("theme_id")),
    Column("theme", "string", "Name of the theme.", _field("theme__name")),
    Column(
        "parent_theme_id",
        "int64",
        "Id of the theme's parent, or null for a top-level theme.",
        _field("theme__parent_id"),
    ),
    Column("source", "string", "Who tagged it: rule (the theme's phrases), model or person.", _field("source")),
    Column(
        "excluded",
        "boolean",
        "True when a person removed the theme from the response; leave such rows out of counts.",
        _field("excluded"),
    ),
    Column("tagged_at", "timestamp", "When the theme was attached to the response (UTC).", _field("created_at")),
    Column("submitted_month", "string", "Month of the response (YYYY-MM in TIME_ZONE).", _response_month),
]

CASE_COLUMNS = [
    Column("case_id", "int64", "Harken's id of the follow-up case.", _field("id")),
    Column("response_id", "int64", "The response the case follows up.", _field("response_id")),
    Column("rule_id", "int64", "Id of the alert rule that opened it, or null when opened by hand.", _field("rule_id")),
    Column("unit_id", "int64", "Id of the unit responsible for the case.", _field("unit_id")),
    Column("unit", "string", "Name of that unit.", _field("unit__name")),
    Column("status", "string", "new, in_progress, waiting, resolved or closed.", _field("status")),
    Column("priority", "int8", "1 low, 2 normal, 3 high, 4 urgent.", _field("priority")),
    Column(
        "owner_id", "int64", "Id of the Harken user who owns the case, or null when unassigned.", _field("owner_id")
    ),
    Column("owner", "string", "Username of that user, or null.", _field("owner__username")),
    Column("opened_at", "timestamp", "When the case was opened (UTC).", _field("opened_at")),
    Column(
        "due_at", "timestamp", "When it is due by the rule's SLA in business hours (UTC), or null.", _field("due_at")
    ),
    Column(
        "first_contact_at",
        "timestamp",
        "When the customer was first contacted (UTC), or null.",
        _field("first_contact_at"),
    ),
    Column("resolved_at", "timestamp", "When it was resolved (UTC), or null.", _field("resolved_at")),
    Column("closed_at", "timestamp", "When it was closed (UTC), or null.", _field("closed_at")),
    Column(
        "escalation_level", "int8", "How many times it was escalated for being overdue.", _field("escalation_level")
    ),
    Column(
        "root_cause",
        "string",
        "product, delivery, price, staff, process, communication, other; empty when not yet known.",
        _field("root_cause"),
    ),
    Column(
        "outcome",
        "string",
        "recovered, not_recovered, unreachable, no_action; empty while open.",
        _field("outcome"),
    ),
    Column("submitted_month", "string", "Month of the response (YYYY-MM in TIME_ZONE).", _response_month),
]

DATASETS = {
    "responses": RESPONSE_COLUMNS,
    "answers": ANSWER_COLUMNS,
    "themes": THEME_COLUMNS,
    "cases": CASE_COLUMNS,
}
# Datasets whose rows change with the response's updated_at: the ones the incremental export can follow.
INCREMENTAL = ("responses", "answers")
FORMATS = ("csv", "xlsx", "parquet")
_VALUES = [
    "id",
    "survey_id",
    "unit_id",
    "touchpoint_id",
    "contact_id",
    "employee_id",
    "invitation_id",
    "score",
    "category",
    "comment",
    "answers",
    "channel",
    "language",
    "external_id",
    "submitted_at",
    "created_at",
    "updated_at",
]


_RELATED = ["survey__name", "unit__name", "unit__path", "touchpoint__slug", "contact__external_id"]


def response_rows(queryset: QuerySet[Response]) -> Iterator[dict[str, Any]]:
    """Export rows of responses, in id order, read in chunks."""
    rows = queryset.order_by("id").values(*_VALUES, *_RELATED)
    for row in rows.iterator(chunk_size=CHUNK):
        yield {column.name: column.get(row) for column in RESPONSE_COLUMNS}


def answer_rows(queryset: QuerySet[Response]) -> Iterator[dict[str, Any]]:
    """One row per answered follow-up question: the long form warehouses join on response_id."""
    for response in response_rows(queryset):
        for key, value in sorted(json.loads(response["answers"]).items()):
            text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
            yield {
                "response_id": response["response_id"],
                "question_key": key,
                "value": text,
                "submitted_month": response["submitted_month"],
                "updated_at": response["updated_at"],
            }


_THEME_VALUES = [
    "response_id",
    "theme_id",
    "theme__name",
    "theme__parent_id",
    "source",
    "excluded",
    "created_at",
    "response__submitted_at",
]
_CASE_VALUES = [
    "id",
    "response_id",
    "rule_id",
    "unit_id",
    "unit__name",
    "status",
    "priority",
    "owner_id",
    "owner__username",
    "opened_at",
    "due_at",
    "first_contact_at",
    "resolved_at",
    "closed_at",
    "escalation_level",
    "root_cause",
    "outcome",
    "response__submitted_at",
]


def theme_rows(queryset: QuerySet[Response]) -> Iterator[dict[str, Any]]:
    """One row per theme found in a response (excluded ones too, flagged), in response then theme order."""
    links = ResponseTheme.objects.filter(response__in=queryset.values("id")).order_by("response_id", "theme_id")
    rows = links.values(*_THEME_VALUES)
    for row in rows.iterator(chunk_size=CHUNK):
        yield {column.name: column.get(row) for column in THEME_COLUMNS}


def case_rows(queryset: QuerySet[Response]) -> Iterator[dict[str, Any]]:
    """One row per follow-up case of the responses, in id order; no titles or notes (they may name people)."""
    cases = Case.objects.filter(response__in=queryset.values("id")).order_by("id")
    rows = cases.values(*_CASE_VALUES)
    for row in rows.iterator(chunk_size=CHUNK):
        yield {column.name: column.get(row) for column in CASE_COLUMNS}


_ROWS: dict[str, Callable[[QuerySet[Response]], Iterator[dict[str, Any]]]] = {
    "responses": response_rows,
    "answers": answer_rows,
    "themes": theme_rows,
    "cases": case_rows,
}


def rows_of(dataset: str, queryset: QuerySet[Response]) -> Iterator[dict[str, Any]]:
    """The rows of a dataset (``responses``, ``answers``, ``themes`` or ``cases``) for the responses selected."""
    return _ROWS[dataset](queryset)


# --- Writers --------------------------------------------------------------------------------------------------


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
    return str(value)


def write_csv(columns: list[Column], rows: Iterable[dict[str, Any]], out: IO[str]) -> int:
    """UTF-8 CSV with a header row; times in ISO 8601 UTC (…Z); null is an empty cell.  Returns the row count."""
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([column.name for column in columns])
    count = 0
    for row in rows:
        writer.writerow([_text(row[column.name]) for column in columns])
        count += 1
    return count


def write_xlsx(columns: list[Column], rows: Iterable[dict[str, Any]], path: Path) -> int:
    """One worksheet; times as Excel date-times in UTC; at most 1,048,575 rows (Excel's limit)."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("export")
    sheet.append([column.name for column in columns])
    count = 0
    for row in rows:
        if count >= 1_048_575:
            raise ValueError("more rows than Excel can hold; use CSV or Parquet, or a shorter period")
        sheet.append([_xlsx_value(row[column.name]) for column in columns])
        count += 1
    workbook.save(path)
    return count


def _xlsx_value(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).replace(tzinfo=None)
    if isinstance(value, str):
        return _ILLEGAL.sub("", value)
    return value


def write_parquet(columns: list[Column], rows: Iterable[dict[str, Any]], path: Path) -> int:
    """A Parquet file with the dictionary's types (timestamps in microseconds, UTC), written in row groups."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = parquet_schema(columns)
    count = 0
    with pq.ParquetWriter(path, schema) as writer:
        batch: list[dict[str, Any]] = []
        for row in rows:
            batch.append(row)
            if len(batch) >= CHUNK * 10:
                writer.write_table(pa.Table.from_pylist(batch, schema=schema))
                count += len(batch)
                batch = []
        if batch or count == 0:
            writer.write_table(pa.Table.from_pylist(batch, schema=schema))
            count += len(batch)
    return count


def parquet_schema(columns: list[Column]) -> Any:
    """The Arrow schema of a dataset."""
    import pyarrow as pa

    types = {
        "int64": pa.int64(),
        "int8": pa.int8(),
        "boolean": pa.bool_(),
        "string": pa.string(),
        "timestamp": pa.timestamp("us", "UTC"),
    }
    return pa.schema([pa.field(column.name, types[column.type]) for column in columns])


CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "parquet": "application/vnd.apache.parquet",
}


def export_bytes(dataset: str, fmt: str, queryset: QuerySet[Response]) -> bytes:
    """The whole file of a dataset for the responses selected, for a download."""
    rows = rows_of(dataset, queryset)
    if fmt == "csv":
        text = io.StringIO()
        write_csv(DATASETS[dataset], rows, text)
        return text.getvalue().encode()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"export.{fmt}"
        writer = write_xlsx if fmt == "xlsx" else write_parquet
        writer(DATASETS[dataset], rows, path)
        return path.read_bytes()
