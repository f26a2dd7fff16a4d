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
    """One exported column: its name, Parquet type, meaning, the ``values()`` field it comes from, and how to
    turn that field's value into the exported one (unchanged when ``convert`` is None)."""

    name: str
    type: str  # int64, int8, boolean, string, timestamp
    description: str
    source: str
    convert: Callable[[Any], Any] | None = None

    def get(self, row: dict[str, Any]) -> Any:
        """This column's value in a ``values()`` row."""
        value = row[self.source]
        return self.convert(value) if self.convert else value


def _local_month(moment: dt.datetime) -> str:
    return f"{moment.astimezone(local_zone()):%Y-%m}"


def _json(value: Any) -> str:
    return json.dumps(value or {}, ensure_ascii=False, sort_keys=True)


RESPONSE_COLUMNS = [
    Column("response_id", "int64", "Harken's id of the response; unique, never reused.", "id"),
    Column("survey_id", "int64", "Id of the survey answered.", "survey_id"),
    Column("survey", "string", "Name of the survey.", "survey__name"),
    Column("unit_id", "int64", "Id of the unit (store, team …) the response is about.", "unit_id"),
    Column("unit", "string", "Name of that unit.", "unit__name"),
    Column(
        "unit_path", "string", "Ids from the root to the unit, e.g. /1/4/17/; prefix-match for subtrees.", "unit__path"
    ),
    Column("touchpoint_id", "int64", "Id of the journey step, or null.", "touchpoint_id"),
    Column("touchpoint", "string", "Slug of the journey step, or null.", "touchpoint__slug"),
    Column("contact_id", "int64", "Id of the customer, or null (anonymous link, or erased).", "contact_id"),
    Column(
        "contact_external_id",
        "string",
        "The customer's id in your CRM, or null.",
        "contact__external_id",
        lambda value: value or None,
    ),
    Column("employee_id", "int64", "Id of the employee the response is about, or null.", "employee_id"),
    Column("invitation_id", "int64", "Id of the invitation answered, or null.", "invitation_id"),
    Column("score", "int8", "0–10; null when the customer skipped the question (not in any NPS).", "score"),
    Column(
        "category", "string", "promoter (9–10), passive (7–8), detractor (0–6), or null without a score.", "category"
    ),
    Column("comment", "string", "The customer's comment; empty when none.", "comment"),
    Column(
        "answers", "string", "Follow-up answers as a JSON object keyed by the questions' stable keys.", "answers", _json
    ),
    Column("channel", "string", "email, sms, link, widget, kiosk, api or import.", "channel"),
    Column("language", "string", "Language the survey was answered in (en, es, fr, de …).", "language"),
    Column("external_id", "string", "Id in the system the response was imported from, or empty.", "external_id"),
    Column("submitted_at", "timestamp", "When the customer answered (UTC).", "submitted_at"),
    Column(
        "submitted_month",
        "string",
        "Calendar month of submitted_at in TIME_ZONE (YYYY-MM); the partition.",
        "submitted_at",
        _local_month,
    ),
    Column("created_at", "timestamp", "When the row was stored in Harken (UTC).", "created_at"),
    Column("updated_at", "timestamp", "When the row last changed (UTC); the incremental watermark.", "updated_at"),
]

# Answers are not a table of their own (they live in the response's JSON): their rows are made from response
# rows by ``answer_rows``, so their sources name the keys of those rows.
ANSWER_COLUMNS = [
    Column("response_id", "int64", "The response the answer belongs to.", "response_id"),
    Column("question_key", "string", "The question's stable key (never reused for another question).", "question_key"),
    Column("value", "string", "The answer as text; a list of choices is JSON.", "value"),
    Column(
        "submitted_month", "string", "Month of the response (YYYY-MM in TIME_ZONE); the partition.", "submitted_month"
    ),
    Column("updated_at", "timestamp", "When the response last changed (UTC).", "updated_at"),
]

THEME_COLUMNS = [
    Column("response_id", "int64", "The response the theme was found in.", "response_id"),
    Column("theme_id", "int64", "Id of the theme; stable when the theme is renamed.", "theme_id"),
    Column("theme", "string", "Name of the theme.", "theme__name"),
    Column("parent_theme_id", "int64", "Id of the theme's parent, or null for a top-level theme.", "theme__parent_id"),
    Column("source", "string", "Who tagged it: rule (the theme's phrases), model or person.", "source"),
    Column(
        "excluded",
        "boolean",
        "True when a person removed the theme from the response; leave such rows out of counts.",
        "excluded",
    ),
    Column("tagged_at", "timestamp", "When the theme was attached to the response (UTC).", "created_at"),
    Column(
        "submitted_month",
        "string",
        "Month of the response (YYYY-MM in TIME_ZONE).",
        "response__submitted_at",
        _local_month,
    ),
]

