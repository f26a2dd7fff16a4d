"""Response imports through the API (for the import page and for scripts): the same core as
``harken import responses``, limited to units the caller may add data to."""

from __future__ import annotations

import zoneinfo
from typing import Literal

from django.conf import settings
from django.http import HttpRequest
from ninja import File, Form, Router, Schema
from ninja.files import UploadedFile
from pydantic import Field

from harken.api.auth import WRITE, check_administrator, check_can_write_unit, user_of, visible_unit
from harken.api.errors import ApiError, field_error
from harken.api.types import Id
from harken.io.formats import FORMATS, LayoutError
from harken.io.imports import Target, check_answers, do_import
from harken.io.parse import Options, parse_file
from harken.io.tables import FileError
from harken.surveys.models import Survey, Touchpoint

router = Router(tags=["imports"])
MAX_BYTES = 100 * 1024 * 1024


class ImportForm(Schema):
    survey_id: Id
    unit_id: Id = Field(description="Responses go to this unit, or to the unit named in unit_column below it.")
    dry_run: bool = Field(True, description="Report what would be imported without changing anything.")
    format: str | None = Field(None, description=f"One of {', '.join(FORMATS)}; default: recognised.")
    unit_column: str | None = None
    create_units: bool = Field(False, description="Create units named in unit_column (administrators only).")
    touchpoint_id: Id | None = None
    score_column: str | None = None
    comment_column: str | None = None
    date_column: str | None = None
    id_column: str | None = None
    time_zone: str | None = Field(None, description="Zone of times without one; default TIME_ZONE.")
    day_first: bool | None = None
    scale: Literal["auto", "0-10", "1-11"] = Field(
        "auto", description="Scale of the score column; auto recognises 1–11 exports and recodes them to 0–10."
    )
    skip_bad_rows: bool = False


class ProblemOut(Schema):
    line: int
    column: str
    message: str


class ImportOut(Schema):
    format: str
    dry_run: bool
    rows: int
    created: int
    already_imported: int
    without_score: int
    excluded: dict[str, int]
    units_created: list[str]
    contacts_created: int
    problems: list[ProblemOut]
    warnings: list[ProblemOut]
    notes: list[str] = Field(description="Decisions about the whole file, e.g. a 1–11 scale recoded to 0–10.")


@router.post("/imports/responses", response=ImportOut, auth=WRITE, summary="Import a survey tool's export")
def import_responses(request: HttpRequest, form: Form[ImportForm], file: File[UploadedFile]) -> object:
    """Upload a CSV, XLSX or JSON export; the answer lists problems by line and column. Nothing is written
    when there is a problem (unless skip_bad_rows) or when dry_run is true (the default)."""
    user = user_of(request)
    unit = visible_unit(user, form.unit_id)
    if unit is None:
        raise field_error("unit_id", f"No unit {form.unit_id} that you may see.")
    check_can_write_unit(user, unit)
    if form.create_units:
        check_administrator(user)
    survey = Survey.objects.filter(pk=form.survey_id).first()
    if survey is None:
        raise field_error("survey_id", f"No survey {form.survey_id}.")
    touchpoint = None
    if form.touchpoint_id is not None:
        touchpoint = Touchpoint.objects.filter(pk=form.touchpoint_id).first()
        if touchpoint is None:
            raise field_error("touchpoint_id", f"No touchpoint {form.touchpoint_id}.")
    if form.format is not None and form.format not in FORMATS:
        raise field_error("format", f"Unknown format; choose from {', '.join(FORMATS)}.")
    if (file.size or 0) > MAX_BYTES:
        raise field_error("file", "The file is larger than 100 MB; use 'harken import responses' on the server.")
    options = _options(form)
    unknown = check_answers(survey, list(options.answer_columns.values()))
    if unknown:
        raise ApiError(422, "; ".join(unknown))
    try:
        parsed = parse_file(file.read(), file.name or "upload.csv", options)
    except (FileError, LayoutError) as exc:
        raise field_error("file", str(exc)) from None
    target = Target(survey, unit, touchpoint, create_units=form.create_units, skip_bad_rows=form.skip_bad_rows)
    report = do_import(parsed, target, dry_run=form.dry_run)
    return {**report.__dict__, "excluded": dict(report.excluded)}


def _options(form: ImportForm) -> Options:
    try:
        zone = zoneinfo.ZoneInfo(form.time_zone or settings.TIME_ZONE)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise field_error("time_zone", f"Unknown time zone {form.time_zone!r}.") from None
    roles = {
        "score": form.score_column,
        "comment": form.comment_column,
        "submitted": form.date_column,
        "id": form.id_column,
    }
    return Options(
        time_zone=zone,
        format=form.format,
        day_first=form.day_first,
        columns={role: name for role, name in roles.items() if name},
        unit_column=form.unit_column,
        scale=form.scale,
    )
