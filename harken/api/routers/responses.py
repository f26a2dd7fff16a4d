"""Responses (list with the dashboards' filters, read, add) and NPS per group through the one query path."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.http import HttpRequest
from django.utils import timezone
from ninja import Query, Router, Schema, Status
from pydantic import Field

from harken.analytics import queries
from harken.analytics.nps import Category
from harken.api.auth import WRITE, check_can_write_unit, user_of, visible_unit
from harken.api.errors import field_error, not_found
from harken.api.filters import FilterParams, build_filters
from harken.api.pagination import PageParams, paginate
from harken.api.routers.people import visible_contacts
from harken.api.schemas import NpsGroupOut, NpsOut, ResponseIn, ResponseOut, ResponsePage
from harken.collect.models import Response
from harken.io.selection import matching_responses
from harken.org.scoping import scope_to_user
from harken.surveys.models import Survey, Touchpoint

router = Router(tags=["responses and analytics"])


class ResponseFilter(Schema):
    category: Literal["promoter", "passive", "detractor", "none"] | None = Field(
        None, description="Only this category; `none` for responses without a score."
    )
    updated_since: dt.datetime | None = Field(None, description="Only responses changed at or after this time.")
    external_id: str | None = None


@router.get("/responses", response=ResponsePage, summary="Responses, filtered like the dashboards")
def list_responses(
    request: HttpRequest, page: Query[PageParams], filters: Query[FilterParams], where: Query[ResponseFilter]
) -> dict[str, object]:
    user = user_of(request)
    responses = matching_responses(build_filters(filters, user), user)
    if where.category == "none":
        responses = responses.filter(score__isnull=True)
    elif where.category:
        responses = responses.filter(category=Category(where.category).value)
    if where.updated_since:
        since = where.updated_since
        responses = responses.filter(updated_at__gte=since if timezone.is_aware(since) else timezone.make_aware(since))
    if where.external_id:
        responses = responses.filter(external_id=where.external_id)
    items, cursor = paginate(responses, page)
    return {"items": items, "next_cursor": cursor}


@router.get("/responses/{response_id}", response=ResponseOut, summary="One response")
def get_response(request: HttpRequest, response_id: int) -> Response:
    response = scope_to_user(Response.objects.all(), user_of(request)).filter(pk=response_id).first()
    if response is None:
        raise not_found("response")
    return response


def check_response(user: AbstractBaseUser, payload: ResponseIn) -> dict[str, object]:
    """Validate a new response and return the model fields to create it with."""
    unit = visible_unit(user, payload.unit_id)
    if unit is None:
        raise field_error("unit_id", f"No unit {payload.unit_id} that you may see.")
    check_can_write_unit(user, unit)
    survey = Survey.objects.filter(pk=payload.survey_id).first()
    if survey is None:
        raise field_error("survey_id", f"No survey {payload.survey_id}.")
    if payload.touchpoint_id is not None and not Touchpoint.objects.filter(pk=payload.touchpoint_id).exists():
        raise field_error("touchpoint_id", f"No touchpoint {payload.touchpoint_id}.")
    if payload.contact_id is not None and not visible_contacts(user).filter(pk=payload.contact_id).exists():
        raise field_error("contact_id", f"No contact {payload.contact_id} that you may see.")
    known = set(survey.questions.values_list("key", flat=True))
    for key in payload.answers:
        if key not in known:
            raise field_error(f"answers.{key}", f"The survey has no question with the key {key!r}.")
    if payload.external_id and Response.objects.filter(survey=survey, external_id=payload.external_id).exists():
        raise field_error("external_id", "This survey already has a response with this external id.", status=409)
    submitted_at = payload.submitted_at or timezone.now()
    if timezone.is_naive(submitted_at):
        submitted_at = timezone.make_aware(submitted_at)
    return {
        "survey": survey,
        "unit": unit,
        "touchpoint_id": payload.touchpoint_id or survey.touchpoint_id,
        "contact_id": payload.contact_id,
        "score": payload.score,
        "comment": payload.comment,
        "answers": payload.answers,
        "channel": payload.channel,
        "language": payload.language,
        "external_id": payload.external_id,
        "submitted_at": submitted_at,
    }


@router.post("/responses", response={201: ResponseOut}, auth=WRITE, summary="Add a response")
def create_response(request: HttpRequest, payload: ResponseIn) -> Status[Response]:
    response = Response.objects.create(**check_response(user_of(request), payload))
    response.refresh_from_db(fields=["category"])  # computed by the database
    return Status(201, response)


class NpsParams(Schema):
    by: str = Field(
        "total",
        description="total, unit, touchpoint, survey, channel, language, day, week, month, quarter, year "
        "or attribute:KEY.",
    )


@router.get("/analytics/nps", response=NpsOut, summary="NPS with n and its interval, overall or per group")
def nps(request: HttpRequest, params: Query[NpsParams], filters: Query[FilterParams]) -> NpsOut:
    """Counts from one grouped query (``harken.analytics.queries``); NPS and the adjusted-Wald interval in
    points at the installation's confidence level.  Only responses with a score count."""
    user = user_of(request)
    if params.by not in queries.DIMENSIONS and not params.by.startswith("attribute:"):
        raise field_error("by", f"Cannot group by {params.by!r}.", location="query")
    try:
        groups = queries.nps_by(params.by, build_filters(filters, user), user)
    except queries.QueryError as exc:
        raise field_error("by", str(exc), location="query") from None
    out = []
    for group in groups:
        summary = group.summary()
        out.append(
            NpsGroupOut(
                key=group.key,
                label=group.label,
                n=group.counts.n,
                promoters=group.counts.promoters,
                passives=group.counts.passives,
                detractors=group.counts.detractors,
                nps=summary.nps,
                standard_error=summary.standard_error,
                ci_low=summary.interval.low if summary.interval else None,
                ci_high=summary.interval.high if summary.interval else None,
            )
        )
    return NpsOut(by=params.by, confidence=settings.CONFIDENCE, groups=out)
