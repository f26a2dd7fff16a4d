"""Comments: full-text search with the dashboards' filters (``harken.text.search``)."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field

from harken.api.auth import user_of
from harken.api.errors import field_error
from harken.api.filters import FilterParams, build_filters
from harken.text import search

router = Router(tags=["comments and themes"])


class SearchParams(Schema):
    q: str = Field(
        ...,
        max_length=search.MAX_LENGTH,
        description='Words that must all appear; "a phrase"; prefix*; -excluded; OR between alternatives.',
    )
    page: int = Field(1, ge=1, le=10_000, description="Page of results, best matches on page 1.")
    per_page: int = Field(search.PER_PAGE, ge=1, le=100, description="Hits per page.")


class SearchHitOut(Schema):
    id: int = Field(description="The response's id.")
    score: int | None
    comment: str
    highlighted: str = Field(
        description="HTML: the comment (or the part around the matches), escaped, with the matches in <mark>…</mark>."
    )
    rank: float = Field(description="Relevance; higher is better. Comparable within one search only.")
    unit_id: int
    touchpoint_id: int | None
    survey_id: int
    submitted_at: dt.datetime


class SearchOut(Schema):
    query: str
    total: int = Field(description="How many comments match in all.")
    page: int
    pages: int
    items: list[SearchHitOut]


@router.get("/comments/search", response=SearchOut, summary="Search comments, filtered like the dashboards")
def search_comments(
    request: HttpRequest, params: Query[SearchParams], filters: Query[FilterParams]
) -> dict[str, object]:
    """Comments matching ``q`` among the responses the caller may see, best match first, paged by number
    (a ranked list has no stable cursor)."""
    user = user_of(request)
    try:
        found = search.search(params.q, build_filters(filters, user), user, params.page, params.per_page)
    except search.SearchError as exc:
        raise field_error("q", str(exc), location="query") from None
    items = [
        {
            "id": hit.response.pk,
            "score": hit.response.score,
            "comment": hit.response.comment,
            "highlighted": str(hit.snippet),
            "rank": hit.rank,
            "unit_id": hit.response.unit_id,
            "touchpoint_id": hit.response.touchpoint_id,
            "survey_id": hit.response.survey_id,
            "submitted_at": hit.response.submitted_at,
        }
        for hit in found.hits
    ]
    return {"query": found.query, "total": found.total, "page": found.page, "pages": found.pages, "items": items}
