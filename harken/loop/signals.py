"""Queue the alert rules of each newly created response once its transaction commits.

Bulk imports (``bulk_create``) send no signal, so imported history opens no cases.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models.signals import post_save


def _response_saved(sender: Any, instance: Any, created: bool, raw: bool = False, **kwargs: Any) -> None:
    if not created or raw:
        return
    from harken.loop.tasks import apply_rules

    response_id = instance.pk
    transaction.on_commit(lambda: apply_rules.enqueue(response_id))


def connect() -> None:
    """Connect the handler to ``Response``'s ``post_save`` (called from the app's ``ready``)."""
    from harken.collect.models import Response

    post_save.connect(_response_saved, sender=Response, dispatch_uid="harken.loop.apply_rules")
