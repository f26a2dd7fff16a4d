"""From a file's bytes to response records and problems by line and column — pure, no database."""

from __future__ import annotations

import hashlib
import zoneinfo
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar

from harken.analytics.nps import classify
from harken.io.formats import Layout, LayoutError, detect
from harken.io.tables import FileError, Table, read_table
from harken.io.values import (
    CellError,
    DateStyle,
    Scale,
    category_of,
    clean_text,
    detect_scale,
    guess_date_style,
    parse_score,
)
from harken.io.values import parse_timestamp as _parse_timestamp

T = TypeVar("T")
ColumnRef = str | int  # a header name (or 1-based number as text), or a 0-based index from the mapping page
SCALES = ("auto", "0-10", "1-11")


@dataclass(frozen=True)
class Options:
    """How to read a file; every column can be named to override the guess."""

    time_zone: zoneinfo.ZoneInfo = field(default_factory=lambda: zoneinfo.ZoneInfo("UTC"))
    format: str | None = None
    delimiter: str | None = None
    day_first: bool | None = None
    include_partial: bool = False
    # role → column, e.g. {"score": "Q12"}; None takes away a role Harken guessed (the mapping page's "not used")
    columns: dict[str, ColumnRef | None] = field(default_factory=dict)
    unit_column: ColumnRef | None = None
    touchpoint_column: ColumnRef | None = None
    answer_columns: dict[ColumnRef, str] = field(default_factory=dict)  # column → question key
    scale: str = "auto"  # of the score: auto (detect 1–11), 0-10 or 1-11


@dataclass(frozen=True)
class Problem:
    """Something wrong in one cell (or one line), for people: "line 14, column 'Q1' (C): …"."""

    line: int
    column: str
    message: str

    def __str__(self) -> str:
        where = f"line {self.line}" + (f", column {self.column}" if self.column else "")
        return f"{where}: {self.message}"


@dataclass
class Record:
    """One response as read from a file, before units and contacts are looked up."""

    line: int
    external_id: str
    score: int | None
    submitted_at: datetime | None
    comment: str = ""
    email: str = ""
    customer_id: str = ""  # the contact's id in the CRM (``Contact.external_id``)
    name: str = ""
    language: str = ""
    unit: str = ""
    touchpoint: str = ""
    answers: dict[str, str] = field(default_factory=dict)


@dataclass
class Parsed:
    """Everything read from one file."""

    format: str
    layout: Layout
    table: Table
    records: list[Record] = field(default_factory=list)
    excluded: Counter[str] = field(default_factory=Counter)
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    scale: Scale = field(default_factory=lambda: Scale(0))
    answers: dict[int, str] = field(default_factory=dict)  # column index → question key

    @property
    def notes(self) -> list[str]:
        """What the reader decided about the whole file, for the dry run."""
        if self.scale.offset:
            return [f"The scores are on a 1–11 scale ({self.scale.reason}): they are recoded to 0–10 (1 → 0, 11 → 10)."]
        return []


def column_name(layout: Layout, index: int) -> str:
    """``'Q1' (C)``: the header and the spreadsheet letter of a column."""
    letters, number = "", index + 1
    while number:
        number, remainder = divmod(number - 1, 26)
        letters = chr(65 + remainder) + letters
    header = layout.header[index] if index < len(layout.header) else ""
    return f"{header!r} ({letters})" if header else f"({letters})"


def parse_file(data: bytes, filename: str, options: Options) -> Parsed:
    """Read, recognise and parse a file.  ``FileError``/``LayoutError`` when it cannot be read at all."""
    table = read_table(data, filename, options.delimiter)
    layout = detect(table, options.format)
    answers = _apply_overrides(layout, options)
    if "score" not in layout.columns:
        raise LayoutError(
            f"cannot tell which column holds the 0–10 score in this {layout.format} file; name it with --score-column"
        )
    parsed = Parsed(format=layout.format, layout=layout, table=table, answers=answers)
    parsed.scale = _scale(table, layout, options.scale)
    style = _date_style(table, layout, options)
    seen: Counter[str] = Counter()
    first_line: dict[str, int] = {}
    for row, line in zip(table.rows[layout.data_start :], table.lines[layout.data_start :], strict=True):
        record = _record(parsed, row, line, options, style)
        if record is None:
            continue
        seen[record.external_id] += 1
        if seen[record.external_id] > 1:
            if record.external_id.startswith("row:"):
                record.external_id = f"{record.external_id}#{seen[record.external_id]}"
            else:
                column = column_name(layout, layout.columns["id"])
                where = f"line {first_line[record.external_id]}"
                parsed.problems.append(Problem(line, column, f"the id {record.external_id!r} is also on {where}"))
                continue
        first_line.setdefault(record.external_id, line)
        parsed.records.append(record)
    return parsed


