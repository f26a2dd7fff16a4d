"""Contacts and invitations, limited to the units the caller sees (a contact by its home unit)."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Q, QuerySet
from django.db.models.functions import Lower
from django.http import HttpRequest
from django.utils import timezone
from ninja import Query, Router, Schema, Status
from pydantic import Field

from harken.api.auth import WRITE, check_can_write_unit, user_of, visible_unit
from harken.api.errors import field_error, not_found
from harken.api.pagination import PageParams, paginate
from harken.api.schemas import (
    ContactIn,
    ContactOut,
    ContactPage,
    ContactPatch,
    InvitationIn,
    InvitationOut,
    InvitationPage,
)
from harken.api.types import Id
from harken.contacts.models import Contact
from harken.distribution.models import Invitation
from harken.distribution.sending import do_queue_invitation
from harken.org.models import Unit
from harken.org.scoping import scope_to_user
from harken.surveys.models import Survey, Touchpoint

router = Router(tags=["contacts and invitations"])


class ContactFilter(Schema):
    email: str | None = Field(None, description="Exact e-mail address (any case).")
    external_id: str | None = Field(None, description="The id in your CRM.")
    unit: Id | None = Field(None, description="Home unit id; includes units below it.")
    updated_since: str | None = Field(None, description="ISO date-time; contacts changed at or after it.")


def visible_contacts(user: AbstractBaseUser) -> QuerySet[Contact]:
    """Contacts whose home unit the user sees."""
    return scope_to_user(Contact.objects.all(), user, "home_unit")


@router.get("/contacts", response=ContactPage, summary="Contacts whose home unit you may see")
def list_contacts(request: HttpRequest, page: Query[PageParams], where: Query[ContactFilter]) -> dict[str, object]:
    user = user_of(request)
    contacts = visible_contacts(user)
    if where.email:
        contacts = contacts.annotate(email_lower=Lower("email")).filter(email_lower=where.email.lower())
    if where.external_id:
        contacts = contacts.filter(external_id=where.external_id)
    if where.unit is not None:
        unit = visible_unit(user, where.unit)
        if unit is None:
            raise field_error("unit", f"No unit {where.unit} that you may see.", location="query")
        contacts = contacts.filter(home_unit__path__startswith=unit.path)
    if where.updated_since:
        contacts = contacts.filter(updated_at__gte=_moment("updated_since", where.updated_since))
    items, cursor = paginate(contacts, page)
    return {"items": items, "next_cursor": cursor}


def _moment(field: str, text: str) -> object:
    from django.utils.dateparse import parse_datetime

    try:
        moment = parse_datetime(text)
    except ValueError:
        moment = None
    if moment is None:
        raise field_error(field, "Expected an ISO date-time like 2026-01-31T12:00:00Z.", location="query")
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment)


@router.get("/contacts/{contact_id}", response=ContactOut, summary="One contact")
def get_contact(request: HttpRequest, contact_id: int) -> Contact:
    contact = visible_contacts(user_of(request)).filter(pk=contact_id).first()
    if contact is None:
        raise not_found("contact")
    return contact


def check_contact(user: AbstractBaseUser, values: dict[str, object], contact: Contact | None = None) -> Unit | None:
    """A writable home unit, and an e-mail and external id no other contact has."""
    home_unit = None
    if values.get("home_unit_id") is not None:
        home_unit = visible_unit(user, int(str(values["home_unit_id"])))
        if home_unit is None:
            raise field_error("home_unit_id", f"No unit {values['home_unit_id']} that you may see.")
        check_can_write_unit(user, home_unit)
    elif (contact is None or contact.home_unit is None) and not getattr(user, "is_superuser", False):
        raise field_error("home_unit_id", "Give the contact a home unit that you manage.")
    others = Contact.objects.exclude(pk=contact.pk) if contact else Contact.objects.all()
    email = str(values.get("email") or "")
    if email and others.filter(email__iexact=email).exists():
        raise field_error("email", "Another contact has this e-mail address.", status=409)
    external_id = str(values.get("external_id") or "")
    if external_id and others.filter(external_id=external_id).exists():
        raise field_error("external_id", "Another contact has this external id.", status=409)
    return home_unit


@router.post("/contacts", response={201: ContactOut}, auth=WRITE, summary="Add a contact")
def create_contact(request: HttpRequest, payload: ContactIn) -> Status[Contact]:
    values = payload.dict()
    check_contact(user_of(request), values)
    return Status(201, Contact.objects.create(**values))


@router.patch("/contacts/{contact_id}", response=ContactOut, auth=WRITE, summary="Change a contact")
def update_contact(request: HttpRequest, contact_id: int, payload: ContactPatch) -> Contact:
    user = user_of(request)
    contact = visible_contacts(user).filter(pk=contact_id).first()
    if contact is None:
        raise not_found("contact")
    if contact.home_unit is not None:
        check_can_write_unit(user, contact.home_unit)
    values = payload.dict(exclude_unset=True)
    check_contact(user, values, contact)
    for name, value in values.items():
        if value is not None or name == "home_unit_id":
            setattr(contact, name, value)
    contact.save()
    return contact


class InvitationFilter(Schema):
    survey: Id | None = None
    contact: Id | None = None
    status: Invitation.Status | None = None


@router.get("/invitations", response=InvitationPage, summary="Invitations about units you may see")
def list_invitations(
    request: HttpRequest, page: Query[PageParams], where: Query[InvitationFilter]
) -> dict[str, object]:
    invitations = scope_to_user(Invitation.objects.all(), user_of(request))
    conditions = Q()
    if where.survey is not None:
        conditions &= Q(survey_id=where.survey)
    if where.contact is not None:
        conditions &= Q(contact_id=where.contact)
    if where.status is not None:
        conditions &= Q(status=where.status)
    items, cursor = paginate(invitations.filter(conditions), page)
    return {"items": items, "next_cursor": cursor}


@router.get("/invitations/{invitation_id}", response=InvitationOut, summary="One invitation")
def get_invitation(request: HttpRequest, invitation_id: int) -> Invitation:
    invitation = scope_to_user(Invitation.objects.all(), user_of(request)).filter(pk=invitation_id).first()
    if invitation is None:
        raise not_found("invitation")
    return invitation


@router.post("/invitations", response={201: InvitationOut}, auth=WRITE, summary="Schedule an invitation")
def create_invitation(request: HttpRequest, payload: InvitationIn) -> Status[Invitation]:
    user = user_of(request)
    unit = visible_unit(user, payload.unit_id)
    if unit is None:
        raise field_error("unit_id", f"No unit {payload.unit_id} that you may see.")
    check_can_write_unit(user, unit)
    survey = Survey.objects.filter(pk=payload.survey_id, is_active=True).first()
    if survey is None:
        raise field_error("survey_id", f"No active survey {payload.survey_id}.")
    contact = visible_contacts(user).filter(pk=payload.contact_id).first()
    if contact is None:
        raise field_error("contact_id", f"No contact {payload.contact_id} that you may see.")
    touchpoint_id = payload.touchpoint_id or survey.touchpoint_id
    if payload.touchpoint_id is not None and not Touchpoint.objects.filter(pk=payload.touchpoint_id).exists():
        raise field_error("touchpoint_id", f"No touchpoint {payload.touchpoint_id}.")
    # The same path as every other invitation: fatigue and consent rules, quiet hours, the send task.
    invitation = do_queue_invitation(
        survey,
        contact,
        unit,
        channel=payload.channel,
        touchpoint=Touchpoint.objects.filter(pk=touchpoint_id).first() if touchpoint_id else None,
        context=payload.context,
        when=payload.scheduled_at,
    )
    assert invitation is not None  # None only for a repeated event id, and this endpoint takes none
    if payload.language and payload.language != invitation.language:
        Invitation.objects.filter(pk=invitation.pk).update(language=payload.language)
        invitation.language = payload.language
    return Status(201, invitation)
