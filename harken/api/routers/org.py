"""Units, touchpoints and surveys: the organisation's set-up.  Reading needs ``read``; changing needs
``admin`` and an administrator."""

from __future__ import annotations

from django.db import transaction
from django.http import HttpRequest
from ninja import Query, Router, Status

from harken.api.auth import ADMIN, check_administrator, user_of, visible_unit
from harken.api.errors import field_error, not_found
from harken.api.pagination import PageParams, paginate
from harken.api.schemas import (
    SurveyIn,
    SurveyOut,
    SurveyPage,
    TouchpointIn,
    TouchpointOut,
    TouchpointPage,
    UnitIn,
    UnitOut,
    UnitPage,
)
from harken.org.models import Unit
from harken.org.scoping import visible_units
from harken.surveys.models import Survey, Touchpoint

router = Router(tags=["organisation"])


@router.get("/units", response=UnitPage, summary="Units you may see")
def list_units(request: HttpRequest, page: Query[PageParams]) -> dict[str, object]:
    items, cursor = paginate(visible_units(user_of(request)), page)
    return {"items": items, "next_cursor": cursor}


@router.get("/units/{unit_id}", response=UnitOut, summary="One unit")
def get_unit(request: HttpRequest, unit_id: int) -> Unit:
    unit = visible_unit(user_of(request), unit_id)
    if unit is None:
        raise not_found("unit")
    return unit


@router.post("/units", response={201: UnitOut}, auth=ADMIN, summary="Add a unit")
def create_unit(request: HttpRequest, payload: UnitIn) -> Status[Unit]:
    user = user_of(request)
    check_administrator(user, shared=payload.parent_id is None)
    parent = None
    if payload.parent_id is not None:
        parent = visible_unit(user, payload.parent_id)
        if parent is None:
            raise field_error("parent_id", f"No unit {payload.parent_id} that you may see.")
        check_administrator(user)
    if Unit.objects.filter(parent=parent, name=payload.name).exists():
        raise field_error("name", f"There is already a unit {payload.name!r} here.", status=409)
    with transaction.atomic():
        unit = Unit.objects.create(
            name=payload.name, kind=payload.kind, parent=parent, code=payload.code, time_zone=payload.time_zone
        )
    return Status(201, unit)


@router.get("/touchpoints", response=TouchpointPage, summary="Touchpoints of the customer journey")
def list_touchpoints(request: HttpRequest, page: Query[PageParams]) -> dict[str, object]:
    items, cursor = paginate(Touchpoint.objects.all(), page)
    return {"items": items, "next_cursor": cursor}


@router.get("/touchpoints/{touchpoint_id}", response=TouchpointOut, summary="One touchpoint")
def get_touchpoint(request: HttpRequest, touchpoint_id: int) -> Touchpoint:
    touchpoint = Touchpoint.objects.filter(pk=touchpoint_id).first()
    if touchpoint is None:
        raise not_found("touchpoint")
    return touchpoint


@router.post("/touchpoints", response={201: TouchpointOut}, auth=ADMIN, summary="Add a touchpoint")
def create_touchpoint(request: HttpRequest, payload: TouchpointIn) -> Status[Touchpoint]:
    check_administrator(user_of(request), shared=True)
    for name in ("name", "slug"):
        if Touchpoint.objects.filter(**{f"{name}__iexact": getattr(payload, name)}).exists():
            raise field_error(name, f"A touchpoint with this {name} exists already.", status=409)
    return Status(201, Touchpoint.objects.create(**payload.dict()))


@router.get("/surveys", response=SurveyPage, summary="Surveys")
def list_surveys(request: HttpRequest, page: Query[PageParams]) -> dict[str, object]:
    items, cursor = paginate(Survey.objects.prefetch_related("questions"), page)
    return {"items": items, "next_cursor": cursor}


@router.get("/surveys/{survey_id}", response=SurveyOut, summary="One survey with its questions")
def get_survey(request: HttpRequest, survey_id: int) -> Survey:
    survey = Survey.objects.filter(pk=survey_id).first()
    if survey is None:
        raise not_found("survey")
    return survey


@router.post("/surveys", response={201: SurveyOut}, auth=ADMIN, summary="Add a survey")
def create_survey(request: HttpRequest, payload: SurveyIn) -> Status[Survey]:
    check_administrator(user_of(request), shared=True)
    for name in ("name", "slug"):
        if Survey.objects.filter(**{f"{name}__iexact": getattr(payload, name)}).exists():
            raise field_error(name, f"A survey with this {name} exists already.", status=409)
    if payload.touchpoint_id is not None and not Touchpoint.objects.filter(pk=payload.touchpoint_id).exists():
        raise field_error("touchpoint_id", f"No touchpoint {payload.touchpoint_id}.")
    values = {key: value for key, value in payload.dict().items() if value is not None}
    return Status(201, Survey.objects.create(**values))
