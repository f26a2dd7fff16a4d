"""The invitation email: HTML (tables, inline styles, eleven one-click score buttons) and plain text, translated.

The sender name is the survey's company; ``List-Unsubscribe`` and ``List-Unsubscribe-Post`` make one-click
unsubscribe work in mail clients (RFC 8058), and the footer links to the same unsubscribe page.  The envelope
sender is the invitation's own bounce address (VERP, ``tracking.bounce_address``), and every link goes
through a tracked redirect (``tracking.click_url``).

Speed: rendering two templates and building a MIME tree costs more than sending.  A ``Renderer`` therefore
builds each variant of a survey's email (language, reminder or not, with or without a name, open pixel or
not) once, with placeholders where the contact's values go, as the finished bytes; each email is then those
bytes with the placeholders replaced.  A variant whose placeholders did not survive encoding verbatim (say a
template line too long for 8-bit transfer) is rendered for each email instead.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from email.utils import formataddr, formatdate, make_msgid, parseaddr
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.core.mail.message import sanitize_address
from django.core.mail.utils import DNS_NAME
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from harken.collect import links, texts
from harken.distribution import tracking
from harken.distribution.models import Invitation

UNSUBSCRIBE_SALT = "harken.distribution.unsubscribe"


def unsubscribe_key(contact_id: int, channel: str) -> str:
    """The signed, never-expiring key of a contact's unsubscribe link for one channel."""
    return signing.Signer(salt=UNSUBSCRIBE_SALT).sign_object([contact_id, channel])


def unsign_unsubscribe_key(key: str) -> tuple[int, str]:
    """The contact id and channel inside an unsubscribe key; raises ``signing.BadSignature``."""
    value = signing.Signer(salt=UNSUBSCRIBE_SALT).unsign_object(key)
    if not (isinstance(value, list) and len(value) == 2 and isinstance(value[0], int) and isinstance(value[1], str)):
        raise signing.BadSignature("malformed unsubscribe key")
    return value[0], value[1]


def unsubscribe_url(invitation: Invitation) -> str:
    """The absolute address of the unsubscribe page for the invitation's contact and channel."""
    key = unsubscribe_key(invitation.contact_id, invitation.channel)
    return links.absolute(reverse("distribution:unsubscribe", args=[key]))


def language_of(invitation: Invitation) -> str:
    """The email's language: the invitation's, the contact's, the survey's, else English."""
    for code in (invitation.language, invitation.contact.language, invitation.survey.default_language):
        if texts.supported(code):
            return texts.supported(code) or "en"
    return "en"


def sender(invitation: Invitation) -> str:
    """``"Company" <address>``: the survey's company as sender name on the installation's sending address."""
    default_name, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    return formataddr((invitation.survey.company_name or default_name or settings.SITE_NAME, address))


def context_for(
    survey: Any, language: str, reminder: bool, signed: str, key: str, name: str, pixel: bool
) -> dict[str, object]:
    """Everything the two templates show, for a signed invitation token and an unsubscribe key."""
    company = survey.company_name or settings.SITE_NAME
    return {
        "company": company,
        "name": name,
        "question": texts.survey_text(survey, "nps_question", language),
        "low_label": texts.survey_text(survey, "low_label", language),
        "high_label": texts.survey_text(survey, "high_label", language),
        "scores": [(score, tracking.click_url(signed, str(score))) for score in range(11)],
        "survey_url": tracking.click_url(signed, tracking.SURVEY_TARGET),
        "pixel_url": tracking.pixel_url(signed) if pixel else "",
        "unsubscribe_url": links.absolute(reverse("distribution:unsubscribe", args=[key])),
        "accent": texts.readable_accent(survey.accent_color),
        "logo_url": survey.logo_url,
        "reminder": reminder,
        "language": language,
    }


def subject_for(company: str, reminder: bool) -> str:
    """The subject line, in the active language."""
    if reminder:
        return _("Reminder: %(company)s would like your opinion") % {"company": company}
    return _("%(company)s would like your opinion") % {"company": company}


