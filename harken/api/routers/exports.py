"""Exports through the API: the same files as ``harken export``, limited to what the key's owner sees."""

from __future__ import annotations

from typing import Literal

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Schema
from pydantic import Field

from harken.api.auth import user_of
from harken.api.filters import FilterParams, build_filters
from harken.io.exports import CONTENT_TYPES, export_bytes
from harken.io.selection import matching_responses
from harken.org import audit

router = Router(tags=["exports"])


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
) -> HttpResponse:
    """Columns as in docs/data-dictionary.md; filters as on the dashboards select the responses (and so their
    themes and cases), limited to the caller's units."""
    user = user_of(request)
    data = export_bytes(dataset, params.format, matching_responses(build_filters(filters, user), user))
    audit.record(user, "export", dataset=dataset, format=params.format, via="api")
    response = HttpResponse(data, content_type=CONTENT_TYPES[params.format])
    response["Content-Disposition"] = f'attachment; filename="harken-{dataset}.{params.format}"'
    return response
