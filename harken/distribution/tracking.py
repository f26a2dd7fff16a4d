"""Tracking what happened to each invitation: delivered, opened, clicked, answered, bounced.

- **Delivered** is set when the mail server (or the SMS provider) accepted the invitation.
- **Clicked**: every link in an invitation email goes through ``/t/<signed>/<target>/``, which records the
  first click and redirects to the survey (``target`` ``s``) or to a one-click score (``0`` … ``10``).  The
  signed value is the invitation's signed survey token (``links.sign_invitation``), so a tracked link expires
  with the survey link and the redirect needs no second signature.  A click implies the email was opened.
- **Opened**: a 1×1 image ``/t/<signed>/open.gif``, only for surveys whose ``SurveyTracking.open_pixel`` is
  on (off by default).  Without it, "opened" counts customers who clicked or answered (a lower bound).
- **Bounced**: each email carries its own envelope sender (VERP, ``bounces+i<id>-<mac>@domain``), so a
  delivery-status notification (RFC 3464) sent back to it names the invitation; ``bounces.py`` reads it.
"""

from __future__ import annotations

import datetime as dt
import hmac
import re
from email.utils import parseaddr

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import salted_hmac

from harken.collect import links
from harken.contacts.models import Contact
from harken.distribution.models import Invitation, SurveyTracking

BOUNCE_SALT = "harken.distribution.bounce"
SURVEY_TARGET = "s"
TARGETS = frozenset([SURVEY_TARGET, *(str(score) for score in range(11))])
VERP_TAG = re.compile(r"\+i(\d{1,18})-([0-9a-f]{16})@", re.IGNORECASE)
# A transparent 1×1 GIF, the smallest image every mail client shows.
PIXEL = bytes.fromhex("47494638396101000100800000000000ffffff21f90401000000002c00000000010001000002024401003b")


# --- Links -------------------------------------------------------------------------------------------------


def click_url(signed: str, target: str) -> str:
    """The absolute tracked address of ``target`` (``s`` or a score) for a signed invitation token."""
    return links.absolute(reverse("distribution:click", args=[signed, target]))


def pixel_url(signed: str) -> str:
    """The absolute address of the open pixel of a signed invitation token."""
    return links.absolute(reverse("distribution:open", args=[signed]))


def destination(signed: str, target: str) -> str:
    """Where a tracked link leads: the survey page or a one-click score, for the same signed token."""
    if target == SURVEY_TARGET:
        return reverse("collect:invitation", args=[signed])
    return reverse("collect:one_click", args=[signed, int(target)])


def pixel_surveys(survey_ids: set[int]) -> set[int]:
    """Which of these surveys put the open pixel in their emails."""
    return set(
        SurveyTracking.objects.filter(survey_id__in=survey_ids, open_pixel=True).values_list("survey_id", flat=True)
    )


def do_set_open_pixel(survey_id: int, on: bool) -> None:
    """Switch a survey's open pixel on or off."""
    SurveyTracking.objects.update_or_create(survey_id=survey_id, defaults={"open_pixel": on})


# --- Recording ---------------------------------------------------------------------------------------------


def do_record_open(invitation_id: int, now: dt.datetime | None = None) -> bool:
    """Record the first open of an invitation; ``True`` if this was the first."""
    moment = now or timezone.now()
    return Invitation.objects.filter(pk=invitation_id, opened_at__isnull=True).update(opened_at=moment) == 1


def do_record_click(invitation_id: int, now: dt.datetime | None = None) -> bool:
    """Record the first click (and so an open) of an invitation; ``True`` if this was the first click."""
    moment = now or timezone.now()
    with transaction.atomic():
        first = Invitation.objects.filter(pk=invitation_id, clicked_at__isnull=True).update(clicked_at=moment) == 1
        Invitation.objects.filter(pk=invitation_id, opened_at__isnull=True).update(opened_at=moment)
    return first


# --- Bounce addresses (VERP) -------------------------------------------------------------------------------


def _mac(invitation_id: int) -> str:
    # Lower-case hex: some mail servers change the case of local parts.
    return salted_hmac(BOUNCE_SALT, str(invitation_id), algorithm="sha256").hexdigest()[:16]


def bounce_address(invitation_id: int) -> str:
    """The envelope sender of one invitation: ``HARKEN_BOUNCE_ADDRESS`` (else the sending address) with
    ``+i<id>-<mac>`` after the local part, so that a bounce names the invitation and cannot be forged."""
    _name, address = parseaddr(settings.BOUNCE_ADDRESS or settings.DEFAULT_FROM_EMAIL)
    local, _at, domain = address.rpartition("@")
    if not local or not domain:
        return address
    return f"{local.split('+', 1)[0]}+i{invitation_id}-{_mac(invitation_id)}@{domain}"


def invitation_of_bounce_address(address: str) -> int | None:
    """The invitation id in a VERP bounce address, if its signature is right."""
    match = VERP_TAG.search(address)
    if match is None:
        return None
    invitation_id = int(match.group(1))
    return invitation_id if hmac.compare_digest(_mac(invitation_id), match.group(2).lower()) else None


def do_record_bounce(invitation_id: int, hard: bool, reason: str, now: dt.datetime | None = None) -> bool:
    """Record a bounce report for an invitation; ``False`` if there is no such invitation.

    A hard bounce marks the invitation bounced (an answered one keeps its answer) and the contact's address
    undeliverable, so that it is not mailed again until the address changes.  A soft bounce (the server
    is still trying, RFC 3464 ``delayed``) only marks it deferred, unless it already bounced hard.
    """
    moment = now or timezone.now()
    reason = reason.strip()[:300]
    invitation = Invitation.objects.select_related("contact").filter(pk=invitation_id).first()
    if invitation is None:
        return False
    with transaction.atomic():
        if hard:
            Invitation.objects.filter(pk=invitation_id).update(
                bounce=Invitation.Bounce.HARD, bounced_at=moment, last_error=f"Bounced: {reason}"
            )
            Invitation.objects.filter(
                pk=invitation_id, status__in=[Invitation.Status.SENT, Invitation.Status.FAILED]
            ).update(status=Invitation.Status.BOUNCED)
            do_mark_undeliverable(invitation.contact, reason, moment)
        else:
            Invitation.objects.filter(pk=invitation_id).filter(~Q(bounce=Invitation.Bounce.HARD)).update(
                bounce=Invitation.Bounce.SOFT, bounced_at=moment, last_error=f"Deferred: {reason}"
            )
    return True


def do_mark_undeliverable(contact: Contact, reason: str, now: dt.datetime) -> None:
    """Remember that the contact's current email address bounced; changing the address clears it."""
    if contact.email:
        Contact.objects.filter(pk=contact.pk).update(
            bounced_email=contact.email.strip().lower(), bounced_at=now, bounce_reason=reason[:300]
        )
