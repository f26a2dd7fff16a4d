"""Queue the alert rules of each new or changed response once its transaction commits.

A response changes when the customer adds the comment or follow-up answers after the score; the rules run again
then (each rule still fires at most once per response, see ``harken.loop.alerts``).  Bulk imports
(``bulk_create``) and queryset updates (erasure, retention) send no signal, so they open no cases.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models.signals import post_save

# Saves that touch none of these fields cannot change what a rule sees.
WATCHED_FIELDS = frozenset({"score", "comment", "answers", "contact", "unit", "touchpoint"})


def _response_saved(
    sender: Any,
    instance: Any,
    created: bool,
    raw: bool = False,
    update_fields: frozenset[str] | None = None,
    **kwargs: Any,
) -> None:
    if raw or (not created and update_fields is not None and not WATCHED_FIELDS & set(update_fields)):
        return
    from harken.loop.tasks import apply_rules

    response_id = instance.pk
    transaction.on_commit(lambda: apply_rules.enqueue(response_id))


def connect() -> None:
    """Connect the handler to ``Response``'s ``post_save`` (called from the app's ``ready``)."""
    from harken.collect.models import Response

    post_save.connect(_response_saved, sender=Response, dispatch_uid="harken.loop.apply_rules")
