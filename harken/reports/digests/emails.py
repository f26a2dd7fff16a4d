"""The digest email: HTML (tables and inline styles, like the invitations) and a plain-text part.

``List-Unsubscribe`` and ``List-Unsubscribe-Post`` give mail clients a one-click unsubscribe (RFC 8058); the
footer links to the same page.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse

from harken.analytics.templatetags.nps import nps as signed
from harken.collect import links
from harken.reports.digests.content import Digest, period_heading, period_label
from harken.reports.digests.models import Frequency, Subscription

UNSUBSCRIBE_SALT = "harken.digests.unsubscribe"


def unsubscribe_key(subscription_id: int) -> str:
    """The signed, never-expiring key of a subscription's unsubscribe link."""
    return signing.Signer(salt=UNSUBSCRIBE_SALT).sign_object(subscription_id)


def unsign_unsubscribe_key(key: str) -> int:
    """The subscription id inside an unsubscribe key; raises ``signing.BadSignature``."""
    value = signing.Signer(salt=UNSUBSCRIBE_SALT).unsign_object(key)
    if isinstance(value, bool) or not isinstance(value, int):
        raise signing.BadSignature("malformed unsubscribe key")
    return value


def unsubscribe_url(subscription: Subscription) -> str:
    return links.absolute(reverse("digests:unsubscribe", args=[unsubscribe_key(subscription.pk)]))


def dashboard_url(digest: Digest) -> str:
    """The overview for the same dates (and the unit, when the digest is about one)."""
    query: list[tuple[str, str]] = [("period", "custom"), ("from", str(digest.start)), ("to", str(digest.end))]
    if len(digest.scope) == 1:
        query.append(("unit", str(digest.scope[0].pk)))
    return links.absolute(reverse("dashboards:overview")) + "?" + urlencode(query)


def subject_for(subscription: Subscription, digest: Digest) -> str:
    """E.g. "Weekly NPS digest · North · Week of 16 Nov 2026: NPS +20.0 (n = 10)"."""
    label = period_label(subscription.frequency, digest.start, digest.end)
    frequency = subscription.frequency.capitalize()
    score = f"NPS {signed(digest.summary.nps)} (n = {digest.summary.n})"
    return f"{frequency} NPS digest · {digest.scope_name} · {label}: {score}"


def context_for(subscription: Subscription, digest: Digest) -> dict[str, Any]:
    """Everything the two templates show."""
    return {
        "digest": digest,
        "subject": subject_for(subscription, digest),
        "site_name": settings.SITE_NAME,
        "frequency_label": subscription.frequency.capitalize(),
        "frequency_name": Frequency(subscription.frequency).label,
        "period_label": period_label(subscription.frequency, digest.start, digest.end),
        "period_heading": period_heading(subscription.frequency, digest.start, digest.end),
        "confidence": settings.CONFIDENCE,
        "installation_zone": settings.TIME_ZONE,
        "base_url": settings.BASE_URL.rstrip("/"),
        "dashboard_url": dashboard_url(digest),
        "unsubscribe_url": unsubscribe_url(subscription),
    }


def render(subscription: Subscription, digest: Digest) -> tuple[str, str, str]:
    """(subject, plain text, HTML) of the digest."""
    context = context_for(subscription, digest)
    text = render_to_string("digests/email/digest.txt", context)
    html = render_to_string("digests/email/digest.html", context)
    return str(context["subject"]), text, html


def build_message(subscription: Subscription, digest: Digest, recipient: str) -> EmailMultiAlternatives:
    """The complete digest email to ``recipient``."""
    subject, text, html = render(subscription, digest)
    url = unsubscribe_url(subscription)
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        to=[recipient],
        headers={
            "List-Unsubscribe": f"<{url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "X-Harken-Digest": f"{subscription.pk}:{digest.start.isoformat()}",
        },
    )
    message.attach_alternative(html, "text/html")
    return message
