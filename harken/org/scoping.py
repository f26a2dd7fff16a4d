"""The one place that decides which units a user may see (DESIGN.md §6).

Every view, API endpoint, export and report filters its querysets through ``scope_to_user`` so that role
scoping is enforced in the query, not in the template.
"""

from __future__ import annotations

from typing import TypeVar

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Model, Q, QuerySet

from harken.org.models import Membership, Unit

M = TypeVar("M", bound=Model)

SEE_EVERYTHING = {Membership.Role.ANALYST, Membership.Role.ADMIN}


def sees_everything(user: AbstractBaseUser | AnonymousUser) -> bool:
    """Superusers, analysts and administrators read the whole organisation."""
    if not user.is_authenticated:
        return False
    if getattr(user, "is_superuser", False):
        return True
    return Membership.objects.filter(user_id=user.pk, role__in=SEE_EVERYTHING).exists()


def visible_units(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Unit]:
    """The units this user may see: every unit under each of their memberships."""
    if not user.is_authenticated:
        return Unit.objects.none()
    if sees_everything(user):
        return Unit.objects.all()
    paths = list(Membership.objects.filter(user_id=user.pk).values_list("unit__path", flat=True))
    if not paths:
        return Unit.objects.none()
    condition = Q()
    for path in paths:
        condition |= Q(path__startswith=path)
    return Unit.objects.filter(condition)


def scope_to_user(
    queryset: QuerySet[M], user: AbstractBaseUser | AnonymousUser, unit_field: str = "unit"
) -> QuerySet[M]:
    """Limit ``queryset`` to rows whose ``unit_field`` is a unit the user may see."""
    if not user.is_authenticated:
        return queryset.none()
    if sees_everything(user):
        return queryset
    return queryset.filter(**{f"{unit_field}__in": visible_units(user).values("pk")})


def root_units(user: AbstractBaseUser | AnonymousUser) -> list[Unit]:
    """The highest units the user sees — where their dashboards start."""
    units = list(visible_units(user).order_by("depth", "name"))
    roots: list[Unit] = []
    for unit in units:
        if not any(unit.path.startswith(root.path) for root in roots):
            roots.append(unit)
    return roots
