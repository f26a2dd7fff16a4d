"""Who is calling: a personal API key (``Authorization: Bearer hk_…``) or a logged-in browser session.

An API key acts as its owner and sees what its owner sees; its scope (read, write, admin) limits what it
may do.  A session has every scope its owner's roles allow.  ``user_of`` gives the acting user.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from ninja.security import HttpBearer, SessionAuth

from harken.api.keys import find_key
from harken.api.models import ApiKey, Scope
from harken.org.models import Membership, Unit
from harken.org.scoping import visible_units


class KeyAuth(HttpBearer):
    """A bearer API key whose scope includes ``scope``; a weaker key is refused with 403."""

    def __init__(self, scope: Scope) -> None:
        super().__init__()
        self.scope = scope

    def authenticate(self, request: HttpRequest, token: str) -> ApiKey | None:
        key = find_key(token)
        if key is None:
            return None
        if not key.allows(self.scope):
            raise PermissionDenied(f"This API key has the '{key.scope}' scope; this request needs '{self.scope}'.")
        return key


def scoped(scope: Scope) -> list[Any]:
    """The ``auth`` list of an operation that needs ``scope``: an API key, else a session."""
    return [KeyAuth(scope), SessionAuth()]


READ = scoped(Scope.READ)
WRITE = scoped(Scope.WRITE)
ADMIN = scoped(Scope.ADMIN)


def user_of(request: HttpRequest) -> AbstractBaseUser:
    """The user a request acts as: the key's owner, or the logged-in user."""
    auth = getattr(request, "auth", None)
    if isinstance(auth, ApiKey):
        return auth.user
    assert isinstance(request.user, AbstractBaseUser)
    return request.user


def is_administrator(user: AbstractBaseUser) -> bool:
    """Superusers and users with the admin role somewhere may change the organisation's set-up."""
    return (
        bool(getattr(user, "is_superuser", False))
        or Membership.objects.filter(user_id=user.pk, role=Membership.Role.ADMIN).exists()
    )


def is_global_administrator(user: AbstractBaseUser) -> bool:
    """Superusers and admins of a root unit may change what is shared by all units (touchpoints, surveys)."""
    return (
        bool(getattr(user, "is_superuser", False))
        or Membership.objects.filter(user_id=user.pk, role=Membership.Role.ADMIN, unit__parent__isnull=True).exists()
    )


def check_administrator(user: AbstractBaseUser, shared: bool = False) -> None:
    """Refuse users who are not administrators (of the whole organisation when ``shared``)."""
    allowed = is_global_administrator(user) if shared else is_administrator(user)
    if not allowed:
        where = "of the whole organisation " if shared else ""
        raise PermissionDenied(f"Only administrators {where}may do this.")


def check_can_write_unit(user: AbstractBaseUser, unit: Unit) -> None:
    """Writing data about a unit needs a role other than analyst (who only reads) over that unit."""
    if getattr(user, "is_superuser", False):
        return
    memberships = Membership.objects.filter(user_id=user.pk).exclude(role=Membership.Role.ANALYST)
    if not any(unit.path.startswith(path) for path in memberships.values_list("unit__path", flat=True)):
        raise PermissionDenied(f"You may not add data to {unit.name}.")


def visible_unit(user: AbstractBaseUser, unit_id: int) -> Unit | None:
    """The unit if this user may see it."""
    return visible_units(user).filter(pk=unit_id).first()
