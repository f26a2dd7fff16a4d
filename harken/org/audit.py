"""The audit log: one call, ``record``, from each place that signs in, exports, erases or changes permissions."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in
from django.db.models import Model
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.http import HttpRequest

from harken.org.models import AuditEvent, Membership


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
    record(user, "sign_in")


@receiver(post_save, sender=Membership, dispatch_uid="audit_membership_saved")
def _membership_saved(sender: Any, instance: Membership, created: bool, **kwargs: Any) -> None:
    if kwargs.get("raw"):
        return
    action = "membership_added" if created else "membership_changed"
    record(None, action, instance, user=instance.user_id, unit=instance.unit_id, role=instance.role)


@receiver(post_delete, sender=Membership, dispatch_uid="audit_membership_deleted")
def _membership_deleted(sender: Any, instance: Membership, **kwargs: Any) -> None:
    record(None, "membership_removed", instance, user=instance.user_id, unit=instance.unit_id, role=instance.role)
