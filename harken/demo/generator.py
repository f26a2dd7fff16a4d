"""Load the demo company into the database: ``load_demo`` is what ``harken demo`` runs.

Speed comes from doing the thinking in Python and the writing in bulk: the ~60 units and the surveys
are saved one by one (``Unit.save`` computes the tree path), employees and questions with
``bulk_create``, and the ~350,000 contacts, invitations and responses are drawn from one
``random.Random(seed)`` and written in chunks with ``rows.insert`` (several times faster than
``bulk_create``).  All of it happens in one transaction, so a failed load leaves nothing behind and a
previous demo replaced with ``--force`` comes back.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from harken.analytics.queries import local_zone
from harken.collect.models import Response
from harken.contacts.models import Contact
from harken.demo.build import Login, build_journey, build_org, build_users
from harken.demo.cases import build_loop
from harken.demo.reset import DemoError, check_can_load
from harken.demo.rows import Row, insert, next_id
from harken.demo.simulate import Customer, Simulator, make_contacts
from harken.distribution.models import Invitation
from harken.org.models import Employee

DEFAULT_SEED = 20240611
DEFAULT_RESPONSES = 100_000
RESPONSES_PER_CONTACT = 4  # two years of a loyal customer base: ~4 answers each
MIN_CONTACTS = 50
CHUNK = 5_000  # responses simulated and written at a time, to keep memory flat
REPORT_EVERY = 20_000

__all__ = ["DEFAULT_RESPONSES", "DEFAULT_SEED", "DemoError", "DemoSummary", "load_demo"]


@dataclass(frozen=True)
class DemoSummary:
    """What was loaded, for the closing message."""

    units: int
    stores: int
    employees: int
    contacts: int
    responses: int
    invitations: int
    logins: list[Login]
    seconds: float


def contacts_for(responses: int) -> int:
    """How many contacts a demo of ``responses`` responses gets: one per four responses, at least 50."""
    return max(MIN_CONTACTS, responses // RESPONSES_PER_CONTACT)


def load_demo(
    *, seed: int = DEFAULT_SEED, responses: int = DEFAULT_RESPONSES, today: dt.date | None = None,
    force: bool = False, progress: Callable[[str], None] | None = None,
) -> DemoSummary:
    """Create the demo company with ``responses`` responses over the 730 days before ``today``.

    The same ``seed`` and ``today`` give the same data (except invitation tokens, which are secrets).
    ``today`` defaults to today in the installation's time zone.  Raises ``DemoError`` when the database
    already has responses (with ``force``, a previous demo is deleted first).  ``progress`` receives a
    line per stage.
    """
    if responses < 0:
        raise DemoError(f"The number of responses cannot be negative, got {responses}.")
    say = progress or (lambda _line: None)
    started = time.monotonic()
    rng = random.Random(seed)
    with transaction.atomic():
        check_can_load(force)
        company, stores = build_org(rng)
        steps = build_journey()
        logins = build_users(company)
        say(f"Organisation: {company.subtree().count()} units, {len(stores)} stores, six touchpoints, seven surveys.")
        contacts = make_contacts(rng, stores, contacts_for(responses), next_id(Contact))
        customers = [customer for _, customer in contacts]
        simulator = Simulator(rng, stores, steps, customers, today or timezone.localdate())
        invitations = _save_responses(simulator, responses, say)
        _save_contacts(contacts)
        say(f"Contacts: {len(contacts):,}.")
    _analyse_comments(say)
    with transaction.atomic():
        now = timezone.now() if today is None else dt.datetime.combine(today, dt.time(), local_zone())
        say(f"Cases: {build_loop(rng, company, now):,} opened for the last month's detractors.")
    return DemoSummary(
        units=company.subtree().count(), stores=len(stores),
        employees=Employee.objects.filter(unit__path__startswith=company.path).count(),
        contacts=len(customers), responses=responses, invitations=invitations, logins=logins,
        seconds=time.monotonic() - started,
    )


def _save_contacts(contacts: list[tuple[Row, Customer]]) -> None:
    """Write the contacts last, when the simulation knows when each was last sent an invitation.

    (Updating them afterwards from the invitations was a correlated subquery that PostgreSQL planned
    badly on never-analysed tables: minutes instead of a second.)
    """
    for row, customer in contacts:
        row["last_surveyed_at"] = customer.last_surveyed
    insert(Contact, [row for row, _ in contacts])


def _save_responses(simulator: Simulator, total: int, say: Callable[[str], None]) -> int:
    """Simulate and write ``total`` responses chunk by chunk; returns the number of invitations written."""
    invitations = 0
    for start in range(0, total, CHUNK):
        drawn = [simulator.draw() for _ in range(min(CHUNK, total - start))]
        batch = [invitation for item in drawn for invitation in item.invitations]
        # Invitations first: a response refers to the invitation it answers, which comes first in its list.
        insert(Invitation, batch)
        for item in drawn:
            if item.answered:
                item.response["invitation_id"] = item.invitations[0]["id"]
        insert(Response, [item.response for item in drawn])
        invitations += len(batch)
        done = start + len(drawn)
        if done % REPORT_EVERY == 0 or done == total:
            say(f"Responses: {done:,} of {total:,} (and {invitations:,} invitations).")
    return invitations


def _analyse_comments(say: Callable[[str], None]) -> None:
    """Load the default theme taxonomy and analyse every comment, so the demo opens with themes and sentiment.

    (The rows were written without signals; the worker's heartbeat would get there too, but a minute later.)
    """
    from harken.text.default_taxonomy import do_load_default
    from harken.text.tagging import do_analyse_pending

    do_load_default()
    result = do_analyse_pending(everything=True)
    say(f"Comments: {result.responses:,} analysed for sentiment; {result.tagged:,} mention a theme.")
