"""Queue the follow-up tasks of many saved responses as one task per batch instead of one per response.

Filing a batch of answers (``harken.collect.intake``) saves hundreds of responses in one transaction; each save
tells its listeners (alert rules, comment analysis), which would queue a task per response — a task row costs
more than filing the answer itself.  Inside ``tasks_per_batch()`` a listener hands its response id to
``add(task_for_many, pk)`` instead, and the block queues ``task_for_many(ids)`` once per task at its end, in the
same transaction.  Outside such a block ``add`` returns False and the listener queues its usual task.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

_state = threading.local()


@contextmanager
def tasks_per_batch() -> Iterator[None]:
    """Collect ``add``-ed ids during the block; on leaving it without an error, queue one task per task."""
    if getattr(_state, "pending", None) is not None:  # nested: the outer block queues
        yield
        return
    _state.pending = {}
    try:
        yield
        pending: dict[Any, list[int]] = _state.pending
    finally:
        _state.pending = None
    for task, ids in pending.items():
        task.enqueue(sorted(set(ids)))


def add(task_for_many: Any, pk: int) -> bool:
    """Add ``pk`` to the batch's call of ``task_for_many``; False when no batch is being collected."""
    pending: dict[Any, list[int]] | None = getattr(_state, "pending", None)
    if pending is None:
        return False
    pending.setdefault(task_for_many, []).append(pk)
    return True
