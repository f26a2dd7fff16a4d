"""Public pages of sending: unsubscribe (with RFC 8058 one-click POST), SMS short links, tracked links and the
open pixel; and the staff page of response rates (``rates``)."""

from __future__ import annotations

import hmac

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import translation
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from harken.analytics import periods
from harken.api.auth import is_global_administrator
from harken.collect import links, ratelimit, scanners, texts
from harken.contacts.consent import do_unsubscribe
from harken.contacts.models import Contact
from harken.dashboards import selection
from harken.distribution import rates, sms, tracking
from harken.distribution.emails import unsign_unsubscribe_key
from harken.distribution.models import Channel, Invitation
from harken.org import audit
from harken.org.scoping import visible_units
from harken.surveys.models import Survey, Touchpoint


@login_not_required
@csrf_exempt  # RFC 8058: the mail provider POSTs "List-Unsubscribe=One-Click" without any cookie or token
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, key: str) -> HttpResponse:
    """GET asks for confirmation; POST (the button, or a mail client's one-click) unsubscribes."""
    try:
        contact_id, channel = unsign_unsubscribe_key(key)
    except signing.BadSignature:
        return HttpResponse("This unsubscribe link is not valid.", status=400, content_type="text/plain")
    contact = Contact.objects.filter(pk=contact_id).first()
    language = texts.choose_language(request, contact.language if contact else None)
    done = False
    if request.method == "POST" and contact is not None:
        do_unsubscribe(contact.pk, channel)
        done = True
    with translation.override(language):
        context = {"contact": contact, "done": done, "language": language, "channel": channel}
        response = TemplateResponse(request, "distribution/unsubscribe.html", context)
        response.render()
    response["Cache-Control"] = "no-store"
    return response


def _plain(message: str, status: int) -> HttpResponse:
    response = HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")
    response["Cache-Control"] = "no-store"
    return response


def _limited(request: HttpRequest, token: str) -> HttpResponse | None:
    """A 429 answer when this address or link is over its rate limit (the survey pages' limits), else ``None``."""
    try:
        ratelimit.check_rate(ratelimit.per_ip("track", request), ratelimit.per_token("track", token))
    except ratelimit.RateLimited as exc:
        response = _plain(str(exc), 429)
        response["Retry-After"] = str(exc.retry_after)
        return response
    return None


@login_not_required
@require_http_methods(["GET"])
def short_link(request: HttpRequest, token: str) -> HttpResponse:
    """The short link of a text message: record the click, redirect to the invitation's signed survey link."""
    limited = _limited(request, token)
    if limited is not None:
        return limited
    invitation = Invitation.objects.filter(token=token).first()
    if invitation is None:
        return _plain("This survey link is not valid.", 404)
    tracking.do_record_click(invitation.pk)
    response = HttpResponseRedirect(links.survey_url(invitation))
    response["Cache-Control"] = "no-store"
    return response


def _tracked_invitation(request: HttpRequest, signed: str) -> tuple[int | None, HttpResponse | None]:
    """The invitation id behind a signed tracked link, or the answer to give instead (bad, expired, limited)."""
    try:
        token = links.unsign_invitation(signed)
    except links.BadLink as exc:
        return None, _plain(str(exc), 410 if exc.expired else 400)
    limited = _limited(request, token)
    if limited is not None:
        return None, limited
    return Invitation.objects.filter(token=token).values_list("pk", flat=True).first(), None


@login_not_required
@require_http_methods(["GET", "HEAD"])
def click(request: HttpRequest, signed: str, target: str) -> HttpResponse:
    """A tracked link of an invitation email: record the first click, then go to the survey or the score."""
    if target not in tracking.TARGETS:
        return _plain("This survey link is not valid.", 404)
    invitation_id, problem = _tracked_invitation(request, signed)
    if problem is not None:
        return problem
    # Mail filters' link scanners (HEAD requests, known user agents) follow links nobody clicked.
    is_scanner = scanners.scanner_reason(request.method or "GET", request.headers.get("User-Agent", "")) is not None
    if invitation_id is not None and not is_scanner:
        tracking.do_record_click(invitation_id)
    response = HttpResponseRedirect(tracking.destination(signed, target))
    response["Cache-Control"] = "no-store"
    return response


