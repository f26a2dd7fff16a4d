"""Pages to manage webhook endpoints: list, create, edit, rotate the secret, and read the delivery log.

The signing secret is shown once, right after it was made (creation or rotation), then never again.
Administrators manage every endpoint; managers those bound to a unit of their subtree.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.views.decorators.http import require_POST

from harken.integrations.webhooks.delivery import do_redeliver
from harken.integrations.webhooks.forms import WebhookForm
from harken.integrations.webhooks.models import Delivery, Webhook, new_secret
from harken.loop import authority
from harken.org import audit

DELIVERIES_PER_PAGE = 50
SECRET_SESSION_KEY = "webhook-secret-{}"  # noqa: S105 (a session key name, not a secret)


def _check(request: HttpRequest) -> None:
    if not authority.may_configure(request.user):
        raise PermissionDenied("Webhooks are managed by administrators and managers.")


def _hooks(request: HttpRequest) -> Any:
    return authority.scope_config(Webhook.objects.all(), request.user).select_related("unit")


def _hook_or_404(request: HttpRequest, hook_id: int) -> Webhook:
    hook = _hooks(request).filter(pk=hook_id).first()
    if hook is None:
        raise Http404("No such endpoint")
    return hook


def webhooks(request: HttpRequest) -> TemplateResponse:
    """The endpoints the user may manage, with their latest delivery state."""
    _check(request)
    hooks = list(_hooks(request))
    latest = {}
    for hook in hooks:
        latest[hook.pk] = hook.deliveries.order_by("-created_at", "-pk").first()
    rows = [(hook, latest[hook.pk]) for hook in hooks]
    return TemplateResponse(request, "webhooks/list.html", {"rows": rows, "here": "webhooks"})


def webhook_new(request: HttpRequest) -> HttpResponse:
    """Create an endpoint; its secret is shown once on the next page."""
    _check(request)
    form = WebhookForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        hook = form.save()
        request.session[SECRET_SESSION_KEY.format(hook.pk)] = hook.secret
        audit.record(request.user, "webhook.created", hook)
        return redirect("webhooks:detail", hook_id=hook.pk)
    return TemplateResponse(request, "webhooks/form.html", {"form": form, "hook": None, "here": "webhooks"})


def webhook_edit(request: HttpRequest, hook_id: int) -> HttpResponse:
    """Change an endpoint's name, URL, kind, events, unit or state (the secret has its own button)."""
    _check(request)
    hook = _hook_or_404(request, hook_id)
    form = WebhookForm(request.POST or None, instance=hook, user=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        audit.record(request.user, "webhook.changed", hook)
        messages.success(request, f"Saved “{hook.name}”.")
        return redirect("webhooks:detail", hook_id=hook.pk)
    return TemplateResponse(request, "webhooks/form.html", {"form": form, "hook": hook, "here": "webhooks"})


def webhook_detail(request: HttpRequest, hook_id: int) -> TemplateResponse:
    """One endpoint: its settings, the secret if it was just made, and the delivery log."""
    _check(request)
    hook = _hook_or_404(request, hook_id)
    secret = request.session.pop(SECRET_SESSION_KEY.format(hook.pk), None)
    state = request.GET.get("state", "")
    deliveries = hook.deliveries.all()
    if state in Delivery.State.values:
        deliveries = deliveries.filter(state=state)
    page = Paginator(deliveries, DELIVERIES_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "hook": hook,
        "secret": secret,
        "page": page,
        "state": state,
        "states": Delivery.State.choices,
        "here": "webhooks",
    }
    response = TemplateResponse(request, "webhooks/detail.html", context)
    if secret:
        response["Cache-Control"] = "no-store"  # the secret must not stay in a cache
    return response


@require_POST
def webhook_rotate(request: HttpRequest, hook_id: int) -> HttpResponse:
    """POST: give the endpoint a new signing secret, shown once; deliveries from now on are signed with it."""
    _check(request)
    hook = _hook_or_404(request, hook_id)
    hook.secret = new_secret()
    hook.save(update_fields=["secret"])
    request.session[SECRET_SESSION_KEY.format(hook.pk)] = hook.secret
    audit.record(request.user, "webhook.secret_rotated", hook)
    return redirect("webhooks:detail", hook_id=hook.pk)


@require_POST
def delivery_redeliver(request: HttpRequest, delivery_id: int) -> HttpResponse:
    """POST: send a delivered or failed delivery again now, with the same event id."""
    _check(request)
    delivery = Delivery.objects.filter(pk=delivery_id, webhook__in=_hooks(request)).first()
    if delivery is None:
        raise Http404("No such delivery")
    if do_redeliver(delivery.pk):
        audit.record(request.user, "webhook.redelivered", delivery.webhook, delivery=delivery.pk)
        messages.success(request, f"Delivery {delivery.pk} is queued again.")
    else:
        messages.error(request, f"Delivery {delivery.pk} is still queued or being sent: wait for it to finish.")
    return redirect("webhooks:detail", hook_id=delivery.webhook_id)
