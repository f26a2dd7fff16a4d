"""One SQLite writer at a time, waiting in the kernel instead of in SQLite's busy handler.

SQLite lets one connection write at a time.  A connection that finds the database locked sleeps in its busy
handler — 1, 2, 5, 10 … ms — and tries again, so under a burst of answers most threads sleep while the lock
is already free: ``bench/answer_throughput.py`` saw the server use under one of two cores.  Writers of the
hot path therefore first queue on a lock of their own — a thread lock within the process, then ``flock`` on a
file beside the database across processes — which wakes the next writer the moment the previous one is done.
Other writers (the task worker, admin pages) do not take it and still rely on the busy timeout; correctness
never depends on this lock.  PostgreSQL and in-memory SQLite databases need none.
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection

_thread_lock = threading.Lock()
_files: dict[tuple[int, str], int] = {}  # (process id, path) → open descriptor; a forked child opens its own


def lock_path() -> str | None:
    """The lock file of the SQLite database in use, or ``None`` if writes need no queue."""
    if connection.vendor != "sqlite":
        return None
    name = str(connection.settings_dict.get("NAME") or "")
    if not name or name == ":memory:" or name.startswith("file:") or "mode=memory" in name:
        return None
    return f"{name}.writers"


def _descriptor(path: str) -> int:
    key = (os.getpid(), path)
    if key not in _files:
        _files[key] = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    return _files[key]


@contextmanager
def one_writer() -> Iterator[None]:
    """Hold the writers' queue for the enclosed transaction (including its on-commit work)."""
    path = lock_path()
    if path is None:
        yield
        return
    with _thread_lock:
        descriptor = _descriptor(path)
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(descriptor, fcntl.LOCK_UN)