class PreparedEmail(EmailMultiAlternatives):
    """An email whose finished bytes were made by a ``Renderer``; Django's backends send them as they are."""

    raw: bytes = b""
    envelope_from: str = ""  # both as an SMTP server takes them (``sanitize_address``)
    envelope_to: str = ""

    def message(self) -> Any:  # the backends only call as_bytes / as_string / get_charset on it
        return _Raw(self.raw)


class _Raw:
    def __init__(self, raw: bytes) -> None:
        self.raw = raw

    def as_bytes(self, unixfrom: bool = False, linesep: str = "\n") -> bytes:
        return self.raw if linesep == "\r\n" else self.raw.replace(b"\r\n", linesep.encode())

    def as_string(self, unixfrom: bool = False, linesep: str = "\n") -> str:
        return self.as_bytes(linesep=linesep).decode("utf-8", "surrogateescape")

    def get_charset(self) -> None:
        return None


# Placeholders: letters and digits only, so that URL quoting, HTML escaping and header encoding keep them.
SIGNED, KEY, NAME_TEXT, NAME_HTML, TO = "HkPhSigned7", "HkPhUnsubKey7", "HkPhNameText7", "HkPhNameHtml7", "HkPhTo7"
DATE, MESSAGE_ID, INVITATION = "HkPhDate7", "HkPhMessageId7", "HkPhInvitation7"
MAX_NAME = 200


@dataclass
class _Variant:
    raw: bytes | None  # ``None``: placeholders did not survive; render each email
    subject: str
    text: str
    html: str
    language: str


class Renderer:
    """Builds invitation emails, rendering each variant of each survey once (see the module docstring)."""

    def __init__(self) -> None:
        self.variants: dict[tuple[Any, ...], _Variant] = {}
        self.pixels: dict[int, bool] = {}

    def pixel(self, survey_id: int) -> bool:
        """Whether the survey's emails carry the open pixel (looked up once per survey)."""
        if survey_id not in self.pixels:
            self.pixels[survey_id] = bool(tracking.pixel_surveys({survey_id}))
        return self.pixels[survey_id]

    def message(self, invitation: Invitation, reminder: bool = False) -> EmailMultiAlternatives:
        """The complete invitation (or reminder) email for ``invitation``."""
        language = language_of(invitation)
        name = invitation.contact.name.strip()
        pixel = self.pixel(invitation.survey_id)
        key = (invitation.survey_id, language, reminder, bool(name), pixel)
        variant = self.variants.get(key)
        if variant is None:
            variant = self.variants[key] = _variant(invitation, language, reminder, bool(name), pixel)
        signed = links.sign_invitation(invitation)
        unsubscribe = unsubscribe_key(invitation.contact_id, invitation.channel)
        if variant.raw is None or len(name) > MAX_NAME:
            return _message(
                invitation,
                language,
                reminder,
                _render(invitation, language, reminder, signed, unsubscribe, name, pixel),
            )
        envelope_to = _smtp_address(invitation.contact.email)
        values = {
            SIGNED: signed,
            KEY: unsubscribe,
            NAME_TEXT: name,
            NAME_HTML: html.escape(name),
            TO: envelope_to,
            DATE: formatdate(localtime=settings.EMAIL_USE_LOCALTIME),
            MESSAGE_ID: make_msgid(domain=DNS_NAME),
            INVITATION: str(invitation.pk),
        }
        # ``body`` and the HTML alternative are filled too, for backends that keep the object (locmem, tests).
        email = PreparedEmail(
            subject=variant.subject,
            body=_fill_text(variant.text, values),
            from_email=tracking.bounce_address(invitation.pk),
            to=[invitation.contact.email],
            alternatives=[(_fill_text(variant.html, values), "text/html")],
        )
        email.envelope_from = _smtp_address(email.from_email)
        email.envelope_to = envelope_to
        email.raw = _fill(variant.raw, values)
        return email


