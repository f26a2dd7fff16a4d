"""Consent per contact and channel: the only writer of ``email_consent`` and ``sms_consent``."""

from __future__ import annotations

from harken.contacts.models import Consent, Contact

CONSENT_FIELDS = {"email": "email_consent", "sms": "sms_consent"}


def check_channel(channel: str) -> str:
    """The consent field of ``channel``; raises ``ValueError`` for a channel without consent."""
    try:
        return CONSENT_FIELDS[channel]
    except KeyError:
        raise ValueError(f"Contacts have no consent for the {channel!r} channel") from None


def do_unsubscribe(contact_id: int, channel: str) -> bool:
    """Unsubscribe a contact from a channel; ``True`` if it changed (unsubscribing twice is harmless)."""
    field = check_channel(channel)
    changed = (
        Contact.objects.filter(pk=contact_id)
        .exclude(**{field: Consent.UNSUBSCRIBED})
        .update(**{field: Consent.UNSUBSCRIBED})
    )
    if changed == 1:
        from harken.loop.events import contact_unsubscribed  # webhooks hear of it (issue 7)

        contact_unsubscribed(contact_id, channel)
    return changed == 1
