"""Cursor pagination: stable under inserts, no counting, no offsets.

Rows come in primary-key order; ``next_cursor`` is an opaque token for the page after the last row,
or null on the last page.
"""

from __future__ import annotations

import base64
import binascii
from typing import TypeVar

from django.db.models import Model, QuerySet
from ninja import Schema
from pydantic import Field

from harken.api.errors import field_error

M = TypeVar("M", bound=Model)
DEFAULT_LIMIT = 100
MAX_LIMIT = 500


class PageParams(Schema):
    """Query parameters of every list."""

    cursor: str | None = Field(None, description="The `next_cursor` of the previous page; omit for the first.")
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="Rows per page.")


def encode_cursor(pk: int) -> str:
    """An opaque cursor pointing after the row ``pk``."""
    return base64.urlsafe_b64encode(f"v1:{pk}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    """The primary key a cursor points after; a 422 naming ``cursor`` when it is not one of ours."""
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        version, pk = text.split(":", 1)
        if version != "v1" or not pk.isdigit():
            raise ValueError(text)
        return int(pk)
    except (ValueError, UnicodeDecodeError, binascii.Error):
        raise field_error("cursor", "Not a cursor returned by this API.", location="query") from None


def paginate(queryset: QuerySet[M], params: PageParams) -> tuple[list[M], str | None]:
    """One page of ``queryset`` and the cursor of the next page (None on the last)."""
    queryset = queryset.order_by("pk")
    if params.cursor:
        queryset = queryset.filter(pk__gt=decode_cursor(params.cursor))
    rows = list(queryset[: params.limit + 1])
    if len(rows) > params.limit:
        rows = rows[: params.limit]
        return rows, encode_cursor(rows[-1].pk)
    return rows, None
