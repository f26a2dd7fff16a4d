"""Files to rows of text cells: any encoding, delimiter and line ending for CSV; XLSX; JSON lists.

Pure functions over bytes.  Each row remembers the line of the file it started on, so that errors can
say "line 14".
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from dataclasses import dataclass
from typing import Any

DELIMITERS = [",", ";", "\t", "|"]


class FileError(ValueError):
    """A file that cannot be read at all, with a message for the user."""


@dataclass(frozen=True)
class Table:
    """Rows of text cells; ``lines[i]`` is the file line row ``i`` starts on (1-based)."""

    rows: list[list[str]]
    lines: list[int]
    encoding: str = "utf-8"
    delimiter: str = ","


def decode(data: bytes) -> tuple[str, str]:
    """Text and the encoding it was in: a BOM decides; else UTF-16 if it looks like it, UTF-8, then Windows-1252."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace"), "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16"), "utf-16"
    head = data[:2000]
    if head and head.count(b"\x00") > len(head) // 4:
        encoding = "utf-16-le" if head[1:2] == b"\x00" else "utf-16-be"
        return data.decode(encoding, errors="replace"), encoding
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "latin-1"


def guess_delimiter(text: str) -> str:
    """The delimiter that occurs most often outside quotes in the first line."""
    first_line, in_quotes = [], False
    for char in text:
        if char == '"':
            in_quotes = not in_quotes
        elif char in "\r\n" and not in_quotes:
            break
        elif not in_quotes:
            first_line.append(char)
    counts = {delimiter: first_line.count(delimiter) for delimiter in DELIMITERS}
    best = max(DELIMITERS, key=lambda delimiter: counts[delimiter])
    return best if counts[best] else ","


def read_csv(data: bytes, delimiter: str | None = None) -> Table:
    """Parse delimited text; bare CR, LF and CRLF line endings all work, also inside quoted cells."""
    text, encoding = decode(data)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    delimiter = delimiter or guess_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows, lines = [], []
    start = 1
    try:
        for row in reader:
            if any(cell.strip() for cell in row):
                rows.append(row)
                lines.append(start)
            start = reader.line_num + 1
    except csv.Error as exc:
        raise FileError(f"line {reader.line_num}: {exc}") from None
    return Table(rows=rows, lines=lines, encoding=encoding, delimiter=delimiter)


def read_xlsx(data: bytes) -> Table:
    """The first worksheet of an Excel file; dates become ISO text, 9.0 becomes "9.0"."""
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise FileError(f"not a readable Excel file ({type(exc).__name__})") from None
    sheet = workbook.worksheets[0]
    rows, lines = [], []
    for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
        row = [_cell_text(value) for value in values]
        if any(cell.strip() for cell in row):
            rows.append(row)
            lines.append(number)
    workbook.close()
    return Table(rows=rows, lines=lines, encoding="xlsx", delimiter="")


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat(sep=" ") if isinstance(value, dt.datetime) else value.isoformat()
    return str(value)


def read_json(data: bytes) -> Table:
    """A JSON list of flat objects (or ``{"…": [objects]}``, as API dumps are) as a table with one header row.

    Nested objects are flattened as ``key.sub``; lists are joined with ", ".
    """
    text, encoding = decode(data)
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise FileError(f"line {exc.lineno}, column {exc.colno}: invalid JSON ({exc.msg})") from None
    if isinstance(value, dict):
        lists = [item for item in value.values() if isinstance(item, list)]
        value = lists[0] if len(lists) == 1 else [value]
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise FileError("expected a JSON list of response objects")
    flat = [_flatten(item) for item in value]
    header: list[str] = []
    for item in flat:
        header += [key for key in item if key not in header]
    rows = [header] + [[item.get(key, "") for key in header] for item in flat]
    return Table(rows=rows, lines=list(range(1, len(rows) + 1)), encoding=encoding, delimiter="")


def _flatten(item: dict[str, Any], prefix: str = "") -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in item.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(_flatten(value, f"{name}."))
        elif isinstance(value, list):
            out[name] = ", ".join(str(part) for part in value if not isinstance(part, dict | list))
        else:
            out[name] = "" if value is None else str(value).lower() if isinstance(value, bool) else str(value)
    return out


def read_table(data: bytes, filename: str, delimiter: str | None = None) -> Table:
    """Read a file by its extension (.xlsx, .json) or, by default, as delimited text."""
    name = filename.lower()
    if name.endswith((".xlsx", ".xlsm")) or data.startswith(b"PK\x03\x04"):
        return read_xlsx(data)
    if name.endswith(".json") or data.lstrip()[:1] in (b"[", b"{"):
        return read_json(data)
    return read_csv(data, delimiter)
