"""The invitation email: HTML (tables, inline styles, eleven one-click score buttons) and plain text, translated.

The sender name is the survey's company; ``List-Unsubscribe`` and ``List-Unsubscribe-Post`` make one-click
unsubscribe work in mail clients (RFC 8058), and the footer links to the same unsubscribe page.
"""

from __future__ import annotations

from email.utils import formataddr, parseaddr

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from harken.collect import links, texts
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


def score_urls(invitation: Invitation) -> list[str]:
    """The eleven one-click links (``links.score_url``), signed and reversed once, the score put in by hand."""
    zero = links.score_url(invitation, 0)
    base = zero.removesuffix("0/")
    if not zero.endswith("/0/"):  # the collect URL shape changed: fall back to reversing each
        return links.score_urls(invitation)
    return [f"{base}{score}/" for score in range(11)]


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


def context_for(invitation: Invitation, language: str, reminder: bool) -> dict[str, object]:
    """Everything the two templates show."""
    survey = invitation.survey
    company = survey.company_name or settings.SITE_NAME
    return {
        "company": company,
        "name": invitation.contact.name,
        "question": texts.survey_text(survey, "nps_question", language),
        "low_label": texts.survey_text(survey, "low_label", language),
        "high_label": texts.survey_text(survey, "high_label", language),
        "scores": list(enumerate(score_urls(invitation))),
        "survey_url": links.survey_url(invitation),
        "unsubscribe_url": unsubscribe_url(invitation),
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


def build_message(invitation: Invitation, reminder: bool = False) -> EmailMultiAlternatives:
    """The complete invitation (or reminder) email for ``invitation``."""
    language = language_of(invitation)
    with translation.override(language):
        context = context_for(invitation, language, reminder)
        subject = subject_for(str(context["company"]), reminder)
        text = render_to_string("distribution/email/invitation.txt", context)
        html = render_to_string("distribution/email/invitation.html", context)
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=sender(invitation),
        to=[invitation.contact.email],
        headers={
            "List-Unsubscribe": f"<{context['unsubscribe_url']}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "X-Harken-Invitation": str(invitation.pk),
            "Content-Language": language,
        },
    )
    message.attach_alternative(html, "text/html")
    return message
