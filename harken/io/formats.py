"""Recognise which survey tool a table came from and where its columns are (pure functions).

Layouts follow shared/reference/export-formats.md: Qualtrics (three header rows; legacy two), SurveyMonkey
(two header rows, question texts forward-filled), Typeform, Google Forms, Formbricks, Delighted (JSON API)
and a generic one-header-row CSV/XLSX.  Every guess can be overridden by naming the column.
"""

from __future__ import annotations

import json
import re
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass, field

from harken.io.tables import Table
from harken.io.values import CellError, clean_header, is_number, parse_score

ROLES = ("id", "score", "submitted", "comment", "email", "customer_id", "name", "last_name", "language", "group")
NUMBERED = re.compile(r"^\d+\.\s+")


class LayoutError(ValueError):
    """A table whose layout cannot be understood, with a message for the user."""


@dataclass
class Layout:
    """Where things are in a table: the header names, the first data row, and a column index per role."""

    format: str
    header: list[str]
    data_start: int
    columns: dict[str, int] = field(default_factory=dict)
    exclude: dict[int, Callable[[str], str | None]] = field(default_factory=dict)
    zone: zoneinfo.ZoneInfo | None = None

    def index_of(self, name: str) -> int:
        """A column by its header (any case, tags and numbering ignored) or by its 1-based number."""
        wanted = _key(name)
        for index, header in enumerate(self.header):
            if _key(header) == wanted:
                return index
        if name.isdigit() and 1 <= int(name) <= len(self.header):
            return int(name) - 1
        known = ", ".join(repr(header) for header in self.header[:12])
        raise LayoutError(f"no column {name!r}; the columns are {known}{' …' if len(self.header) > 12 else ''}")


def _key(text: str) -> str:
    return NUMBERED.sub("", clean_header(text)).lower()


def detect(table: Table, forced: str | None = None) -> Layout:
    """The layout of ``table``: the named format, else the first whose signature matches, else generic."""
    if not table.rows:
        raise LayoutError("the file has no rows")
    detectors = {name: detector for name, (_, detector) in FORMATS.items()}
    if forced:
        if forced not in detectors:
            raise LayoutError(f"unknown format {forced!r}; choose from {', '.join(FORMATS)}")
        return detectors[forced](table)
    for _name, (matches, detector) in FORMATS.items():
        if matches(table.rows):
            return detector(table)
    return generic(table)


def _first(rows: list[list[str]], index: int) -> list[str]:
    return [clean_header(cell) for cell in rows[index]] if len(rows) > index else []


# --- Per format ------------------------------------------------------------------------------------------------


def _is_qualtrics(rows: list[list[str]]) -> bool:
    third = _first(rows, 2)
    return "ResponseId" in _first(rows, 0) or any(cell.startswith('{"ImportId"') for cell in third)


def qualtrics(table: Table) -> Layout:
    """Row 1 export tags, row 2 labels (localised), row 3 import ids (maybe with a time zone)."""
    header = _first(table.rows, 0)
    imports = table.rows[2] if len(table.rows) > 2 else []
    layout = Layout("qualtrics", header, 3 if imports and imports[0].startswith("{") else 2)
    _named(
        layout,
        id=["ResponseId"],
        submitted=["RecordedDate", "EndDate"],
        email=["RecipientEmail"],
        customer_id=["ExternalReference"],
        name=["RecipientFirstName"],
        last_name=["RecipientLastName"],
        language=["UserLanguage"],
    )
    labels = _first(table.rows, 1)
    _qualtrics_score(layout, table, labels)
    if "submitted" in layout.columns and layout.data_start == 3:
        layout.zone = _import_zone(imports[layout.columns["submitted"]])
    _exclude_when(layout, "Finished", lambda value: "unfinished" if value.strip() in ("0", "false", "False") else None)
    return layout


def _qualtrics_score(layout: Layout, table: Table, labels: list[str]) -> None:
    for index, name in enumerate(layout.header):
        if name.endswith("_NPS_GROUP") and name[: -len("_NPS_GROUP")] in layout.header:
            layout.columns.setdefault("score", layout.header.index(name[: -len("_NPS_GROUP")]))
            layout.columns.setdefault("group", index)
    if "score" not in layout.columns:
        _guess_score(layout, table, extra_texts=labels)
    if "comment" not in layout.columns:
        texts = [i for i, name in enumerate(layout.header) if name.endswith("_TEXT")]
        if texts:
            layout.columns["comment"] = texts[0]
        else:
            _guess_comment(layout, labels)


def _import_zone(cell: str) -> zoneinfo.ZoneInfo | None:
    try:
        zone = json.loads(cell).get("timeZone")
        return zoneinfo.ZoneInfo(zone) if zone else None
    except (ValueError, AttributeError, zoneinfo.ZoneInfoNotFoundError):
        return None


