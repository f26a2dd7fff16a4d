"""Working cases: ``check_*`` functions validate and raise ``CaseError``; ``do_*`` functions are the only writers.

Every change is recorded as a ``CaseEvent`` with who and when.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from harken.collect.models import Response
from harken.loop import events
from harken.loop.models import OPEN_STATUSES, TRANSITIONS, AlertRule, Case, CaseEvent, Outcome, Status
from harken.loop.sla import due_at
from harken.org.models import Membership, Unit
from harken.org.scoping import scope_to_user
from harken.text.models import Theme


class CaseError(ValueError):
    """A change that cannot be made; the message is shown to the user as it is."""


def unit_time_zone(unit: Unit) -> str:
    """The unit's time zone, or the installation's."""
    return unit.time_zone or settings.TIME_ZONE


def visible_cases(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Case]:
    """The cases of the units this user may see (DESIGN.md §6)."""
    return scope_to_user(Case.objects.all(), user).select_related(
        "unit", "owner", "response", "rule", "root_cause__parent"
    )


def can_work(user: AbstractBaseUser | AnonymousUser, case: Case) -> bool:
    """The owner, administrators, and managers or front-line members of the case's unit or above may act on
    it; analysts only read."""
    if not user.is_authenticated:
        return False
    if getattr(user, "is_superuser", False) or case.owner_id == user.pk:
        return True
    memberships = Membership.objects.filter(user_id=user.pk)
    if memberships.filter(role=Membership.Role.ADMIN).exists():
        return True
    acting = [Membership.Role.FRONTLINE, Membership.Role.MANAGER]
    return memberships.filter(role__in=acting, unit_id__in=case.unit.ancestor_ids()).exists()


def managers_above(unit: Unit) -> list[tuple[int, Any]]:
    """(depth, user) of every manager on the unit and its ancestors, the nearest first."""
    memberships = (
        Membership.objects.filter(unit_id__in=unit.ancestor_ids(), role=Membership.Role.MANAGER)
        .select_related("user", "unit")
        .order_by("-unit__depth", "user_id")
    )
    return [(m.unit.depth, m.user) for m in memberships if m.user.is_active]


def default_owner(unit: Unit, assign: str = AlertRule.Assign.MANAGER) -> Any | None:
    """The manager of the unit (the nearest one up the tree), or the next team member in turn."""
    if assign == AlertRule.Assign.ROUND_ROBIN:
        team = list(
            Membership.objects.filter(unit=unit, user__is_active=True)
            .exclude(role=Membership.Role.ANALYST)
            .order_by("user_id")
            .values_list("user_id", flat=True)
        )
        if team:
            last = Case.objects.filter(unit=unit, owner_id__in=team).order_by("-opened_at", "-pk").first()
            index = (team.index(last.owner_id) + 1) % len(team) if last and last.owner_id else 0
            from django.contrib.auth import get_user_model

            return get_user_model().objects.get(pk=team[index])
    managers = managers_above(unit)
    return managers[0][1] if managers else None


def do_open_case(response: Response, rule: AlertRule | None, now: dt.datetime | None = None) -> Case | None:
    """Open a case on ``response`` for ``rule``; ``None`` if that rule already opened one on it."""
    now = now or timezone.now()
    unit = response.unit
    sla = rule.sla_hours if rule else 24
    with transaction.atomic():
        case, created = Case.objects.get_or_create(
            response=response,
            rule=rule,
            defaults={
                "unit": unit,
                "owner": default_owner(unit, rule.assign if rule else AlertRule.Assign.MANAGER),
                "title": _title(response, rule),
                "priority": rule.priority if rule else 2,
                "opened_at": now,
                "due_at": due_at(now, sla, unit_time_zone(unit)),
            },
        )
        if not created:
            return None
        owner = case.owner.get_username() if case.owner else "nobody"
        CaseEvent.objects.create(case=case, kind=CaseEvent.Kind.OPENED, text=f"Assigned to {owner}", created_at=now)
        events.case_opened(case)
    return case


def _title(response: Response, rule: AlertRule | None) -> str:
    score = "no score" if response.score is None else f"{response.score}/10"
    reason = rule.name if rule else "Opened by hand"
    return f"{score} from {response.unit.name}: {reason}"[:200]


def check_status_change(case: Case, status: str, root_cause: Theme | None = None, outcome: str = "") -> None:
    """The move must be allowed; closing needs a root cause (a theme) and an outcome."""
    if status not in Status.values:
        raise CaseError(f"Unknown status {status!r}.")
    if status not in TRANSITIONS[case.status]:
        raise CaseError(f"A {case.get_status_display().lower()} case cannot become {Status(status).label.lower()}.")
    if status == Status.CLOSED and not (root_cause or case.root_cause_id):
        raise CaseError("Choose a root cause before closing the case.")
    if status == Status.CLOSED and not (outcome or case.outcome):
        raise CaseError("Choose an outcome before closing the case.")
    if outcome and outcome not in Outcome.values:
        raise CaseError(f"Unknown outcome {outcome!r}.")


def check_root_cause(theme_id: int | None) -> Theme | None:
    """The theme with this id as a root cause (None for none), or ``CaseError``."""
    if theme_id is None:
        return None
    theme = Theme.objects.filter(pk=theme_id).select_related("parent").first()
    if theme is None:
        raise CaseError(f"There is no theme {theme_id}.")
    return theme


def do_change_status(
    case: Case, status: str, actor: Any, *, root_cause: Theme | None = None, outcome: str = "", note: str = ""
) -> Case:
    """Move the case to ``status`` (call ``check_status_change`` first), recording who and when."""
    now = timezone.now()
    old, old_label = case.status, case.get_status_display()
    with transaction.atomic():
        case.status = status
        case.root_cause = root_cause or case.root_cause
        case.outcome = outcome or case.outcome
        if status in (Status.IN_PROGRESS, Status.WAITING) and case.first_contact_at is None:
            case.first_contact_at = now
        if status == Status.RESOLVED:
            case.resolved_at = now
        if status == Status.CLOSED:
            case.closed_at = now
            case.resolved_at = case.resolved_at or now
        if status == Status.IN_PROGRESS and old in (Status.RESOLVED, Status.CLOSED):
            case.resolved_at = case.closed_at = None  # reopened
        case.save()
        text = f"{old_label} → {case.get_status_display()}"
        if root_cause or outcome:
            cause, result = str(case.root_cause or "—"), case.get_outcome_display() or "—"
            text += f" (root cause: {cause}; outcome: {result})"
        CaseEvent.objects.create(case=case, actor=actor, kind=CaseEvent.Kind.STATUS, text=text, created_at=now)
        if note.strip():
            CaseEvent.objects.create(
                case=case, actor=actor, kind=CaseEvent.Kind.NOTE, text=note.strip(), created_at=now
            )
        events.case_changed(case)
    return case


def check_note(text: str) -> str:
    """A note is not empty and at most 5,000 characters."""
    text = (text or "").strip()
    if not text:
        raise CaseError("Write a note first.")
    if len(text) > 5000:
        raise CaseError("A note is at most 5,000 characters.")
    return text


def do_add_note(case: Case, actor: Any, text: str) -> CaseEvent:
    """Add a note to the case's history."""
    return CaseEvent.objects.create(case=case, actor=actor, kind=CaseEvent.Kind.NOTE, text=text)


