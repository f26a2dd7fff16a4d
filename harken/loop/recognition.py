"""Recognition: promoter comments that name an employee or a store become shout-outs (issue 8).

Shout-outs are found by the alert machinery: an ``AlertRule`` with ``recognize`` (an "excellence alert", by
default "promoters") calls ``do_record_shoutouts`` for each response it matches.  Each shout-out is emailed
to the person praised and their manager (through the worker, ``harken.loop.mailing``), shown on the
front-line view, and read by the digests through ``shoutouts_for_units``.

Finding names is a pure function (``find_mentions``): an employee is named by their full name anywhere in
the organisation, or by their first name alone when they work in the response's unit and no colleague there
shares it ("Anna at the till was lovely"); a store by its name.  Matching is on whole words, ignoring case
and the spacing between words.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Q

from harken.collect.models import Response
from harken.loop.models import AlertRule, Shoutout
from harken.org.models import Employee, Unit

# Units that customers name: the places they visit.  Company, region and team names are too generic.
NAMEABLE_KINDS = ("store", "branch")
MIN_NAME_LENGTH = 3


@dataclass(frozen=True)
class Person:
    """An employee as the matcher sees them."""

    id: int
    name: str
    unit_id: int


@dataclass(frozen=True)
class Place:
    """A store as the matcher sees it."""

    id: int
    name: str


@dataclass(frozen=True)
class Mention:
    """A person (``employee_id``) or a store (``unit_id`` only) named in a comment by ``words``."""

    words: str
    unit_id: int
    employee_id: int | None = None


def _spans(words: str, text: str) -> list[tuple[int, int]]:
    """Where the words occur in ``text`` as whole words (any case, any spacing between them)."""
    words = words.strip()
    if len(words) < MIN_NAME_LENGTH:
        return []
    pattern = r"\s+".join(re.escape(part) for part in words.split())
    return [found.span() for found in re.finditer(rf"(?<!\w){pattern}(?!\w)", text, flags=re.IGNORECASE)]


def find_mentions(comment: str, unit_id: int, people: Sequence[Person], places: Sequence[Place]) -> list[Mention]:
    """The employees and stores that ``comment`` (about unit ``unit_id``) names, each once, people first.

    Example: with Anna Schmidt working in unit 7, "Anna was great" about unit 7 names her; about unit 8 it
    does not (another Anna may work there) unless it says "Anna Schmidt".  A first name inside a full name
    ("Anna" in "Anna Schmidt") names only the person with that full name.
    """
    if not comment.strip():
        return []
    full: dict[int, list[tuple[int, int]]] = {person.id: _spans(person.name, comment) for person in people}
    taken = [span for spans in full.values() for span in spans]
    first_names: dict[str, int] = {}
    for person in people:
        if person.unit_id == unit_id and len(person.name.split()) > 1:
            first = person.name.split()[0].lower()
            first_names[first] = first_names.get(first, 0) + 1
    mentions: list[Mention] = []
    for person in people:
        spans = full[person.id]
        first = person.name.split()[0] if person.name.split() else ""
        if not spans and person.unit_id == unit_id and first_names.get(first.lower()) == 1:
            spans = [span for span in _spans(first, comment) if not _inside(span, taken)]
        if spans:
            start, end = spans[0]
            mentions.append(Mention(words=comment[start:end], unit_id=person.unit_id, employee_id=person.id))
    for place in places:
        spans = _spans(place.name, comment)
        if spans:
            start, end = spans[0]
            mentions.append(Mention(words=comment[start:end], unit_id=place.id))
    return mentions


def _inside(span: tuple[int, int], others: list[tuple[int, int]]) -> bool:
    return any(start <= span[0] and span[1] <= end for start, end in others)


def people_and_places() -> tuple[list[Person], list[Place]]:
    """Active employees and active stores, as the matcher reads them."""
    people = [
        Person(pk, name, unit_id)
        for pk, name, unit_id in Employee.objects.filter(is_active=True).values_list("pk", "name", "unit_id")
    ]
    places = [
        Place(pk, name)
        for pk, name in Unit.objects.filter(is_active=True, kind__in=NAMEABLE_KINDS).values_list("pk", "name")
    ]
    return people, places


def do_record_shoutouts(response: Response, rule: AlertRule | None = None) -> list[Shoutout]:
    """Record a shout-out for each employee or store the response's comment names, and queue their emails.

    Idempotent: a second run on the same response finds the existing rows and sends nothing again.
    """
    from harken.loop import mailing

    people, places = people_and_places()
    created: list[Shoutout] = []
    for mention in find_mentions(response.comment, response.unit_id, people, places):
        try:
            with transaction.atomic():
                shoutout = Shoutout.objects.create(
                    response=response,
                    rule=rule,
                    employee_id=mention.employee_id,
                    unit_id=mention.unit_id,
                    mention=mention.words[:200],
                )
        except IntegrityError:
            continue  # already recorded
        mailing.do_queue_shoutout_emails(shoutout)
        created.append(shoutout)
    return created


def shoutouts_for_units(
    unit_ids: Sequence[int], since: dt.datetime, until: dt.datetime, limit: int = 5
) -> list[Shoutout]:
    """Shout-outs for the given units and their subtrees whose response was submitted in [since, until),
    newest first, at most ``limit``; comments erased since are left out.

    Each comes with its response, employee and unit loaded (``shoutout.response.comment``,
    ``shoutout.recipient_name``).  The caller scopes ``unit_ids`` to what its reader may see.
    """
    paths = list(Unit.objects.filter(pk__in=list(unit_ids)).values_list("path", flat=True))
    if not paths or limit <= 0:
        return []
    within = Q()
    for path in paths:
        within |= Q(unit__path__startswith=path)
    queryset = (
        Shoutout.objects.filter(within, response__submitted_at__gte=since, response__submitted_at__lt=until)
        .exclude(response__comment="")
        .select_related("response", "employee", "unit")
        .order_by("-response__submitted_at", "-pk")
    )
    return list(queryset[:limit])


def recipients(shoutout: Shoutout) -> list[str]:
    """The addresses a shout-out goes to: the employee (or the store's team) and their nearest manager."""
    from harken.loop.cases import managers_above
    from harken.org.models import Membership

    addresses: list[str] = []
    if shoutout.employee is not None:
        employee = shoutout.employee
        user_email = employee.user.email if employee.user_id and employee.user else ""
        addresses.append(employee.email or user_email)
    else:
        team = Membership.objects.filter(unit_id=shoutout.unit_id, role=Membership.Role.FRONTLINE, user__is_active=True)
        addresses.extend(team.values_list("user__email", flat=True))
    managers = managers_above(shoutout.unit)
    if managers:
        nearest = managers[0][0]
        addresses.extend(user.email for depth, user in managers if depth == nearest)
    return _unique(addresses)


def _unique(addresses: Iterable[str]) -> list[str]:
    seen: list[str] = []
    for address in addresses:
        if address and address.lower() not in (known.lower() for known in seen):
            seen.append(address)
    return seen
