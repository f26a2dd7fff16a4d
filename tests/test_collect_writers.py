"""The queue of SQLite writers on the answer path: one at a time, and none for in-memory or PostgreSQL databases."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest

from harken.collect import writers


def test_the_test_database_needs_no_queue(db: None) -> None:
    assert writers.lock_path() is None  # in-memory SQLite, or PostgreSQL with DATABASE_URL
    with writers.one_writer():
        pass


def test_writers_take_turns(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.setattr(writers, "lock_path", lambda: str(tmp_path / "harken.sqlite3.writers"))
    inside: list[int] = []
    overlaps: list[int] = []

    def write(number: int) -> None:
        with writers.one_writer():
            if inside:
                overlaps.append(number)
            inside.append(number)
            time.sleep(0.01)
            inside.remove(number)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert overlaps == [] and inside == []
    assert (tmp_path / "harken.sqlite3.writers").exists()


def test_a_turn_is_reentrant_within_a_thread(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.setattr(writers, "lock_path", lambda: str(tmp_path / "harken.sqlite3.writers"))
    with writers.one_writer():
        writers.take_turn()  # a transaction inside one_writer takes its turn again: no deadlock
        assert writers._turns.depth == 2
        writers.end_turn()
        assert writers._thread_lock.locked()  # still held by the outer turn
    assert writers._turns.depth == 0 and not writers._thread_lock.locked()
    writers.end_turn()  # one too many is ignored
    assert writers._turns.depth == 0


@pytest.mark.django_db(transaction=True)
def test_every_sqlite_transaction_takes_its_turn(tmp_path: Path, monkeypatch: Any) -> None:
    from django.db import connection, transaction

    if connection.vendor != "sqlite":
        assert writers.lock_path() is None  # PostgreSQL needs no queue
        return
    monkeypatch.setattr(writers, "lock_path", lambda: str(tmp_path / "harken.sqlite3.writers"))
    with transaction.atomic():
        assert writers._thread_lock.locked() and writers._turns.depth == 1
    assert not writers._thread_lock.locked() and writers._turns.depth == 0
    try:
        with transaction.atomic():
            raise RuntimeError("rolled back")
    except RuntimeError:
        pass
    assert not writers._thread_lock.locked() and writers._turns.depth == 0