def _index(layout: Layout, ref: ColumnRef) -> int:
    if isinstance(ref, int):
        if not 0 <= ref < len(layout.header):
            raise LayoutError(f"no column number {ref + 1}; the file has {len(layout.header)}")
        return ref
    return layout.index_of(ref)


def _apply_overrides(layout: Layout, options: Options) -> dict[int, str]:
    """Apply the columns named in ``options`` to the guessed layout; returns the answer columns by index."""
    for role, ref in options.columns.items():
        if ref is None:
            layout.columns.pop(role, None)
        elif ref != "":
            layout.columns[role] = _index(layout, ref)
    if options.unit_column not in (None, ""):
        layout.columns["unit"] = _index(layout, options.unit_column)  # type: ignore[arg-type]
    if options.touchpoint_column not in (None, ""):
        layout.columns["touchpoint"] = _index(layout, options.touchpoint_column)  # type: ignore[arg-type]
    return {_index(layout, ref): key for ref, key in options.answer_columns.items()}  # fails early, listing columns


def _scale(table: Table, layout: Layout, chosen: str) -> Scale:
    if chosen not in SCALES:
        raise LayoutError(f"unknown scale {chosen!r}; choose from {', '.join(SCALES)}")
    if chosen != "auto":
        return Scale(1 if chosen == "1-11" else 0, "chosen")
    index = layout.columns["score"]
    labels = [row[index] for row in table.rows[: layout.data_start] if index < len(row)]
    cells = [row[index] for row in table.rows[layout.data_start :] if index < len(row)]
    return detect_scale(cells, labels)


def _date_style(table: Table, layout: Layout, options: Options) -> DateStyle:
    if options.day_first is not None:
        return DateStyle(day_first=options.day_first)
    index = layout.columns.get("submitted")
    if index is None:
        return DateStyle()
    return guess_date_style([row[index] for row in table.rows[layout.data_start :] if index < len(row)])


def _cell(row: list[str], index: int | None) -> str:
    return row[index] if index is not None and index < len(row) else ""


def _record(parsed: Parsed, row: list[str], line: int, options: Options, style: DateStyle) -> Record | None:
    layout = parsed.layout
    for index, rule in layout.exclude.items():
        reason = rule(_cell(row, index))
        if reason and not (options.include_partial and reason in ("unfinished", "partial")):
            parsed.excluded[reason] += 1
            return None
    columns = layout.columns
    problems_before = len(parsed.problems)
    offset = parsed.scale.offset
    score = _read(parsed, line, columns["score"], lambda: parse_score(_cell(row, columns["score"]), offset))
    submitted = None
    if "submitted" in columns:
        zone = layout.zone or options.time_zone
        text = _cell(row, columns["submitted"])
        submitted = _read(parsed, line, columns["submitted"], lambda: _parse_timestamp(text, zone, style))
    if len(parsed.problems) > problems_before:
        return None
    _check_group(parsed, row, line, score)
    name = " ".join(part for part in (_cell(row, columns.get("name")), _cell(row, columns.get("last_name"))) if part)
    return Record(
        line=line,
        external_id=clean_text(_cell(row, columns.get("id")))[:120] or _row_id(row),
        score=score,
        submitted_at=submitted,
        comment=_cell(row, columns.get("comment")).strip(),
        email=clean_text(_cell(row, columns.get("email"))),
        customer_id=clean_text(_cell(row, columns.get("customer_id")))[:100],
        name=clean_text(name)[:200],
        language=clean_text(_cell(row, columns.get("language"))).lower()[:8],
        unit=clean_text(_cell(row, columns.get("unit"))),
        touchpoint=clean_text(_cell(row, columns.get("touchpoint"))),
        answers={
            key: clean_text(_cell(row, index)) for index, key in parsed.answers.items() if _cell(row, index).strip()
        },
    )


def _read(parsed: Parsed, line: int, index: int, read: Callable[[], T]) -> T | None:
    try:
        return read()
    except CellError as exc:
        parsed.problems.append(Problem(line, column_name(parsed.layout, index), str(exc)))
        return None


def _check_group(parsed: Parsed, row: list[str], line: int, score: int | None) -> None:
    """A group column that disagrees with the score is reported; the category always comes from the score."""
    index = parsed.layout.columns.get("group")
    text = _cell(row, index)
    if index is None or score is None or not text.strip():
        return
    named = category_of(text)
    actual = classify(score).value
    if named != actual:
        message = f"the group says {text.strip()!r} but the score {score} makes a {actual}; the score wins"
        parsed.warnings.append(Problem(line, column_name(parsed.layout, index), message))


def _row_id(row: list[str]) -> str:
    """An id for files without one (Google Forms): a hash of the row's cells, stable across re-imports."""
    digest = hashlib.sha256("\x1f".join(cell.strip() for cell in row).encode()).hexdigest()[:24]
    return f"row:{digest}"


__all__ = ["FileError", "LayoutError", "Options", "Parsed", "Problem", "Record", "parse_file"]