CASE_COLUMNS = [
    Column("case_id", "int64", "Harken's id of the follow-up case.", "id"),
    Column("response_id", "int64", "The response the case follows up.", "response_id"),
    Column("rule_id", "int64", "Id of the alert rule that opened it, or null when opened by hand.", "rule_id"),
    Column("unit_id", "int64", "Id of the unit responsible for the case.", "unit_id"),
    Column("unit", "string", "Name of that unit.", "unit__name"),
    Column("status", "string", "new, in_progress, waiting, resolved or closed.", "status"),
    Column("priority", "int8", "1 low, 2 normal, 3 high, 4 urgent.", "priority"),
    Column("owner_id", "int64", "Id of the Harken user who owns the case, or null when unassigned.", "owner_id"),
    Column("owner", "string", "Username of that user, or null.", "owner__username"),
    Column("opened_at", "timestamp", "When the case was opened (UTC).", "opened_at"),
    Column("due_at", "timestamp", "When it is due by the rule's SLA in business hours (UTC), or null.", "due_at"),
    Column(
        "first_contact_at", "timestamp", "When the customer was first contacted (UTC), or null.", "first_contact_at"
    ),
    Column("resolved_at", "timestamp", "When it was resolved (UTC), or null.", "resolved_at"),
    Column("closed_at", "timestamp", "When it was closed (UTC), or null.", "closed_at"),
    Column("escalation_level", "int8", "How many times it was escalated for being overdue.", "escalation_level"),
    Column(
        "root_cause_id",
        "int64",
        "Id of the root-cause theme (as theme_id in the themes export), or null when not yet known.",
        "root_cause_id",
    ),
    Column(
        "root_cause",
        "string",
        "Name of the root-cause theme; empty when not yet known.",
        "root_cause__name",
        lambda name: name or "",
    ),
    Column("outcome", "string", "recovered, not_recovered, unreachable, no_action; empty while open.", "outcome"),
    Column(
        "submitted_month",
        "string",
        "Month of the response (YYYY-MM in TIME_ZONE).",
        "response__submitted_at",
        _local_month,
    ),
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

# The table each dataset reads, in a stable order, for the responses selected.
_TABLES: dict[str, Callable[[QuerySet[Response]], QuerySet[Any]]] = {
    "responses": lambda responses: responses.order_by("id"),
    "themes": lambda responses: ResponseTheme.objects.filter(response__in=responses.values("id")).order_by(
        "response_id", "theme_id"
    ),
    # No case titles or notes: they may name people.
    "cases": lambda responses: Case.objects.filter(response__in=responses.values("id")).order_by("id"),
}


def _table_rows(dataset: str, responses: QuerySet[Response]) -> Iterator[dict[str, Any]]:
    """The dataset's rows read in chunks with ``values()`` of exactly the fields its columns need."""
    columns = DATASETS[dataset]
    fields = list(dict.fromkeys(column.source for column in columns))
    for row in _TABLES[dataset](responses).values(*fields).iterator(chunk_size=CHUNK):
        yield {column.name: column.get(row) for column in columns}


def response_rows(queryset: QuerySet[Response]) -> Iterator[dict[str, Any]]:
    """Export rows of responses, in id order, read in chunks."""
    return _table_rows("responses", queryset)


def answer_rows(queryset: QuerySet[Response]) -> Iterator[dict[str, Any]]:
    """One row per answered follow-up question: the long form warehouses join on response_id."""
    for response in response_rows(queryset):
        for key, value in sorted(json.loads(response["answers"]).items()):
            text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
            source = {
                "response_id": response["response_id"],
                "question_key": key,
                "value": text,
                "submitted_month": response["submitted_month"],
                "updated_at": response["updated_at"],
            }
            yield {column.name: column.get(source) for column in ANSWER_COLUMNS}


def rows_of(dataset: str, queryset: QuerySet[Response]) -> Iterator[dict[str, Any]]:
    """The rows of a dataset (``responses``, ``answers``, ``themes`` or ``cases``) for the responses selected."""
    if dataset == "answers":
        return answer_rows(queryset)
    return _table_rows(dataset, queryset)


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


def write_file(dataset: str, fmt: str, queryset: QuerySet[Response], path: Path) -> int:
    """Write the dataset for the responses selected to ``path`` in ``fmt``; returns the row count."""
    columns, rows = DATASETS[dataset], rows_of(dataset, queryset)
    if fmt == "csv":
        with path.open("w", encoding="utf-8", newline="") as out:
            return write_csv(columns, rows, out)
    if fmt == "xlsx":
        return write_xlsx(columns, rows, path)
    if fmt == "parquet":
        return write_parquet(columns, rows, path)
    raise ValueError(f"unknown format {fmt!r}; choose from {', '.join(FORMATS)}")


def export_bytes(dataset: str, fmt: str, queryset: QuerySet[Response]) -> bytes:
    """The whole file of a dataset for the responses selected, for a download."""
    if fmt == "csv":
        text = io.StringIO()
        write_csv(DATASETS[dataset], rows_of(dataset, queryset), text)
        return text.getvalue().encode()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"export.{fmt}"
        write_file(dataset, fmt, queryset, path)
        return path.read_bytes()
