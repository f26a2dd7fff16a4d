"""The demo's inner and outer loop: alert rules, a month of detractor cases in every state, and an action.

Cases are opened through ``harken.loop.cases.do_open_case`` (owner, SLA due time, history); their later
progress is written with simulated times, as the responses are, so the close-the-loop metrics look lived-in.
"""

from __future__ import annotations

import datetime as dt
import random

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password

from harken.collect.models import Response
from harken.demo import catalog
from harken.loop.cases import do_open_case
from harken.loop.models import Action, AlertRule, Case, CaseEvent, Outcome, Priority, RootCause, Status
from harken.org.models import Membership, Unit

RULE_NAMES = ("Detractor follow-up", "Cancellation or complaint risk")
ACTION_NAME = "Service recovery programme"
CASE_DAYS = 30  # detractors of the last month get cases
# Regional managers who own cases but have no demo login (their password is unusable).
REGION_MANAGERS = ("Priya Natarajan", "Tomás Ortega", "Hannah Becker", "Liam O'Connor")
OUTCOMES = [Outcome.RECOVERED] * 11 + [Outcome.NOT_RECOVERED] * 5 + [Outcome.UNREACHABLE] * 4
ROOT_CAUSES = list(RootCause.values)


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
    opened = 0
    for response in recent.order_by("submitted_at"):
        case = do_open_case(response, follow_up, now=response.submitted_at + dt.timedelta(minutes=rng.randint(1, 9)))
        if case is not None:
            _progress(rng, case, now)
            opened += 1
    _action(company, now)
    return opened


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


def _progress(rng: random.Random, case: Case, now: dt.datetime) -> None:
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
        return
    contacted = min(now, case.opened_at + dt.timedelta(hours=rng.uniform(1, 30)))
    fields: dict[str, object] = {"first_contact_at": contacted}
    events = [(contacted, "New → In progress", "Called the customer; listened and apologised.")]
    status = Status.IN_PROGRESS
    if stage == 2:
        status = Status.WAITING
        events.append((contacted, "In progress → Waiting on customer", "Left a voicemail; emailed a callback slot."))
    resolved = min(now, contacted + dt.timedelta(hours=rng.uniform(2, 72)))
    if stage >= 3:
        status = Status.RESOLVED
        fields.update(resolved_at=resolved, root_cause=rng.choice(ROOT_CAUSES))
        events.append((resolved, "In progress → Resolved", "Fixed the issue and confirmed with the customer."))
    if stage == 4:
        closed = min(now, resolved + dt.timedelta(hours=rng.uniform(1, 48)))
        status = Status.CLOSED
        fields.update(closed_at=closed, outcome=rng.choice(OUTCOMES))
        events.append((closed, "Resolved → Closed", ""))
    Case.objects.filter(pk=case.pk).update(status=status, **fields)
    for when, change, note in events:
        CaseEvent.objects.create(case=case, actor=case.owner, kind=CaseEvent.Kind.STATUS, text=change, created_at=when)
        if note:
            CaseEvent.objects.create(case=case, actor=case.owner, kind=CaseEvent.Kind.NOTE, text=note, created_at=when)


def _action(company: Unit, now: dt.datetime) -> None:
    """An improvement action on the stores whose story is a recovery, started a year ago."""
    stores = list(Unit.objects.filter(path__startswith=company.path, name__in=["Leeds", "Glasgow", "Valencia"]))
    if not stores:
        return
    action = Action.objects.create(
        name=ACTION_NAME,
        description="Queue-busting at peak hours, staff coaching on complaints, and a callback within a day.",
        theme_name="Waiting",
        state=Action.State.IN_PROGRESS,
        started_on=(now - dt.timedelta(days=365)).date(),
        window_days=180,
        owner=get_user_model().objects.filter(username="manager").first(),
    )
    action.units.set(stores)
