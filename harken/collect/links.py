"""Signed links to the public survey pages.

Every link a customer receives carries a signature made with ``SECRET_KEY``; nothing personal is in a URL.

- An invitation link signs the invitation's random token with a timestamp, so it expires after
  ``SURVEY_LINK_MAX_AGE_DAYS`` (default 120) days:  ``/s/<signed token>/`` and, for the eleven one-click
  scores in an email, ``/s/<signed token>/<score>/``.
- An anonymous link (a QR code on a counter, a kiosk, a link on a receipt) signs which survey, unit and
  channel it is for; it never expires, because it may be printed:  ``/a/<key>/`` and ``/k/<key>/`` (kiosk).

The email-sending code imports ``survey_url(invitation)`` and ``score_url(invitation, score)``.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils.translation import gettext_noop

from harken.distribution.models import Channel, Invitation
from harken.org.models import Unit
from harken.surveys.models import Survey

INVITATION_SALT = "harken.collect.invitation"
ANONYMOUS_SALT = "harken.collect.anonymous"
SUBMISSION_SALT = "harken.collect.submission"
DEFAULT_MAX_AGE_DAYS = 120
ANONYMOUS_CHANNELS = (Channel.LINK, Channel.KIOSK)


class BadLink(Exception):
    """A link that is tampered with, truncated or expired; ``expired`` tells which."""

    def __init__(self, message: str, *, expired: bool = False) -> None:
        super().__init__(message)
        self.expired = expired


def max_age_seconds() -> int:
    """How long an invitation link stays valid."""
    return int(getattr(settings, "SURVEY_LINK_MAX_AGE_DAYS", DEFAULT_MAX_AGE_DAYS)) * 86400


def sign_invitation(invitation: Invitation) -> str:
    """The signed, timestamped form of the invitation's token used in its links."""
    return signing.TimestampSigner(salt=INVITATION_SALT).sign(invitation.token)


def unsign_invitation(signed: str) -> str:
    """The invitation token inside a signed link value; raises ``BadLink``."""
    try:
        return signing.TimestampSigner(salt=INVITATION_SALT).unsign(signed, max_age=max_age_seconds())
    except signing.SignatureExpired:
        raise BadLink(gettext_noop("This survey link has expired."), expired=True) from None
    except signing.BadSignature:
        raise BadLink(gettext_noop("This survey link is not valid.")) from None


def absolute(path: str) -> str:
    """``path`` on the public address of the installation (``BASE_URL``)."""
    return settings.BASE_URL.rstrip("/") + path


def survey_url(invitation: Invitation) -> str:
    """The absolute address of the survey page for an invitation."""
    return absolute(reverse("collect:invitation", args=[sign_invitation(invitation)]))


def score_url(invitation: Invitation, score: int) -> str:
    """The absolute one-click address that records ``score`` (0–10) for an invitation."""
    if isinstance(score, bool) or not isinstance(score, int) or not 0 <= score <= 10:
        raise ValueError(f"A score link needs a whole number from 0 to 10, got {score!r}")
    return absolute(reverse("collect:one_click", args=[sign_invitation(invitation), score]))


def score_urls(invitation: Invitation) -> list[str]:
    """The eleven one-click links, for scores 0 to 10, signed once."""
    signed = sign_invitation(invitation)
    return [absolute(reverse("collect:one_click", args=[signed, score])) for score in range(11)]


@dataclass(frozen=True)
class AnonymousTarget:
    """What an anonymous link is for."""

    survey_id: int
    unit_id: int
    channel: str


def anonymous_key(survey: Survey, unit: Unit, channel: str = Channel.LINK) -> str:
    """The signed key of the anonymous survey of ``survey`` for ``unit`` on ``channel``."""
    if channel not in ANONYMOUS_CHANNELS:
        raise ValueError(f"Anonymous links are for {', '.join(ANONYMOUS_CHANNELS)}, not {channel!r}")
    return signing.Signer(salt=ANONYMOUS_SALT).sign_object([survey.pk, unit.pk, str(channel)])


def unsign_anonymous(key: str) -> AnonymousTarget:
    """The survey, unit and channel inside an anonymous key; raises ``BadLink``."""
    try:
        value = signing.Signer(salt=ANONYMOUS_SALT).unsign_object(key)
        survey_id, unit_id, channel = value
        if not isinstance(survey_id, int) or not isinstance(unit_id, int) or channel not in ANONYMOUS_CHANNELS:
            raise ValueError(value)
    except (signing.BadSignature, ValueError, TypeError):
        raise BadLink(gettext_noop("This survey link is not valid.")) from None
    return AnonymousTarget(survey_id=survey_id, unit_id=unit_id, channel=channel)


def anonymous_url(survey: Survey, unit: Unit, channel: str = Channel.LINK) -> str:
    """The absolute address of the unit's anonymous survey: a web link, or a QR code (``Channel.KIOSK``)."""
    return absolute(reverse("collect:anonymous", args=[anonymous_key(survey, unit, channel)]))


def kiosk_url(survey: Survey, unit: Unit) -> str:
    """The absolute address of the kiosk mode of the unit's survey, which resets after each answer."""
    return absolute(reverse("collect:kiosk", args=[anonymous_key(survey, unit, Channel.KIOSK)]))


def sign_submission(submission_key: str) -> str:
    """A signed anonymous submission id, for the address of its follow-up page."""
    return signing.Signer(salt=SUBMISSION_SALT).sign(submission_key)


def unsign_submission(signed: str) -> str:
    """The submission id inside a signed value; raises ``BadLink``."""
    try:
        return signing.Signer(salt=SUBMISSION_SALT).unsign(signed)
    except signing.BadSignature:
        raise BadLink(gettext_noop("This survey link is not valid.")) from None
