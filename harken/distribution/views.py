"""The public unsubscribe page, and the RFC 8058 one-click unsubscribe that mail clients POST to."""

from __future__ import annotations

import hmac

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core import signing
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.utils import translation
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from harken.collect import links, texts
from harken.contacts.consent import do_unsubscribe
from harken.contacts.models import Contact
from harken.distribution import sms
from harken.distribution.emails import unsign_unsubscribe_key
from harken.distribution.models import Invitation


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


@login_not_required
@require_http_methods(["GET"])
def short_link(request: HttpRequest, token: str) -> HttpResponse:
    """The short link of a text message: redirect to the invitation's signed survey link."""
    invitation = Invitation.objects.filter(token=token).first()
    if invitation is None:
        return HttpResponse("This survey link is not valid.", status=404, content_type="text/plain")
    response = HttpResponseRedirect(links.survey_url(invitation))
    response["Cache-Control"] = "no-store"
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
