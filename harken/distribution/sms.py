"""SMS invitations: a short message with a short link, sent through a provider; opt-out keywords honoured.

``HARKEN_SMS_URL`` selects the provider.  One is built in: any Twilio-compatible REST API,
``twilio://ACCOUNT_SID:AUTH_TOKEN@api.twilio.com/?from=%2B15550001111`` (``twilio+http://`` for a plain-HTTP
stand-in, as the tests use).  Replies such as STOP reach ``/sms/inbound`` (Twilio's webhook format, checked
with its ``X-Twilio-Signature``) and unsubscribe the number from SMS.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Protocol

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from harken.collect import links
from harken.distribution import emails
from harken.distribution.models import Invitation

OPT_OUT_WORDS = {"stop", "stopall", "unsubscribe", "cancel", "end", "quit", "arret", "arrêt", "baja", "stopp"}


class SmsError(Exception):
    """A send that failed; ``permanent`` when retrying cannot help (an invalid or blocked number)."""

    def __init__(self, message: str, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


class SmsProvider(Protocol):
    """Anything that can send one text message and return the provider's message id."""

    def send(self, to: str, body: str) -> str: ...


@dataclass(frozen=True)
class TwilioProvider:
    """Twilio's Messages API (and compatible services): ``POST /2010-04-01/Accounts/{sid}/Messages.json``."""

    base_url: str
    account_sid: str
    auth_token: str
    sender: str
    timeout: float = 10.0

    def send(self, to: str, body: str) -> str:
        url = f"{self.base_url}/2010-04-01/Accounts/{urllib.parse.quote(self.account_sid)}/Messages.json"
        data = urllib.parse.urlencode({"To": to, "From": self.sender, "Body": body}).encode()
        credentials = base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        request = urllib.request.Request(url, data=data, method="POST")  # noqa: S310 (always http or https)
        request.add_header("Authorization", f"Basic {credentials}")
        request.add_header("Content-Type", "application/x-www-form-urlencoded")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310 (URL from settings)
                return str(json.loads(response.read() or b"{}").get("sid", ""))
        except urllib.error.HTTPError as error:
            detail = error.read()[:500].decode(errors="replace")
            permanent = 400 <= error.code < 500 and error.code not in (408, 429)
            raise SmsError(f"HTTP {error.code}: {detail}", permanent=permanent) from None
        except (urllib.error.URLError, OSError) as error:
            raise SmsError(f"{type(error).__name__}: {error}") from None


def provider_from_url(url: str) -> TwilioProvider:
    """The provider an ``HARKEN_SMS_URL`` describes; raises ``ImproperlyConfigured`` naming the problem."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("twilio", "twilio+http"):
        raise ImproperlyConfigured(f"HARKEN_SMS_URL: unknown provider {parts.scheme!r} (use twilio://)")
    sender = urllib.parse.parse_qs(parts.query).get("from", [""])[0]
    if not (parts.username and parts.password and parts.hostname and sender):
        raise ImproperlyConfigured("HARKEN_SMS_URL: expected twilio://ACCOUNT_SID:AUTH_TOKEN@host/?from=NUMBER")
    scheme = "http" if parts.scheme == "twilio+http" else "https"
    host = parts.hostname + (f":{parts.port}" if parts.port else "")
    return TwilioProvider(
        base_url=f"{scheme}://{host}",
        account_sid=urllib.parse.unquote(parts.username),
        auth_token=urllib.parse.unquote(parts.password),
        sender=sender,
    )


def provider() -> SmsProvider:
    """The configured SMS provider; raises ``SmsError`` (permanent) when SMS is not set up."""
    if not settings.SMS_URL:
        raise SmsError("SMS is not configured (HARKEN_SMS_URL)", permanent=True)
    return provider_from_url(settings.SMS_URL)


def short_url(invitation: Invitation) -> str:
    """A short link for a text message: the invitation's random token, redirecting to its signed survey link."""
    return links.absolute(reverse("distribution:short", args=[invitation.token]))


def message_for(invitation: Invitation, reminder: bool = False) -> str:
    """The text message, in the contact's language: who asks, the link, how to opt out."""
    with translation.override(emails.language_of(invitation)):
        company = invitation.survey.company_name or settings.SITE_NAME
        text = (
            _("Reminder from %(company)s: how likely are you to recommend us? %(url)s Reply STOP to opt out.")
            if reminder
            else _("%(company)s: how likely are you to recommend us? %(url)s Reply STOP to opt out.")
        )
        return text % {"company": company, "url": short_url(invitation)}


def is_opt_out(body: str) -> bool:
    """Whether a reply is an opt-out keyword (STOP, UNSUBSCRIBE, ARRET, BAJA …), alone on the message."""
    return body.strip().strip(".!").casefold() in OPT_OUT_WORDS


def twilio_signature(auth_token: str, url: str, params: dict[str, str]) -> str:
    """Twilio's request signature: HMAC-SHA1 of the URL followed by each sorted parameter name and value."""
    payload = url + "".join(f"{name}{params[name]}" for name in sorted(params))
    digest = hmac.new(auth_token.encode(), payload.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()
