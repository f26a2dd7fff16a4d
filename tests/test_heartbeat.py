"""Heartbeat tasks: started by every worker, never doubled, each queuing its own next beat."""

from __future__ import annotations

import pytest
from django_tasks_db.models import DBTaskResult

from harken import heartbeat
from harken.loop.tasks import loop_tick


def queued(task: object) -> int:
    return DBTaskResult.objects.filter(task_path=task.module_path, status="READY").count()  # type: ignore[attr-defined]


@pytest.mark.django_db
def test_a_starting_worker_queues_each_heartbeat_once() -> None:
    assert heartbeat.ensure_all() == len(heartbeat.heartbeats())
    assert heartbeat.ensure_all() == 0
    for task in heartbeat.heartbeats():
        assert queued(task) == 1


@pytest.mark.django_db
def test_a_beat_does_not_queue_a_successor_while_another_run_waits() -> None:
    assert heartbeat.ensure_running(loop_tick) is True
    # A second chain (two workers started at once) ends at its next beat instead of running forever.
    assert heartbeat.queue_next(loop_tick, 60) is False
    assert queued(loop_tick) == 1


@pytest.mark.django_db
def test_the_loop_tick_queues_its_next_beat_a_minute_later() -> None:
    loop_tick.call()
    [result] = DBTaskResult.objects.filter(task_path=loop_tick.module_path)
    assert result.status == "READY"
    assert 55 <= (result.run_after - result.enqueued_at).total_seconds() <= 65