def _is_qualtrics_legacy(rows: list[list[str]]) -> bool:
    first, second = _first(rows, 0), _first(rows, 1)
    return bool(first) and first[0] == "V1" and "ResponseID" in second


def qualtrics_legacy(table: Table) -> Layout:
    """Row 1 V1…V10 and question ids, row 2 the metadata names and question labels."""
    first, second = _first(table.rows, 0), _first(table.rows, 1)
    header = [second[i] if re.fullmatch(r"V\d+", name) and i < len(second) else name for i, name in enumerate(first)]
    layout = Layout("qualtrics-legacy", header, 2)
    _named(layout, id=["ResponseID"], submitted=["EndDate"], email=["EmailAddress"])
    _guess_score(layout, table, extra_texts=second)
    _guess_comment(layout, second)
    _exclude_when(layout, "Finished", lambda value: "unfinished" if value.strip() == "0" else None)
    return layout


def _is_surveymonkey(rows: list[list[str]]) -> bool:
    first = [cell.lower() for cell in _first(rows, 0)]
    return "respondent id" in first and "collector id" in first


def surveymonkey(table: Table) -> Layout:
    """Row 1 metadata and question texts (blank after a multi-column question's first), row 2 sub-headers."""
    first, second = _first(table.rows, 0), _first(table.rows, 1)
    header, current = [], ""
    for index, name in enumerate(first):
        current = name or current
        sub = second[index] if index < len(second) else ""
        plain = sub in ("", "Response", "Open-Ended Response")
        header.append(current if plain or sub == current else f"{current} - {sub}")
    layout = Layout("surveymonkey", header, 2)
    _named(
        layout,
        id=["Respondent ID"],
        submitted=["End Date", "Start Date"],
        email=["Email Address"],
        name=["First Name"],
        last_name=["Last Name"],
    )
    _guess_score(layout, table)
    open_ended = [i for i, sub in enumerate(second) if sub == "Open-Ended Response"]
    if open_ended:
        after = [i for i in open_ended if i > layout.columns.get("score", -1)]
        layout.columns["comment"] = (after or open_ended)[0]
    return layout


def _is_typeform(rows: list[list[str]]) -> bool:
    first = _first(rows, 0)
    return bool(first) and first[0] == "#" and ("Submit Date (UTC)" in first or "Network ID" in first)


def typeform(table: Table) -> Layout:
    """``#`` token first, question titles (maybe with HTML), then Response Type and dates in UTC."""
    layout = Layout("typeform", _first(table.rows, 0), 1, zone=zoneinfo.ZoneInfo("UTC"))
    _named(layout, id=["#"], submitted=["Submit Date (UTC)", "Start Date (UTC)"])
    _guess_score(layout, table)
    _guess_comment(layout)
    _exclude_when(layout, "Response Type", lambda value: "partial" if value.strip().lower() == "partial" else None)
    return layout


def _is_formbricks(rows: list[list[str]]) -> bool:
    first = _first(rows, 0)
    return "Response ID" in first and ("Survey ID" in first or "Formbricks ID (internal)" in first)


def formbricks(table: Table) -> Layout:
    """``No.``, ``Response ID``, ``Timestamp``, ``Finished`` (Yes/No) …, numbered question headers."""
    layout = Layout("formbricks", _first(table.rows, 0), 1)
    _named(layout, id=["Response ID"], submitted=["Timestamp"], email=["Verified Email"])
    _guess_score(layout, table)
    _guess_comment(layout)
    _exclude_when(layout, "Finished", lambda value: "unfinished" if value.strip().lower() == "no" else None)
    return layout


def _is_google_forms(rows: list[list[str]]) -> bool:
    first = _first(rows, 0)
    return bool(first) and first[0] == "Timestamp"


def google_forms(table: Table) -> Layout:
    """``Timestamp`` (locale-dependent), maybe ``Email Address``, then one column per question; no ids."""
    layout = Layout("google-forms", _first(table.rows, 0), 1)
    _named(layout, submitted=["Timestamp"], email=["Email Address", "Email address"])
    _guess_score(layout, table)
    _guess_comment(layout)
    return layout


def _is_delighted(rows: list[list[str]]) -> bool:
    first = _first(rows, 0)
    return "score" in first and "created_at" in first and any(name.startswith("person") for name in first)


def delighted(table: Table) -> Layout:
    """Delighted's API objects: ``id``, ``score``, ``comment``, ``created_at`` in Unix seconds, ``person``."""
    layout = Layout("delighted", _first(table.rows, 0), 1, zone=zoneinfo.ZoneInfo("UTC"))
    _named(
        layout,
        id=["id"],
        score=["score"],
        comment=["comment"],
        submitted=["created_at"],
        email=["person.email", "person_email"],
        name=["person.name", "person_name"],
    )
    _exclude_when(layout, "survey_type", lambda value: None if value.strip() in ("", "nps") else "not NPS")
    return layout


