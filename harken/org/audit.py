"""The audit log: one call, ``record``, from each place that signs in, exports, erases or changes permissions.

Membership changes are recorded by signals wherever they happen (the admin, the API, a page, a command); the
person who made them is the *acting user*: set for each web request by ``ActingUserMiddleware`` and, where
no request user exists (an API key, a command), by ``acting_as``.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Callable, Iterator
from typing import Any

from django.contrib.auth.signals import user_logged_in
from django.db.models import Model
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse

from harken.org.models import AuditEvent, Membership

_acting_user: contextvars.ContextVar[Any] = contextvars.ContextVar("harken_acting_user", default=None)


@contextlib.contextmanager
def acting_as(user: Any) -> Iterator[None]:
    """Within the block, changes recorded by signals are attributed to ``user``."""
    token = _acting_user.set(user)
    try:
        yield
    finally:
        _acting_user.reset(token)


def acting_user() -> Any:
    """The user on whose behalf the current code runs, or None (the system)."""
    user = _acting_user.get()
    return user if user is not None and getattr(user, "is_authenticated", False) else None


class ActingUserMiddleware:
    """Make the signed-in user of each request the acting user of the audit log."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with acting_as(getattr(request, "user", None)):
            return self.get_response(request)


def record(actor: Any, action: str, obj: Model | None = None, **details: Any) -> AuditEvent:
    """Add one audit event; ``actor`` is a user or None (the system, e.g. the retention policy)."""
    is_user = actor is not None and getattr(actor, "is_authenticated", False)
    return AuditEvent.objects.create(
        actor=actor if is_user else None,
        actor_name=actor.get_username() if is_user else "",
        action=action,
        object_type=obj._meta.model_name or "" if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        details=details,
    )


@receiver(user_logged_in, dispatch_uid="audit_sign_in")
def _signed_in(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    # Views that sign people in another way (single sign-on) say so on the request.
    record(user, "sign_in", via=getattr(request, "sign_in_method", "password") if request else "session")


@receiver(post_save, sender=Membership, dispatch_uid="audit_membership_saved")
def _membership_saved(sender: Any, instance: Membership, created: bool, **kwargs: Any) -> None:
    if kwargs.get("raw"):
        return
    action = "membership_added" if created else "membership_changed"
    record(acting_user(), action, instance, user=instance.user_id, unit=instance.unit_id, role=instance.role)


@receiver(post_delete, sender=Membership, dispatch_uid="audit_membership_deleted")
def _membership_deleted(sender: Any, instance: Membership, **kwargs: Any) -> None:
    record(
        acting_user(), "membership_removed", instance, user=instance.user_id, unit=instance.unit_id, role=instance.role
    )
