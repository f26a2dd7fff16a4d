"""Improvement actions: who may see and change them, and what a valid one is (plain rules, no web).

An action is seen by whoever sees one of its units (as on the actions page).  Planning one is a manager's
job: administrators may act on every unit, managers on the units of their subtree (``authority``), and a
manager may change an action only when every unit it covers is theirs.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import QuerySet

from harken.loop import authority
from harken.loop.models import Action
from harken.org.models import Unit
from harken.org.scoping import visible_units
from harken.text.models import Theme

MIN_WINDOW_DAYS = 7
MAX_WINDOW_DAYS = 365


class ActionError(ValueError):
    """An invalid value; ``field`` names it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def visible_actions(user: Any) -> QuerySet[Action]:
    """Actions on at least one unit the user may see."""
    visible = visible_units(user).values("pk")
    return Action.objects.filter(pk__in=Action.objects.filter(units__in=visible).values("pk"))


def may_plan(user: Any) -> bool:
    """Whether the user may plan actions at all (administrators and managers)."""
    return authority.may_configure(user)


def can_change(user: Any, action: Action) -> bool:
    """Administrators change any action; managers those whose units all lie in their subtree."""
    managed = authority.managed_units(user)
    if managed is None:
        return True
    ids = set(managed.values_list("pk", flat=True))
    return set(action.units.values_list("pk", flat=True)) <= ids


def check_units(user: Any, unit_ids: Iterable[int]) -> list[Unit]:
    """The units an action may cover for this user; at least one, each managed by the user."""
    wanted = sorted(set(unit_ids))
    if not wanted:
        raise ActionError("unit_ids", "Choose at least one unit.")
    managed = authority.managed_units(user)
    allowed = Unit.objects.all() if managed is None else managed
    found = {unit.pk: unit for unit in allowed.filter(pk__in=wanted)}
    missing = [pk for pk in wanted if pk not in found]
    if missing:
        raise ActionError("unit_ids", f"You may not plan actions for unit {missing[0]} (or it does not exist).")
    return [found[pk] for pk in wanted]


def check_values(values: dict[str, Any]) -> dict[str, Any]:
    """Check name, theme, owner, state and window; the model fields to set."""
    result: dict[str, Any] = {}
    if "name" in values:
        name = str(values["name"] or "").strip()
        if not name:
            raise ActionError("name", "Give the action a name.")
        if len(name) > 200:
            raise ActionError("name", "At most 200 characters.")
        result["name"] = name
    if "description" in values:
        result["description"] = str(values["description"] or "").strip()
    if "theme_id" in values:
        theme_id = values["theme_id"]
        if theme_id is not None and not Theme.objects.filter(pk=theme_id).exists():
            raise ActionError("theme_id", f"No theme {theme_id}.")
        result["theme_id"] = theme_id
    if "owner" in values:
        owner = values["owner"]
        user = None
        if owner:
            user = get_user_model().objects.filter(username=owner, is_active=True).first()
            if user is None:
                raise ActionError("owner", f"No active user {owner!r}.")
        result["owner"] = user
    if "state" in values and values["state"] is not None:
        if values["state"] not in Action.State.values:
            raise ActionError("state", f"Choose one of: {', '.join(Action.State.values)}.")
        result["state"] = values["state"]
    if "started_on" in values and values["started_on"] is not None:
        if not isinstance(values["started_on"], dt.date):
            raise ActionError("started_on", "A date, YYYY-MM-DD.")
        result["started_on"] = values["started_on"]
    if "window_days" in values and values["window_days"] is not None:
        days = values["window_days"]
        if not MIN_WINDOW_DAYS <= days <= MAX_WINDOW_DAYS:
            raise ActionError("window_days", f"Between {MIN_WINDOW_DAYS} and {MAX_WINDOW_DAYS} days.")
        result["window_days"] = days
    return result


def do_save_action(action: Action, fields: dict[str, Any], units: list[Unit] | None) -> Action:
    """Save checked ``fields`` (and ``units`` when given) on ``action``, new or not."""
    for name, value in fields.items():
        setattr(action, name, value)
    with transaction.atomic():
        action.save()
        if units is not None:
            action.units.set(units)
    return action
