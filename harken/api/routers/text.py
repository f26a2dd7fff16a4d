"""Comments: full-text search with the dashboards' filters (``harken.text.search``); the theme tree and its
rules (reading needs ``read``; changing needs ``write`` and an administrator of the whole organisation, and is
saved as the theme editor saves: checked by ``Theme.full_clean``, re-tagging history when rules change)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import IntegrityError, transaction
from django.http import HttpRequest
from ninja import Query, Router, Schema, Status
from pydantic import Field

from harken.api.auth import WRITE, check_administrator, user_of
from harken.api.errors import field_error, not_found
from harken.api.filters import FilterParams, build_filters
from harken.api.pagination import PageParams, paginate
from harken.api.types import Id, Text
from harken.text import search
from harken.text.models import Theme
from harken.text.tagging import do_save_theme

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


# --- Themes: the root-cause tree and its matching rules --------------------------------------------------------

PHRASE_FIELDS = ("any_of", "all_of", "none_of", "near")


class ThemeRules(Schema):
    any_of: list[Text] = Field(default_factory=list, description="Phrases; the comment mentions at least one.")
    all_of: list[Text] = Field(default_factory=list, description="Phrases; the comment mentions every one.")
    none_of: list[Text] = Field(default_factory=list, description="Phrases; the comment mentions none of them.")
    near: list[Text] = Field(default_factory=list, description="Pairs 'a ~ b': both within near_words words.")
    near_words: int = Field(5, ge=1, le=50)
    count_negated: bool = Field(True, description="Count negated mentions ('not friendly').")


class ThemeOut(Schema):
    id: int
    name: str
    parent_id: int | None
    path: str = Field(description="Names from the top of the tree, joined by ' → '.")
    description: str
    is_active: bool
    position: int
    rules: ThemeRules
    rules_version: int
    updated_at: dt.datetime


class ThemePage(Schema):
    items: list[ThemeOut]
    next_cursor: str | None


class ThemeIn(Schema):
    name: Text = Field(min_length=1, max_length=100)
    parent_id: Id | None = Field(None, description="The theme above; null for a top-level theme.")
    description: Text = Field("", max_length=300)
    is_active: bool = True
    position: int = Field(0, ge=0, le=32767)
    rules: ThemeRules | None = Field(None, description="Matching rules; none: the theme matches nothing yet.")


class ThemeChangeIn(Schema):
    name: Text | None = Field(None, min_length=1, max_length=100)
    parent_id: Id | None = None
    description: Text | None = Field(None, max_length=300)
    is_active: bool | None = None
    position: int | None = Field(None, ge=0, le=32767)
    rules: ThemeRules | None = None


def _theme_out(theme: Theme, names: dict[int, tuple[str, int | None]]) -> dict[str, Any]:
    path, parent, seen = [theme.name], theme.parent_id, {theme.pk}
    while parent is not None and parent in names and parent not in seen:
        seen.add(parent)
        path.insert(0, names[parent][0])
        parent = names[parent][1]
    rules = {name: list(_lines(getattr(theme, name))) for name in PHRASE_FIELDS}
    return {
        **{name: getattr(theme, name) for name in ThemeOut.model_fields if name not in ("path", "rules")},
        "path": " → ".join(path),
        "rules": {**rules, "near_words": theme.near_words, "count_negated": theme.count_negated},
    }


def _lines(text: str) -> list[str]:
    """A rule field's non-blank lines as written (near pairs keep their '~')."""
    return [line.strip() for line in text.splitlines() if line.strip()]


def _names() -> dict[int, tuple[str, int | None]]:
    return {pk: (name, parent) for pk, name, parent in Theme.objects.values_list("pk", "name", "parent_id")}


@router.get("/themes", response=ThemePage, summary="The theme tree with each theme's rules")
def list_themes(request: HttpRequest, page: Query[PageParams], active: bool | None = None) -> dict[str, object]:
    queryset = Theme.objects.all()
    if active is not None:
        queryset = queryset.filter(is_active=active)
    items, cursor = paginate(queryset, page)
    names = _names()
    return {"items": [_theme_out(theme, names) for theme in items], "next_cursor": cursor}


@router.get("/themes/{theme_id}", response=ThemeOut, summary="One theme with its rules")
def get_theme(request: HttpRequest, theme_id: int) -> dict[str, object]:
    theme = Theme.objects.filter(pk=theme_id).first()
    if theme is None:
        raise not_found("theme")
    return _theme_out(theme, _names())


def _apply(theme: Theme, values: dict[str, Any]) -> Theme:
    """Set ``values`` on ``theme``, check it as the editor does, and save it (re-tagging if rules changed)."""
    if "parent_id" in values:
        parent_id = values.pop("parent_id")
        if parent_id is not None and not Theme.objects.filter(pk=parent_id).exists():
            raise field_error("parent_id", f"No theme {parent_id}.")
        theme.parent_id = parent_id
    rules = values.pop("rules", None)
    for name, value in values.items():
        if value is not None:
            setattr(theme, name, value)
    if rules is not None:
        # a PATCH changes only the rule fields it names
        for name, value in rules.items():
            if name in PHRASE_FIELDS:
                value = "\n".join(phrase.strip() for phrase in value if phrase.strip())
            setattr(theme, name, value)
    siblings = Theme.objects.filter(parent_id=theme.parent_id, name__iexact=theme.name).exclude(pk=theme.pk)
    if siblings.exists():
        raise field_error("name", f"There is already a theme {theme.name!r} here.", status=409)
    theme.full_clean(exclude=["rules_version"])
    try:
        with transaction.atomic():
            do_save_theme(theme)
    except IntegrityError:
        raise field_error("name", f"There is already a theme {theme.name!r} here.", status=409) from None
    return theme


@router.post("/themes", response={201: ThemeOut}, auth=WRITE, summary="Add a theme (administrators)")
def create_theme(request: HttpRequest, payload: ThemeIn) -> Status[dict[str, object]]:
    check_administrator(user_of(request), shared=True)
    theme = _apply(Theme(), payload.dict())
    return Status(201, _theme_out(theme, _names()))


@router.patch("/themes/{theme_id}", response=ThemeOut, auth=WRITE, summary="Change a theme or its rules")
def change_theme(request: HttpRequest, theme_id: int, payload: ThemeChangeIn) -> dict[str, object]:
    check_administrator(user_of(request), shared=True)
    theme = Theme.objects.filter(pk=theme_id).first()
    if theme is None:
        raise not_found("theme")
    return _theme_out(_apply(theme, payload.dict(exclude_unset=True)), _names())
