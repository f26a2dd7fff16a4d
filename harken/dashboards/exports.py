"""CSV and XLSX files of a panel's ``Table``: the same rounded numbers the page shows."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

from django.http import HttpResponse
from openpyxl import Workbook

from harken.dashboards.panels import Table

CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _safe(value: Any) -> Any:
    """Numbers stay numbers; text that a spreadsheet would run as a formula is prefixed with an apostrophe."""
    if value is None:
        return ""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def as_csv(table: Table, notes: list[str]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(table.headers)
    for row in table.rows:
        writer.writerow([_safe(value) for value in row])
    for note in notes:
        writer.writerow([f"# {note}"])
    return ("\ufeff" + out.getvalue()).encode()


def as_xlsx(table: Table, notes: list[str]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = re.sub(r"[^A-Za-z0-9 ]", "", table.title)[:31] or "Data"
    sheet.append(table.headers)
    for row in table.rows:
        sheet.append([None if value is None else _safe(value) for value in row])
    sheet.append([])
    for note in notes:
        sheet.append([note])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def download(table: Table, fmt: str, filename: str, notes: list[str]) -> HttpResponse:
    body = as_csv(table, notes) if fmt == "csv" else as_xlsx(table, notes)
    response = HttpResponse(body, content_type=CONTENT_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="{filename}.{fmt}"'
    return response
