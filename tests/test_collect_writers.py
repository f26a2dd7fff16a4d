"""The queue of SQLite writers on the answer path: one at a time, and none for in-memory or PostgreSQL databases."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

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