def escalation_target(case: Case) -> Any | None:
    """The next manager up the tree from where the current owner manages (or the nearest, if they do not)."""
    managers = managers_above(case.unit)
    owner_depths = [depth for depth, user in managers if user.pk == case.owner_id]
    limit = min(owner_depths) if owner_depths else case.unit.depth + 1
    for depth, user in managers:
        if depth < limit and user.pk != case.owner_id:
            return user
    return None


def do_escalate_overdue(now: dt.datetime | None = None) -> int:
    """Hand each overdue open case to the next manager up, notify them, and give them a fresh SLA.

    A case is claimed by a conditional update on its owner and due time, so two workers never escalate it
    twice.  Returns the number escalated.
    """
    now = now or timezone.now()
    count = 0
    overdue = Case.objects.filter(status__in=OPEN_STATUSES, due_at__lt=now).select_related("unit", "owner", "rule")
    for case in overdue:
        target = escalation_target(case)
        if target is None:
            continue
        sla = case.rule.sla_hours if case.rule else 24
        new_due = due_at(now, sla, unit_time_zone(case.unit))
        with transaction.atomic():
            claimed = Case.objects.filter(pk=case.pk, owner_id=case.owner_id, due_at=case.due_at).update(
                owner=target, due_at=new_due, escalation_level=case.escalation_level + 1
            )
            if not claimed:
                continue
            previous = case.owner.get_username() if case.owner else "nobody"
            CaseEvent.objects.create(
                case=case,
                kind=CaseEvent.Kind.ESCALATED,
                text=f"Overdue since {case.due_at:%Y-%m-%d %H:%M} UTC: "
                f"escalated from {previous} to {target.get_username()}",
                created_at=now,
            )
            case.owner, case.due_at, case.escalation_level = target, new_due, case.escalation_level + 1
            events.case_changed(case)
        _notify_escalation(case, target)
        count += 1
    return count


def _notify_escalation(case: Case, target: Any) -> None:
    if not target.email:
        return
    url = f"{settings.BASE_URL}/cases/{case.pk}/"
    from harken.loop.mailing import do_queue_notification

    do_queue_notification(
        [target.email],
        f"Overdue case escalated to you: {case.title}",
        f"Case {case.pk} in {case.unit.name} is past its due time and now yours.\n\n{url}\n",
    )