@login_not_required
@require_http_methods(["GET"])
def open_pixel(request: HttpRequest, signed: str) -> HttpResponse:
    """The 1×1 open pixel (only in emails of surveys that switched it on): record the first open."""
    invitation_id, problem = _tracked_invitation(request, signed)
    if problem is not None:
        return problem
    if invitation_id is not None:
        tracking.do_record_open(invitation_id)
    response = HttpResponse(tracking.PIXEL, content_type="image/gif")
    response["Cache-Control"] = "no-store, private"
    return response


@login_not_required
@csrf_exempt  # the SMS provider posts here; its signature is checked instead
@require_http_methods(["POST"])
def sms_inbound(request: HttpRequest) -> HttpResponse:
    """Incoming text messages (Twilio's webhook format): an opt-out keyword unsubscribes the number from SMS."""
    params = {key: request.POST.get(key, "") for key in request.POST}
    if settings.SMS_URL:
        token = sms.provider_from_url(settings.SMS_URL).auth_token
        expected = sms.twilio_signature(token, links.absolute(request.path), params)
        if not hmac.compare_digest(expected, request.headers.get("X-Twilio-Signature", "")):
            return HttpResponse("Bad signature", status=403, content_type="text/plain")
    if sms.is_opt_out(params.get("Body", "")):
        for contact_id in Contact.objects.filter(phone=params.get("From", "").strip()).values_list("pk", flat=True):
            do_unsubscribe(contact_id, "sms")
    return HttpResponse("<Response/>", content_type="text/xml")


# --- Staff: response rates ----------------------------------------------------------------------------------


def rates_page(request: HttpRequest) -> HttpResponse:
    """Sent → delivered → opened → clicked → answered, and bounces, per survey, touchpoint and unit, for the
    dashboards' period and unit filters, counted over the units the viewer may see.  Organisation-wide
    administrators switch the open pixel of each survey here (POST)."""
    may_configure = is_global_administrator(request.user)  # type: ignore[arg-type]
    if request.method == "POST":
        if not may_configure:
            raise PermissionDenied("Only administrators of the whole organisation may change tracking.")
        return _save_pixels(request)
    chosen = selection.read(request.GET, request.user)
    filters = chosen.filters()
    context = {
        "sel": chosen,
        "qs": chosen.querystring,
        "total": rates.total(filters, request.user),
        "groups": [(name, title, rates.by(name, filters, request.user)) for name, title in RATE_GROUPS],
        "stages": rates.STAGES,
        "period_choices": list(periods.PRESETS.items()),
        "unit_choices": _unit_choices(request),
        "survey_choices": list(Survey.objects.values_list("pk", "name")),
        "touchpoint_choices": list(Touchpoint.objects.values_list("pk", "name")),
        "channel_choices": [(Channel.EMAIL.value, "Email"), (Channel.SMS.value, "SMS")],
        "may_configure": may_configure,
        "pixels": _pixel_rows() if may_configure else [],
        "saved": request.GET.get("saved") == "1",
    }
    name = (
        "distribution/rates.html#panels" if request.headers.get("HX-Request") == "true" else "distribution/rates.html"
    )
    response = TemplateResponse(request, name, context)
    if request.headers.get("HX-Trigger") == "filters":
        response["HX-Push-Url"] = f"{request.path}?{chosen.querystring}"
    return response


RATE_GROUPS = (("survey", "By survey"), ("touchpoint", "By touchpoint"), ("unit", "By unit"))


def _unit_choices(request: HttpRequest) -> list[tuple[int, str]]:
    units = list(visible_units(request.user).order_by("path"))
    top = min((unit.depth for unit in units), default=0)
    return [(unit.pk, "\u2003" * (unit.depth - top) + unit.name) for unit in units]


def _pixel_rows() -> list[tuple[Survey, bool]]:
    on = tracking.pixel_surveys(set(Survey.objects.values_list("pk", flat=True)))
    return [(survey, survey.pk in on) for survey in Survey.objects.order_by("name")]


def _save_pixels(request: HttpRequest) -> HttpResponse:
    chosen = {value for value in request.POST.getlist("open_pixel") if value.isdigit()}
    for survey in Survey.objects.all():
        on = str(survey.pk) in chosen
        if on != (survey.pk in tracking.pixel_surveys({survey.pk})):
            tracking.do_set_open_pixel(survey.pk, on)
            audit.record(request.user, "survey.open_pixel", survey, open_pixel=on)
    return HttpResponseRedirect(reverse("distribution:rates") + "?saved=1#tracking")
