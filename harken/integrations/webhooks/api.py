"""Webhook endpoints in the REST API (``admin`` scope): the page's rules, form and redelivery, as JSON.

Administrators manage every endpoint; managers those bound to a unit of their subtree
(``harken.loop.authority``).  The signing secret is returned once, by the POST that made the endpoint.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from harken.api.auth import ADMIN, user_of
from harken.api.errors import ApiError, form_invalid, not_found
from harken.api.pagination import PageParams, paginate
from harken.api.types import Id, Text
from harken.integrations.webhooks.delivery import do_redeliver
from harken.integrations.webhooks.forms import WebhookForm
from harken.integrations.webhooks.models import Delivery, Event, Webhook
from harken.loop import authority
from harken.org import audit

router = Router(tags=["webhooks"], auth=ADMIN)

RENAMES = {"unit": "unit_id"}


class WebhookOut(Schema):
    id: int
    name: str
    url: str
    kind: Webhook.Kind
    events: list[str] = Field(description="Event names; empty: every event.")
    unit_id: int | None = Field(description="Only events of this unit's subtree; null: everywhere.")
    is_active: bool
    created_at: dt.datetime


class WebhookCreatedOut(WebhookOut):
    secret: str = Field(description="The HMAC-SHA256 signing secret. Shown this once: store it now.")


class WebhookPage(Schema):
    items: list[WebhookOut]
    next_cursor: str | None


class WebhookIn(Schema):
    name: Text = Field(max_length=200)
    url: Text = Field(max_length=1000)
    kind: Webhook.Kind = Webhook.Kind.JSON
    events: list[Event] = Field(default_factory=list, description="Empty: every event.")
    unit_id: Id | None = Field(None, description="Required for managers: a unit of their subtree.")
    is_active: bool = True


class WebhookChangeIn(Schema):
    name: Text | None = Field(None, max_length=200)
    url: Text | None = Field(None, max_length=1000)
    kind: Webhook.Kind | None = None
    events: list[Event] | None = None
    unit_id: Id | None = None
    is_active: bool | None = None


class DeliveryOut(Schema):
    id: int
    webhook_id: int
    event: str
    event_id: str
    payload: Any
    state: Delivery.State
    attempts: int
    next_attempt_at: dt.datetime
    delivered_at: dt.datetime | None
    last_status: int | None
    last_error: str
    created_at: dt.datetime


class DeliveryPage(Schema):
    items: list[DeliveryOut]
    next_cursor: str | None


def _user(request: HttpRequest) -> AbstractBaseUser:
    user = user_of(request)
    if not authority.may_configure(user):
        raise PermissionDenied("Webhooks are managed by administrators and managers.")
    return user


def _hook(user: AbstractBaseUser, hook_id: int) -> Webhook:
    hook = authority.scope_config(Webhook.objects.all(), user).filter(pk=hook_id).first()
    if hook is None:
        raise not_found("webhook")
    return hook


def _out(hook: Webhook) -> dict[str, Any]:
    return {name: getattr(hook, name) for name in WebhookOut.model_fields}


def _save(user: AbstractBaseUser, hook: Webhook | None, values: dict[str, Any]) -> Webhook:
    """Validate and save through the page's form, so both apply the same rules."""
    data = {
        "name": values["name"],
        "url": values["url"],
        "kind": values["kind"],
        "events": [str(event) for event in values["events"]],
        "unit": str(values["unit_id"] or ""),
    }
    if values["is_active"]:
        data["is_active"] = "on"
    form = WebhookForm(data, instance=hook, user=user)
    if not form.is_valid():
        raise form_invalid(form, RENAMES)
    return form.save()


@router.get("/webhooks", response=WebhookPage, summary="Webhook endpoints you may manage")
def list_webhooks(request: HttpRequest, page: Query[PageParams]) -> dict[str, Any]:
    user = _user(request)
    items, cursor = paginate(authority.scope_config(Webhook.objects.all(), user), page)
    return {"items": [_out(hook) for hook in items], "next_cursor": cursor}


@router.post("/webhooks", response={201: WebhookCreatedOut}, summary="Add an endpoint (its secret is shown once)")
def create_webhook(request: HttpRequest, payload: WebhookIn) -> Status[dict[str, Any]]:
    user = _user(request)
    hook = _save(user, None, payload.dict())
    audit.record(user, "webhook.created", hook)
    return Status(201, {**_out(hook), "secret": hook.secret})


@router.get("/webhooks/{hook_id}", response=WebhookOut, summary="One endpoint (never its secret)")
def get_webhook(request: HttpRequest, hook_id: int) -> dict[str, Any]:
    return _out(_hook(_user(request), hook_id))


@router.patch("/webhooks/{hook_id}", response=WebhookOut, summary="Change an endpoint")
def change_webhook(request: HttpRequest, hook_id: int, payload: WebhookChangeIn) -> dict[str, Any]:
    user = _user(request)
    hook = _hook(user, hook_id)
    values = {**_out(hook), **payload.dict(exclude_unset=True)}
    for name in ("name", "url", "kind", "events", "is_active"):
        if values[name] is None:
            values[name] = getattr(hook, name)
    hook = _save(user, hook, values)
    audit.record(user, "webhook.changed", hook)
    return _out(hook)


@router.delete("/webhooks/{hook_id}", response={204: None}, summary="Remove an endpoint and its delivery log")
def delete_webhook(request: HttpRequest, hook_id: int) -> Status[None]:
    user = _user(request)
    hook = _hook(user, hook_id)
    audit.record(user, "webhook.deleted", hook)
    hook.delete()
    return Status(204, None)


@router.get("/webhooks/{hook_id}/deliveries", response=DeliveryPage, summary="An endpoint's delivery log")
def list_deliveries(
    request: HttpRequest, hook_id: int, page: Query[PageParams], state: Delivery.State | None = None
) -> dict[str, Any]:
    hook = _hook(_user(request), hook_id)
    deliveries = hook.deliveries.all()
    if state:
        deliveries = deliveries.filter(state=state)
    items, cursor = paginate(deliveries, page)
    return {"items": [_delivery(delivery) for delivery in items], "next_cursor": cursor}


def _delivery(delivery: Delivery) -> dict[str, Any]:
    data = {name: getattr(delivery, name) for name in DeliveryOut.model_fields}
    data["event_id"] = str(delivery.event_id)
    return data


@router.post(
    "/webhooks/{hook_id}/deliveries/{delivery_id}/redeliver",
    response={202: DeliveryOut},
    summary="Send a delivered or failed delivery again, with the same event id",
)
def redeliver(request: HttpRequest, hook_id: int, delivery_id: int) -> Status[dict[str, Any]]:
    user = _user(request)
    hook = _hook(user, hook_id)
    delivery = hook.deliveries.filter(pk=delivery_id).first()
    if delivery is None:
        raise not_found("delivery")
    if not do_redeliver(delivery.pk):
        raise ApiError(409, f"Delivery {delivery.pk} is still queued or being sent: wait for it to finish.")
    audit.record(user, "webhook.redelivered", hook, delivery=delivery.pk)
    delivery.refresh_from_db()
    return Status(202, _delivery(delivery))
