"""Who may configure alert rules and webhook endpoints: administrators everywhere, managers for their subtree.

``managed_units`` returns ``None`` for "everything" so callers can tell an administrator from a manager of
every unit; views filter their querysets with ``scope_config`` (DESIGN.md §6: scoping in the query).
"""

from __future__ import annotations

from typing import TypeVar

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Model, Q, QuerySet

from harken.org.models import Membership, Unit

M = TypeVar("M", bound=Model)
User = AbstractBaseUser | AnonymousUser


def is_admin(user: User) -> bool:
    """Superusers and members with the administrator role."""
    if not user.is_authenticated:
        return False
    if getattr(user, "is_superuser", False):
        return True
    return Membership.objects.filter(user_id=user.pk, role=Membership.Role.ADMIN).exists()


def managed_units(user: User) -> QuerySet[Unit] | None:
    """``None`` for an administrator (every unit and the unit-less, installation-wide configuration), else
    the units in the subtrees the user manages (possibly none)."""
    if is_admin(user):
        return None
    if not user.is_authenticated:
        return Unit.objects.none()
    paths = list(
        Membership.objects.filter(user_id=user.pk, role=Membership.Role.MANAGER).values_list("unit__path", flat=True)
    )
    if not paths:
        return Unit.objects.none()
    condition = Q()
    for path in paths:
        condition |= Q(path__startswith=path)
    return Unit.objects.filter(condition)


def may_configure(user: User) -> bool:
    """Whether the user may see the configuration pages at all."""
    units = managed_units(user)
    return units is None or units.exists()


def scope_config(queryset: QuerySet[M], user: User) -> QuerySet[M]:
    """Rules or endpoints the user may manage: all for administrators; for managers, those bound to a unit of
    their subtree (installation-wide ones, without a unit, are for administrators only)."""
    units = managed_units(user)
    if units is None:
        return queryset
    return queryset.filter(unit__in=units.values("pk"))


def unit_choices(user: User) -> list[tuple[str, str]]:
    """Units a user may bind a rule or endpoint to, indented as a tree; the empty choice is "everywhere" for
    administrators and a prompt for managers (who must choose)."""
    units = managed_units(user)
    chosen = Unit.objects.all() if units is None else units
    rows = list(chosen.order_by("path"))
    top = min((unit.depth for unit in rows), default=0)
    options = [(str(unit.pk), "\u2003" * (unit.depth - top) + unit.name) for unit in rows]
    return [("", "Everywhere" if units is None else "Choose a unit"), *options]
