"""The demo's inner and outer loop: alert rules, a month of detractor cases in every state, and an action.

Cases get what ``harken.loop.cases.do_open_case`` would give them (the nearest manager as owner, the SLA
due time in business hours, an "opened" event) and progress with simulated times, as the responses do, so
the close-the-loop metrics look lived-in; they are written in bulk.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password

from harken.collect.models import Response
from harken.demo import catalog
from harken.loop.cases import default_owner, unit_time_zone
from harken.loop.models import Action, AlertRule, Case, CaseEvent, Outcome, Priority, Status
from harken.loop.sla import due_at
from harken.org.models import Membership, Unit
from harken.text.models import Theme

RULE_NAMES = ("Detractor follow-up", "Cancellation or complaint risk")
ACTION_NAME = "Service recovery programme"
CASE_DAYS = 30  # detractors of the last month get cases
# Regional managers who own cases but have no demo login (their password is unusable).
REGION_MANAGERS = ("Priya Natarajan", "Tomás Ortega", "Hannah Becker", "Liam O'Connor")
OUTCOMES = [Outcome.RECOVERED] * 11 + [Outcome.NOT_RECOVERED] * 5 + [Outcome.UNREACHABLE] * 4


def build_loop(rng: random.Random, company: Unit, now: dt.datetime) -> int:
    """Create the rules, cases and an improvement action; the number of cases opened."""
    _region_managers(company)
    follow_up = AlertRule.objects.create(
        name=RULE_NAMES[0], categories=["detractor"], sla_hours=16, priority=Priority.NORMAL
    )
    AlertRule.objects.create(
        name=RULE_NAMES[1],
        keywords="cancel, refund, complaint, lawyer",
        sla_hours=4,
        priority=Priority.HIGH,
        open_case=False,
    )
    recent = Response.objects.filter(
        unit__path__startswith=company.path, category="detractor", submitted_at__gte=now - dt.timedelta(days=CASE_DAYS)
    ).select_related("unit")
    # Written in bulk with what do_open_case would decide (owner, SLA due time, title): one case at a time
    # through the loop's functions took 40 s for a month of detractors, too slow for `make demo`.
    owners: dict[int, Any] = {}
    cases = []
    for response in recent.order_by("submitted_at"):
        unit = response.unit
        if unit.pk not in owners:
            owners[unit.pk] = default_owner(unit)
        opened = response.submitted_at + dt.timedelta(minutes=rng.randint(1, 9))
        cases.append(
            Case(
                response=response,
                rule=follow_up,
                unit=unit,
                owner=owners[unit.pk],
                title=f"{response.score}/10 from {unit.name}: {follow_up.name}",
                priority=follow_up.priority,
                opened_at=opened,
                due_at=due_at(opened, follow_up.sla_hours, unit_time_zone(unit)),
            )
        )
    Case.objects.bulk_create(cases, batch_size=500)
    events: list[CaseEvent] = []
    # Root causes are themes of the taxonomy (loaded before the cases): the specific ones, below a parent.
    causes = list(Theme.objects.filter(parent__isnull=False).order_by("pk")) or list(Theme.objects.order_by("pk"))
    for case in cases:
        owner = case.owner.get_username() if case.owner else "nobody"
        events.append(
            CaseEvent(case=case, kind=CaseEvent.Kind.OPENED, text=f"Assigned to {owner}", created_at=case.opened_at)
        )
        events.extend(_progress(rng, case, now, causes))
    CaseEvent.objects.bulk_create(events, batch_size=1000)
    _action(company, now)
    return len(cases)


def _region_managers(company: Unit) -> None:
    user_model = get_user_model()
    unusable = make_password(None)
    regions = [unit for unit in company.children.order_by("name") if not unit.memberships.filter(role="manager")]
    for region, full_name in zip(regions, REGION_MANAGERS, strict=False):
        first, last = full_name.split(" ", 1)
        username = f"{first.lower()}.{last.lower().replace(' ', '').replace(chr(39), '')}"
        user, _ = user_model.objects.get_or_create(
            username=username,
            defaults={
                "first_name": first,
                "last_name": last,
                "email": f"{username}@{catalog.USER_DOMAIN}",
                "password": unusable,
            },
        )
        Membership.objects.get_or_create(user=user, unit=region, defaults={"role": Membership.Role.MANAGER})


def _progress(rng: random.Random, case: Case, now: dt.datetime, causes: list[Theme]) -> list[CaseEvent]:
    """Move a case along as its owner would have, by its age: old cases mostly closed, new ones mostly new."""
    age_days = (now - case.opened_at).total_seconds() / 86400
    roll = rng.random()
    if age_days < 2:
        stage = 0 if roll < 0.6 else 1
    elif age_days < 7:
        stage = 0 if roll < 0.15 else 1 if roll < 0.45 else 2 if roll < 0.6 else 3 if roll < 0.75 else 4
    else:
        stage = 0 if roll < 0.05 else 1 if roll < 0.12 else 2 if roll < 0.17 else 4
    if stage == 0:
        return []
    contacted = min(now, case.opened_at + dt.timedelta(hours=rng.uniform(1, 30)))
    resolved = min(now, contacted + dt.timedelta(hours=rng.uniform(2, 72)))
    fields: dict[str, object] = {"first_contact_at": contacted, "status": Status.IN_PROGRESS}
    steps = [(contacted, "New → In progress", "Called the customer; listened and apologised.")]
    if stage == 2:
        fields["status"] = Status.WAITING
        steps.append((contacted, "In progress → Waiting on customer", "Left a voicemail; emailed a callback slot."))
    if stage >= 3:
        fields.update(status=Status.RESOLVED, resolved_at=resolved, root_cause=rng.choice(causes) if causes else None)
        steps.append((resolved, "In progress → Resolved", "Fixed the issue and confirmed with the customer."))
    if stage == 4:
        closed = min(now, resolved + dt.timedelta(hours=rng.uniform(1, 48)))
        fields.update(status=Status.CLOSED, closed_at=closed, outcome=rng.choice(OUTCOMES))
        steps.append((closed, "Resolved → Closed", ""))
    Case.objects.filter(pk=case.pk).update(**fields)
    events = []
    for when, change, note in steps:
        events.append(CaseEvent(case=case, actor=case.owner, kind=CaseEvent.Kind.STATUS, text=change, created_at=when))
        if note:
            events.append(CaseEvent(case=case, actor=case.owner, kind=CaseEvent.Kind.NOTE, text=note, created_at=when))
    return events


def _action(company: Unit, now: dt.datetime) -> None:
    """An improvement action on the stores whose story is a recovery, started a year ago."""
    stores = list(Unit.objects.filter(path__startswith=company.path, name__in=["Leeds", "Glasgow", "Valencia"]))
    if not stores:
        return
    action = Action.objects.create(
        name=ACTION_NAME,
        description="Queue-busting at peak hours, staff coaching on complaints, and a callback within a day.",
        theme=Theme.objects.filter(name="Waiting", parent__isnull=True).first(),
        state=Action.State.IN_PROGRESS,
        started_on=(now - dt.timedelta(days=365)).date(),
        window_days=180,
        owner=get_user_model().objects.filter(username="manager").first(),
    )
    action.units.set(stores)
