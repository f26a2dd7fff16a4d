"""Digest pages: "My digests" (subscribe, stop, preview), the administrators' page, and the public unsubscribe."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from harken.org.models import Membership, Unit
from harken.org.scoping import visible_units
from harken.reports.digests import content, emails, schedule, sending
from harken.reports.digests.forms import OtherSubscriptionForm, SubscriptionForm
from harken.reports.digests.models import DigestSend, Subscription


def is_admin(user: Any) -> bool:
    """Superusers and users with the administrator role manage everyone's digests."""
    if not user.is_authenticated:
        return False
    return bool(user.is_superuser) or Membership.objects.filter(user_id=user.pk, role=Membership.Role.ADMIN).exists()


def my_digests(request: HttpRequest) -> HttpResponse:
    """The user's subscriptions and a form to add one."""
    units = visible_units(request.user)
    form = SubscriptionForm(request.POST or None, units=units)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        sending.do_subscribe(
            frequency=data["frequency"],
            units=data["units"],
            time_zone=data["time_zone"],
            send_hour=data["send_hour"],
            user=request.user,
            created_by=request.user,
        )
        messages.success(request, "Subscribed. Your first digest arrives when the current period ends.")
        return redirect("digests:mine")
    subscriptions = Subscription.objects.filter(user_id=int(request.user.pk or 0)).prefetch_related("units", "sends")
    context = {"form": form, "subscriptions": subscriptions, "is_admin": is_admin(request.user)}
    return TemplateResponse(request, "digests/mine.html", context)


def manage(request: HttpRequest) -> HttpResponse:
    """Administrators: everyone's subscriptions, subscribing people without a login, and the send log."""
    if not is_admin(request.user):
        raise PermissionDenied("Only administrators manage other people's digests.")
    form = OtherSubscriptionForm(request.POST or None, units=Unit.objects.all())
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        sending.do_subscribe(
            frequency=data["frequency"],
            units=data["units"],
            time_zone=data["time_zone"],
            send_hour=data["send_hour"],
            email=data["email"],
            name=data["name"],
            created_by=request.user,
        )
        messages.success(request, f"{data['email']} is subscribed.")
        return redirect("digests:manage")
    context = {
        "form": form,
        "subscriptions": Subscription.objects.select_related("user").prefetch_related("units"),
        "sends": DigestSend.objects.select_related("subscription", "subscription__user")[:50],
    }
    return TemplateResponse(request, "digests/manage.html", context)


def _own_or_admin(request: HttpRequest, subscription_id: int) -> Subscription:
    subscription = Subscription.objects.select_related("user").filter(pk=subscription_id).first()
    if subscription is None or not (subscription.user_id == request.user.pk or is_admin(request.user)):
        raise Http404("No such subscription")
    return subscription


@require_POST
def change(request: HttpRequest, subscription_id: int) -> HttpResponse:
    """Stop, resume or delete a subscription (its owner, or an administrator)."""
    subscription = _own_or_admin(request, subscription_id)
    action = request.POST.get("action")
    if action == "stop":
        sending.do_unsubscribe(subscription.pk)
        messages.success(request, "Stopped: no more digests for this subscription.")
    elif action == "resume":
        sending.do_update(subscription, is_active=True)
        messages.success(request, "Resumed: the next digest covers the current period.")
    elif action == "delete":
        subscription.delete()
        messages.success(request, "Subscription deleted.")
    else:
        messages.error(request, "Unknown action: choose stop, resume or delete.")
    back = request.POST.get("next", "")
    if back and url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        return redirect(back)
    return redirect("digests:mine")


def preview(request: HttpRequest, subscription_id: int) -> HttpResponse:
    """The digest as its reader would get it now, for the last ended period (``?period=current``: so far)."""
    subscription = _own_or_admin(request, subscription_id)
    today = sending.today_here()
    start, end = schedule.period_containing(subscription.frequency, today)
    if request.GET.get("period") != "current":
        start, end = schedule.period_containing(subscription.frequency, start - dt.timedelta(days=1))
    digest = content.build(list(subscription.units.all()), start, end, subscription.user)
    subject, _text, html = emails.render(subscription, digest)
    response = HttpResponse(html)
    response["X-Digest-Subject"] = subject.encode("ascii", "replace").decode()
    return response


@login_not_required
@csrf_exempt  # RFC 8058: mail providers POST "List-Unsubscribe=One-Click" without cookies or tokens
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, key: str) -> HttpResponse:
    """GET asks for confirmation; POST (the button, or a mail client's one-click) stops the digests."""
    try:
        subscription_id = emails.unsign_unsubscribe_key(key)
    except signing.BadSignature:
        return HttpResponse("This unsubscribe link is not valid.", status=400, content_type="text/plain")
    subscription = Subscription.objects.filter(pk=subscription_id).first()
    done = False
    if request.method == "POST" and subscription is not None:
        sending.do_unsubscribe(subscription.pk)
        done = True
    context = {"subscription": subscription, "done": done, "site_name": settings.SITE_NAME, "now": timezone.now()}
    response = TemplateResponse(request, "digests/unsubscribe.html", context)
    response["Cache-Control"] = "no-store"
    return response
