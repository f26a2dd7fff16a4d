"""Exports through the API: the same files as ``harken export``, limited to what the key's owner sees."""

from __future__ import annotations

import io
import tempfile
from pathlib import Path
from typing import Literal

from django.http import FileResponse, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from ninja import Query, Router, Schema
from pydantic import Field

from harken.api.auth import user_of
from harken.api.filters import FilterParams, build_filters
from harken.io.exports import DATASETS, rows_of, write_csv, write_parquet, write_xlsx
from harken.io.selection import matching_responses
from harken.org import audit

router = Router(tags=["exports"])

CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "parquet": "application/vnd.apache.parquet",
}


class ExportParams(Schema):
    format: Literal["csv", "xlsx", "parquet"] = Field("csv", description="File format.")


@router.get(
    "/exports/{dataset}",
    summary="Download responses, answers, themes or cases as CSV, XLSX or Parquet",
    response={200: None},
    openapi_extra={"responses": {200: {"description": "The file", "content": {t: {} for t in CONTENT_TYPES.values()}}}},
)
def export(
    request: HttpRequest,
    dataset: Literal["responses", "answers", "themes", "cases"],
    params: Query[ExportParams],
    filters: Query[FilterParams],
) -> HttpResponseBase:
    """Columns as in docs/data-dictionary.md; filters as on the dashboards select the responses (and so their
    themes and cases), limited to the caller's units."""
    user = user_of(request)
    rows = rows_of(dataset, matching_responses(build_filters(filters, user), user))
    name = f"harken-{dataset}.{params.format}"
    audit.record(user, "export", dataset=dataset, format=params.format, via="api")
    if params.format == "csv":
        text = io.StringIO()
        write_csv(DATASETS[dataset], rows, text)
        response = HttpResponse(text.getvalue().encode(), content_type=CONTENT_TYPES["csv"])
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        writer = write_xlsx if params.format == "xlsx" else write_parquet
        writer(DATASETS[dataset], rows, path)
        data = path.read_bytes()
    return FileResponse(io.BytesIO(data), as_attachment=True, filename=name, content_type=CONTENT_TYPES[params.format])