GENERIC_NAMES = {
    "id": ["id", "response id", "responseid", "response_id", "external id", "external_id"],
    "submitted": [
        "submitted_at",
        "submitted at",
        "submitted",
        "date",
        "timestamp",
        "created_at",
        "created at",
        "time",
        "datetime",
        "response date",
        "fecha",
        "datum",
        "date submitted",
    ],
    "email": ["email", "e-mail", "email address", "correo"],
    "customer_id": ["customer id", "customer_id", "contact id", "contact_id", "account id", "account_id", "client id"],
    "name": ["name", "full name", "nombre"],
    "language": ["language", "lang", "locale"],
    "group": ["nps group", "nps_group", "category", "group", "nps category"],
}


def generic(table: Table) -> Layout:
    """One header row; columns found by common names (any case), the score by its values."""
    layout = Layout("generic", _first(table.rows, 0), 1)
    lowered = [name.lower() for name in layout.header]
    for role, names in GENERIC_NAMES.items():
        for name in names:
            if name in lowered:
                layout.columns.setdefault(role, lowered.index(name))
                break
    _guess_score(layout, table)
    _guess_comment(layout)
    _exclude_when(
        layout, "excluded_from_calculations", lambda value: "excluded" if value.strip().lower() == "true" else None
    )
    return layout


# --- Shared guesses --------------------------------------------------------------------------------------------

SCORE_WORDS = ("recommend", "nps", "score", "recomend", "empfehlen", "likelihood")
COMMENT_WORDS = (
    "comment",
    "reason",
    "why",
    "feedback",
    "verbatim",
    "text",
    "comentario",
    "tell us",
    "explain",
    "improve",
    "better",
    "suggest",
)
# Whole words only: "InformationReasonableTime" is a rating, not the reason for the score.
COMMENT_PATTERN = re.compile(r"(?<![a-z])(" + "|".join(COMMENT_WORDS) + r")(?![a-z])")


def _named(layout: Layout, **roles: list[str]) -> None:
    for role, names in roles.items():
        for name in names:
            if name in layout.header:
                layout.columns.setdefault(role, layout.header.index(name))
                break


def _exclude_when(layout: Layout, column: str, rule: Callable[[str], str | None]) -> None:
    if column in layout.header:
        layout.exclude[layout.header.index(column)] = rule


def _guess_score(layout: Layout, table: Table, extra_texts: list[str] | None = None) -> None:
    """The first column named like the NPS question whose values are nearly all 0–10 scores."""
    if "score" in layout.columns:
        return
    texts = [
        f"{name} {extra_texts[i] if extra_texts and i < len(extra_texts) else ''}".lower()
        for i, name in enumerate(layout.header)
    ]
    candidates = [i for i, text in enumerate(texts) if any(word in text for word in SCORE_WORDS)]
    candidates.sort(key=lambda i: ("recommend" not in texts[i], i))
    sample = table.rows[layout.data_start : layout.data_start + 200]
    for index in candidates:
        if _mostly_scores([row[index] for row in sample if index < len(row)]):
            layout.columns["score"] = index
            return


def _mostly_scores(values: list[str]) -> bool:
    filled = [value for value in values if value.strip()]
    good = 0
    for value in filled:
        try:
            parse_score(value)
            good += 1
        except CellError:
            good += is_number(value)  # a number out of range is a bad score, not a sign of another column
    return bool(filled) and good >= 0.8 * len(filled)


def _guess_comment(layout: Layout, extra_texts: list[str] | None = None) -> None:
    if "comment" in layout.columns:
        return
    score = layout.columns.get("score", -1)
    for index, name in enumerate(layout.header):
        text = f"{name} {extra_texts[index] if extra_texts and index < len(extra_texts) else ''}".lower()
        taken = index in layout.columns.values() or index in layout.exclude
        if not taken and index != score and COMMENT_PATTERN.search(text):
            layout.columns["comment"] = index
            return


FORMATS: dict[str, tuple[Callable[[list[list[str]]], bool], Callable[[Table], Layout]]] = {
    "qualtrics": (_is_qualtrics, qualtrics),
    "qualtrics-legacy": (_is_qualtrics_legacy, qualtrics_legacy),
    "surveymonkey": (_is_surveymonkey, surveymonkey),
    "typeform": (_is_typeform, typeform),
    "formbricks": (_is_formbricks, formbricks),
    "google-forms": (_is_google_forms, google_forms),
    "delighted": (_is_delighted, delighted),
    "generic": (lambda rows: True, generic),
}
