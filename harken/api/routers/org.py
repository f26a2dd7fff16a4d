"""Units, touchpoints, surveys and memberships: the organisation's set-up.  Reading needs ``read``; changing
needs ``admin`` and an administrator."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest
from ninja import Query, Router, Schema, Status

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
from harken.api.types import Id
from harken.org import audit
from harken.org.models import Membership, Unit
from harken.org.scoping import scope_to_user, visible_units
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


# --- Memberships: who has which role on which unit ---------------------------------------------------------------

Role = Membership.Role


class MembershipOut(Schema):
    id: int
    user_id: int
    username: str
    unit_id: int
    role: Role
    created_at: dt.datetime

    @staticmethod
    def resolve_username(obj: Membership) -> str:
        return obj.user.get_username()


class MembershipIn(Schema):
    user_id: Id
    unit_id: Id
    role: Role


class MembershipChange(Schema):
    role: Role


class MembershipPage(Schema):
    items: list[MembershipOut]
    next_cursor: str | None


def check_administrator_of(user: AbstractBaseUser, unit: Unit) -> None:
    """Granting roles on a unit needs the admin role on it or above it (or a superuser)."""
    if getattr(user, "is_superuser", False):
        return
    paths = Membership.objects.filter(user_id=user.pk, role=Role.ADMIN).values_list("unit__path", flat=True)
    if not any(unit.path.startswith(path) for path in paths):
        raise PermissionDenied(f"Only administrators of {unit.name} may change roles on it.")


def _membership(user: AbstractBaseUser, membership_id: int) -> Membership:
    found = scope_to_user(Membership.objects.select_related("user", "unit"), user).filter(pk=membership_id).first()
    if found is None:
        raise not_found("membership")
    return found


@router.get("/memberships", response=MembershipPage, summary="Roles of users on the units you may see")
def list_memberships(request: HttpRequest, page: Query[PageParams]) -> dict[str, object]:
    rows = scope_to_user(Membership.objects.select_related("user"), user_of(request))
    items, cursor = paginate(rows, page)
    return {"items": items, "next_cursor": cursor}


@router.post("/memberships", response={201: MembershipOut}, auth=ADMIN, summary="Give a user a role on a unit")
def create_membership(request: HttpRequest, payload: MembershipIn) -> Status[Membership]:
    """The role covers the unit's subtree; the audit log records who granted it."""
    actor = user_of(request)
    unit = visible_unit(actor, payload.unit_id)
    if unit is None:
        raise field_error("unit_id", f"No unit {payload.unit_id} that you may see.")
    check_administrator_of(actor, unit)
    member = get_user_model().objects.filter(pk=payload.user_id, is_active=True).first()
    if member is None:
        raise field_error("user_id", f"No active user {payload.user_id}.")
    if Membership.objects.filter(user=member, unit=unit).exists():
        raise field_error("unit_id", f"{member.get_username()} has a role on {unit.name} already.", status=409)
    with audit.acting_as(actor), transaction.atomic():
        membership = Membership.objects.create(user=member, unit=unit, role=payload.role)
    return Status(201, membership)


@router.patch("/memberships/{membership_id}", response=MembershipOut, auth=ADMIN, summary="Change a role")
def change_membership(request: HttpRequest, membership_id: int, payload: MembershipChange) -> Membership:
    actor = user_of(request)
    membership = _membership(actor, membership_id)
    check_administrator_of(actor, membership.unit)
    membership.role = payload.role
    with audit.acting_as(actor), transaction.atomic():
        membership.save(update_fields=["role"])
    return membership


@router.delete("/memberships/{membership_id}", response={204: None}, auth=ADMIN, summary="Remove a role")
def delete_membership(request: HttpRequest, membership_id: int) -> Status[None]:
    actor = user_of(request)
    membership = _membership(actor, membership_id)
    check_administrator_of(actor, membership.unit)
    with audit.acting_as(actor), transaction.atomic():
        membership.delete()
    return Status(204, None)
