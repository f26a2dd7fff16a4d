"""Comments are analysed on arrival: a saved response with a comment queues ``analyse_response``."""

from __future__ import annotations

from typing import Any

from harken.collect.models import Response


def response_saved(sender: type[Response], instance: Response, created: bool, **kwargs: Any) -> None:
    """Queue the analysis, in the transaction that saves the response, when the comment is new or may have
    changed.

    Bulk inserts (imports, the demo) send no signal; ``harken comments analyse`` and the
    ``analyse_pending`` task pick those up.
    """
    if kwargs.get("raw"):  # loading fixtures: the rows are written as they are
        return
    update_fields = kwargs.get("update_fields")
    if created and not instance.comment:
        return
    if not created and update_fields is not None and "comment" not in update_fields:
        return
    from harken.lib import batching
    from harken.text.tasks import analyse_response, analyse_responses

    if batching.add(analyse_responses, instance.pk):  # filing a batch of answers: one task for all of them
        return
    analyse_response.enqueue(instance.pk)  # in the response's own transaction: no second commit per answer
