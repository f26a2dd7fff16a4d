"""Privacy and governance: erase a contact (GDPR) and read the audit log."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from ninja import Query, Router, Schema

from harken.api.auth import ADMIN, WRITE, check_administrator, user_of
from harken.api.errors import not_found
from harken.api.pagination import PageParams, paginate
from harken.api.routers.people import visible_contacts
from harken.contacts import erasure
from harken.org import audit
from harken.org.models import AuditEvent

router = Router(tags=["privacy"])


class ErasureOut(Schema):
    contact_id: int
    responses: int
    invitations: int
    cases: int


class AuditEventOut(Schema):
    id: int
    at: dt.datetime
    actor_name: str
    action: str
    object_type: str
    object_id: str
    details: dict[str, object]


class AuditPage(Schema):
    items: list[AuditEventOut]
    next_cursor: str | None


@router.post("/contacts/{contact_id}/erase", response=ErasureOut, auth=WRITE, summary="Erase a contact (GDPR)")
def erase_contact(request: HttpRequest, contact_id: int) -> dict[str, int]:
    """Removes the contact's personal data and comment text everywhere; scores and counts are kept."""
    user = user_of(request)
    contact = visible_contacts(user).filter(pk=contact_id).first()
    if contact is None:
        raise not_found("contact")
    erasure.check_can_erase(user, contact)
    done = erasure.do_erase_contact(contact)
    audit.record(user, "erase_contact", contact, responses=done.responses, via="api")
    return {"contact_id": contact.pk, "responses": done.responses, "invitations": done.invitations, "cases": done.cases}


@router.get("/audit", response=AuditPage, auth=ADMIN, summary="The audit log (administrators)")
def list_audit(request: HttpRequest, page: Query[PageParams]) -> dict[str, object]:
    check_administrator(user_of(request))
    items, cursor = paginate(AuditEvent.objects.all(), page)
    return {"items": items, "next_cursor": cursor}
