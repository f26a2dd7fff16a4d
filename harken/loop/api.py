"""Cases in the REST API: list and read what you may see; change status or add a note with ``write``."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.http import HttpRequest
from django.utils import timezone
from ninja import Query, Router, Status

from harken.api.auth import WRITE, user_of
from harken.api.errors import ApiError, field_error, not_found
from harken.api.pagination import PageParams, paginate
from harken.loop import actions, cases
from harken.loop.effects import action_effect
from harken.loop.metrics import LoopMetrics, loop_metrics
from harken.loop.models import Action, Case, CaseEvent
from harken.loop.schemas import (
    ActionChangeIn,
    ActionEffectOut,
    ActionIn,
    ActionOut,
    ActionPage,
    CaseChangeIn,
    CaseDetailOut,
    CasePage,
    LoopMetricsOut,
)
from harken.org.scoping import visible_units

router = Router(tags=["cases"])


def _out(case: Case, with_events: bool = False) -> dict[str, Any]:
    data: dict[str, Any] = {
        field: getattr(case, field)
        for field in (
            "id",
            "title",
            "response_id",
            "unit_id",
            "status",
            "priority",
            "opened_at",
            "due_at",
            "first_contact_at",
            "resolved_at",
            "closed_at",
            "escalation_level",
            "root_cause_id",
            "outcome",
        )
    }
    data["root_cause"] = str(case.root_cause) if case.root_cause else ""
    data["owner"] = case.owner.get_username() if case.owner else None
    if with_events:
        data["events"] = [_event(event) for event in case.events.select_related("actor")]
    return data


def _event(event: CaseEvent) -> dict[str, Any]:
    actor = event.actor.get_username() if event.actor else None
    return {"kind": event.kind, "actor": actor, "text": event.text, "created_at": event.created_at}


@router.get("/cases", response=CasePage, summary="Cases you may see")
def list_cases(request: HttpRequest, page: Query[PageParams], status: str | None = None) -> dict[str, Any]:
    queryset = cases.visible_cases(user_of(request))
    if status:
        queryset = queryset.filter(status=status)
    items, cursor = paginate(queryset, page)
    return {"items": [_out(case) for case in items], "next_cursor": cursor}


@router.get("/cases/metrics", response=list[LoopMetricsOut], summary="Close-the-loop metrics per unit or month")
def case_metrics(
    request: HttpRequest, group: Literal["unit", "month"] = "unit", since: dt.date | None = None
) -> list[dict[str, Any]]:
    queryset = cases.visible_cases(user_of(request))
    if since is not None:
        queryset = queryset.filter(opened_at__date__gte=since)
    return [_metrics_out(row, group) for row in loop_metrics(queryset, group)]


def _metrics_out(row: LoopMetrics, group: str) -> dict[str, Any]:
    data = {name: getattr(row, name) for name in LoopMetricsOut.model_fields if name != "group"}
    data["group"] = f"{row.group:%Y-%m}" if group == "month" else str(row.group)
    return data


@router.get("/cases/{case_id}", response=CaseDetailOut, summary="One case with its history")
def get_case(request: HttpRequest, case_id: int) -> dict[str, Any]:
    case = cases.visible_cases(user_of(request)).filter(pk=case_id).first()
    if case is None:
        raise not_found("case")
    return _out(case, with_events=True)


@router.patch("/cases/{case_id}", response=CaseDetailOut, auth=WRITE, summary="Change a case's status or add a note")
def change_case(request: HttpRequest, case_id: int, payload: CaseChangeIn) -> dict[str, Any]:
    user = user_of(request)
    case = cases.visible_cases(user).filter(pk=case_id).first()
    if case is None:
        raise not_found("case")
    if not cases.can_work(user, case):
        raise ApiError(403, "You may read this case but not change it.")
    try:
        root_cause = cases.check_root_cause(payload.root_cause_id)
    except cases.CaseError as error:
        raise field_error("root_cause_id", str(error)) from error
    try:
        if payload.status:
            cases.check_status_change(case, payload.status, root_cause, payload.outcome)
        note = cases.check_note(payload.note) if payload.note.strip() else ""
    except cases.CaseError as error:
        raise field_error("status" if payload.status else "note", str(error)) from error
    if payload.status:
        cases.do_change_status(case, payload.status, user, root_cause=root_cause, outcome=payload.outcome, note=note)
    elif note:
        cases.do_add_note(case, user, note)
    return _out(case, with_events=True)


def _action_out(action: Action) -> dict[str, Any]:
    data = {name: getattr(action, name) for name in ActionOut.model_fields if name not in ("unit_ids", "owner")}
    data["unit_ids"] = sorted(unit.pk for unit in action.units.all())
    data["owner"] = action.owner.get_username() if action.owner else None
    return data


@router.get("/actions", response=ActionPage, summary="Improvement actions on units you may see")
def list_actions(request: HttpRequest, page: Query[PageParams], state: Action.State | None = None) -> dict[str, Any]:
    queryset = actions.visible_actions(user_of(request)).select_related("owner").prefetch_related("units")
    if state:
        queryset = queryset.filter(state=state)
    items, cursor = paginate(queryset, page)
    return {"items": [_action_out(action) for action in items], "next_cursor": cursor}


@router.get("/actions/{action_id}", response=ActionOut, summary="One improvement action")
def get_action(request: HttpRequest, action_id: int) -> dict[str, Any]:
    action = actions.visible_actions(user_of(request)).filter(pk=action_id).first()
    if action is None:
        raise not_found("action")
    return _action_out(action)


@router.post("/actions", response={201: ActionOut}, auth=WRITE, summary="Plan an improvement action")
def create_action(request: HttpRequest, payload: ActionIn) -> Status[dict[str, Any]]:
    user = user_of(request)
    if not actions.may_plan(user):
        raise ApiError(403, "Improvement actions are planned by administrators and managers.")
    values = payload.dict()
    try:
        units = actions.check_units(user, values.pop("unit_ids"))
        fields = actions.check_values(values)
    except actions.ActionError as error:
        raise field_error(error.field, str(error)) from error
    return Status(201, _action_out(actions.do_save_action(Action(), fields, units)))


@router.patch("/actions/{action_id}", response=ActionOut, auth=WRITE, summary="Change an improvement action")
def change_action(request: HttpRequest, action_id: int, payload: ActionChangeIn) -> dict[str, Any]:
    user = user_of(request)
    action = actions.visible_actions(user).filter(pk=action_id).first()
    if action is None:
        raise not_found("action")
    if not actions.can_change(user, action):
        raise ApiError(403, "You may read this action but not change it.")
    values = payload.dict(exclude_unset=True)
    unit_ids = values.pop("unit_ids", None)
    try:
        units = actions.check_units(user, unit_ids) if unit_ids is not None else None
        fields = actions.check_values(values)
    except actions.ActionError as error:
        raise field_error(error.field, str(error)) from error
    return _action_out(actions.do_save_action(action, fields, units))


@router.get("/actions/{action_id}/effect", response=ActionEffectOut, summary="NPS before and after an action")
def get_action_effect(request: HttpRequest, action_id: int) -> dict[str, Any]:
    user = user_of(request)
    visible = visible_units(user).values("pk")
    action = Action.objects.filter(pk=action_id, units__in=visible).distinct().first()
    if action is None:
        raise not_found("action")
    effect = action_effect(action, timezone.localdate())
    result, share = effect.comparison, effect.theme_share
    return {
        "action_id": action.pk,
        "name": action.name,
        "state": action.state,
        "started_on": action.started_on,
        "before_start": effect.before_start,
        "before_end": effect.before_end,
        "after_start": effect.after_start,
        "after_end": effect.after_end,
        "before_n": effect.before.n,
        "after_n": effect.after.n,
        "nps_before": result.before if result else None,
        "nps_after": result.after if result else None,
        "difference": result.difference if result else None,
        "p_value": result.p_value if result else None,
        "significant": bool(result and result.significant),
        "direction": result.direction if result else None,
        "theme_id": action.theme_id,
        "theme_share_before": share.share_before if share else None,
        "theme_share_after": share.share_after if share else None,
        "theme_share_p_value": share.p_value if share else None,
        "theme_share_significant": bool(share and share.significant),
    }
