"""Queue the alert rules of each new or changed response, in the transaction that saves it.

A response changes when the customer adds the comment or follow-up answers after the score; the rules run again
then (each rule still fires at most once per response, see ``harken.loop.alerts``).  Bulk imports
(``bulk_create``) and queryset updates (erasure, retention) send no signal, so they open no cases.
"""

from __future__ import annotations

from typing import Any

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
    from harken.lib import batching
    from harken.loop.tasks import apply_rules, apply_rules_to

    if batching.add(apply_rules_to, instance.pk):  # filing a batch of answers: one task for all of them
        return
    # Queued in the response's own transaction (the task row commits, or rolls back, with the response), not
    # in a second one after it: on the hot answer endpoint a separate commit cost ~35 % of an answer.
    apply_rules.enqueue(instance.pk)


def connect() -> None:
    """Connect the handler to ``Response``'s ``post_save`` (called from the app's ``ready``)."""
    from harken.collect.models import Response

    post_save.connect(_response_saved, sender=Response, dispatch_uid="harken.loop.apply_rules")
