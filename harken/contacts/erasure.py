"""Erasure of personal data (GDPR, DESIGN.md §6): a contact's data and comment text go, the NPS counts stay.

``plan_*`` functions work out what to change without writing; ``do_*`` functions write it in one transaction.
Scores, units, touchpoints, surveys and dates are kept, so every dashboard count is the same afterwards.
Changed responses get a new ``updated_at`` so that the incremental warehouse export sends them again.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from harken.collect.models import ReceivedAnswer, Response
from harken.contacts.models import Contact
from harken.distribution.models import EligibilityEntry, Invitation
from harken.integrations.models import CustomerEvent
from harken.integrations.webhooks.models import Delivery
from harken.loop.models import Case, CaseEvent
from harken.org.models import Membership
from harken.surveys.models import Question
from harken.text.models import CommentAnalysis, ResponseTheme

ERASED = "(erased)"


@dataclass
class Erasure:
    """What an erasure changed: counts of rows, for the audit log and the command's output."""

    responses: int = 0
    invitations: int = 0
    cases: int = 0
    deliveries: int = 0


def check_can_erase(user: AbstractBaseUser, contact: Contact) -> None:
    """Superusers and administrators erase anyone; managers erase contacts of units under them."""
    if getattr(user, "is_superuser", False):
        return
    roles = Membership.objects.filter(user_id=user.pk)
    if roles.filter(role=Membership.Role.ADMIN).exists():
        return
    unit = contact.home_unit
    paths = roles.filter(role=Membership.Role.MANAGER).values_list("unit__path", flat=True)
    if unit is None or not any(unit.path.startswith(path) for path in paths):
        raise PermissionDenied("Only administrators and managers of the contact's unit may erase a contact.")


def choice_question_keys() -> set[str]:
    """Keys of questions whose answers are ratings or fixed choices: not personal, kept on erasure."""
    free_text = Question.objects.filter(kind=Question.Kind.TEXT).values_list("key", flat=True)
    return set(Question.objects.exclude(key__in=free_text).values_list("key", flat=True))


def plan_answers(answers: dict[str, object], keep: set[str]) -> dict[str, object]:
    """The answers without free text: ratings, numbers and answers to choice questions stay."""
    return {
        key: value
        for key, value in (answers or {}).items()
        if key in keep or isinstance(value, bool | int | float) or value is None
    }


def _anonymise_responses(responses: list[Response], now: dt.datetime, unlink: bool) -> Erasure:
    """Blank comments, free-text answers and identifiers of ``responses``; drop what was derived from text."""
    keep = choice_question_keys()
    ids = [response.pk for response in responses]
    for response in responses:
        response.comment = ""
        response.answers = plan_answers(response.answers, keep)
        response.external_id = ""
        response.submission_key = ""
        response.updated_at = now
        if unlink:
            response.contact = None
    fields = ["comment", "answers", "external_id", "submission_key", "updated_at", *(["contact"] if unlink else [])]
    Response.objects.bulk_update(responses, fields, batch_size=500)
    Invitation.objects.filter(response__in=ids).update(context={}, event_id="", last_error="")
    CommentAnalysis.objects.filter(response_id__in=ids).delete()
    ResponseTheme.objects.filter(response_id__in=ids).delete()
    cases = Case.objects.filter(response_id__in=ids)
    CaseEvent.objects.filter(case__in=cases).exclude(text="").update(text=ERASED)
    case_count = cases.update(title=ERASED, root_cause_detail="")
    return Erasure(responses=len(ids), cases=case_count)


def _scrub_deliveries(needles: list[str]) -> int:
    """Webhook payloads that quote any of ``needles`` (an address, a comment) are replaced by a marker."""
    needles = [needle.lower() for needle in needles if needle and len(needle) >= 3]
    if not needles:
        return 0
    hits = []
    for delivery in Delivery.objects.only("pk", "payload", "log").iterator():
        text = json.dumps([delivery.payload, delivery.log], ensure_ascii=False).lower()
        if any(needle in text for needle in needles):
            hits.append(delivery.pk)
    return Delivery.objects.filter(pk__in=hits).update(payload={"erased": True}, log=[], last_error="")


def do_erase_contact(contact: Contact) -> Erasure:
    """Erase one contact's personal data and comment text everywhere, keeping their scores and counts."""
    with transaction.atomic():
        contact = Contact.objects.select_for_update().get(pk=contact.pk)
        responses = list(Response.objects.select_for_update().filter(contact=contact))
        needles = [contact.email, contact.phone, contact.name, contact.external_id]
        needles += [response.comment for response in responses]
        needles += [str(value) for r in responses for value in r.answers.values() if isinstance(value, str)]
        result = _anonymise_responses(responses, timezone.now(), unlink=False)
        result.invitations = Invitation.objects.filter(contact=contact).update(context={}, event_id="", last_error="")
        EligibilityEntry.objects.filter(contact=contact).delete()
        CustomerEvent.objects.filter(contact=contact).update(external_id="")
        result.deliveries = _scrub_deliveries(needles)
        _forget_waiting_visitor(contact)
        for name in ("email", "phone", "name", "external_id", "time_zone", "bounced_email", "bounce_reason"):
            setattr(contact, name, "")
        contact.attributes = {}
        contact.save()
    return result


def _forget_waiting_visitor(contact: Contact) -> int:
    """Drop who-the-visitor-is from widget answers not filed yet that name this contact (harken.collect.intake):
    they are filed without a contact instead of bringing the erased details back."""
    named = Q()
    if contact.email:
        named |= Q(visitor__email__iexact=contact.email)
    if contact.external_id:
        named |= Q(visitor__id=contact.external_id)
    if not named:
        return 0
    return ReceivedAnswer.objects.filter(named).update(visitor=None)


def do_erase_older_than(months: int, now: dt.datetime | None = None) -> Erasure:
    """Anonymise every response submitted more than ``months`` months ago (retention policy); 0 does nothing."""
    if months <= 0:
        return Erasure()
    cutoff = (now or timezone.now()) - dt.timedelta(days=round(months * 365.25 / 12))
    old = Response.objects.filter(submitted_at__lt=cutoff).filter(
        ~Q(comment="") | ~Q(external_id="") | ~Q(submission_key="") | Q(contact__isnull=False)
    )
    total, last = Erasure(), 0
    while True:
        with transaction.atomic():
            batch = list(old.filter(pk__gt=last).order_by("pk").select_for_update()[:500])
            if not batch:
                return total
            last = batch[-1].pk
            needles = [response.comment for response in batch]
            done = _anonymise_responses(batch, timezone.now(), unlink=True)
            total.deliveries += _scrub_deliveries(needles)
        total.responses += done.responses
        total.cases += done.cases