PLAIN_ADDRESS = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9.-]+")


def _smtp_address(address: str) -> str:
    """``address`` as Django's backend would send it: a plain ASCII address as it is, else ``sanitize_address``."""
    return address if PLAIN_ADDRESS.fullmatch(address) else sanitize_address(address, "utf-8")


def _fill_text(text: str, values: dict[str, str]) -> str:
    for placeholder in (SIGNED, KEY, NAME_TEXT):
        text = text.replace(placeholder, values[placeholder])
    return text.replace(NAME_HTML, values[NAME_HTML])


def _fill(raw: bytes, values: dict[str, str]) -> bytes:
    for placeholder, value in values.items():
        raw = raw.replace(placeholder.encode(), value.encode())
    return raw


def _render(
    invitation: Invitation,
    language: str,
    reminder: bool,
    signed: str,
    key: str,
    name: str,
    pixel: bool,
    html_name: str | None = None,
) -> tuple[str, str, str]:
    """(subject, text, html) of an invitation in ``language``."""
    with translation.override(language):
        context = context_for(invitation.survey, language, reminder, signed, key, name, pixel)
        subject = subject_for(str(context["company"]), reminder)
        text = render_to_string("distribution/email/invitation.txt", context)
        if html_name is not None:
            context["name"] = html_name
        body = render_to_string("distribution/email/invitation.html", context)
    return subject, text, body


def _message(
    invitation: Invitation,
    language: str,
    reminder: bool,
    parts: tuple[str, str, str],
    headers: dict[str, str] | None = None,
    to: str | None = None,
) -> EmailMultiAlternatives:
    subject, text, body = parts
    key = unsubscribe_key(invitation.contact_id, invitation.channel)
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=tracking.bounce_address(invitation.pk),
        to=[to or invitation.contact.email],
        headers={
            "From": sender(invitation),
            "List-Unsubscribe": f"<{links.absolute(reverse('distribution:unsubscribe', args=[key]))}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "X-Harken-Invitation": str(invitation.pk),
            "Content-Language": language,
            **(headers or {}),
        },
    )
    message.attach_alternative(body, "text/html")
    return message


def _variant(invitation: Invitation, language: str, reminder: bool, named: bool, pixel: bool) -> _Variant:
    """One variant's bytes with placeholders, checked to contain each placeholder as often as rendered."""
    parts = _render(
        invitation, language, reminder, SIGNED, KEY, NAME_TEXT if named else "", pixel, NAME_HTML if named else ""
    )
    headers = {"Date": DATE, "Message-ID": MESSAGE_ID, "X-Harken-Invitation": INVITATION}
    message = _message(invitation, language, reminder, parts, headers, to=f"{TO.lower()}@placeholder.invalid")
    message.extra_headers["List-Unsubscribe"] = message.extra_headers["List-Unsubscribe"].replace(
        unsubscribe_key(invitation.contact_id, invitation.channel), KEY
    )
    raw = message.message().as_bytes(linesep="\r\n").replace(f"{TO.lower()}@placeholder.invalid".encode(), TO.encode())
    subject, text, body = parts
    expected = {
        SIGNED: text.count(SIGNED) + body.count(SIGNED),
        KEY: text.count(KEY) + body.count(KEY) + 1,
        NAME_TEXT: text.count(NAME_TEXT),
        NAME_HTML: body.count(NAME_HTML),
        TO: 1,
        DATE: 1,
        MESSAGE_ID: 1,
        INVITATION: 1,
    }
    intact = all(raw.count(placeholder.encode()) == count for placeholder, count in expected.items())
    return _Variant(raw if intact else None, subject, text, body, language)


def build_message(invitation: Invitation, reminder: bool = False) -> EmailMultiAlternatives:
    """The complete invitation (or reminder) email for ``invitation`` (one email: see ``Renderer`` for many)."""
    return Renderer().message(invitation, reminder)
