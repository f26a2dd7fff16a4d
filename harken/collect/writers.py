"""One SQLite writer at a time, waiting in the kernel instead of in SQLite's busy handler.

SQLite lets one connection write at a time.  A connection that finds the database locked sleeps in its busy
handler — 1, 2, 5, 10 … ms — and tries again, so under a burst of answers most threads sleep while the lock
is already free: ``bench/answer_throughput.py`` saw the server use under one of two cores.  Writers of the
hot path therefore first queue on a lock of their own — a thread lock within the process, then ``flock`` on a
file beside the database across processes — which wakes the next writer the moment the previous one is done.
Every transaction takes its turn too (``harken.lib.sqlite``, the SQLite backend Harken configures); the
turn is reentrant within a thread, so a transaction inside ``one_writer`` waits once.  Autocommit
statements outside a transaction still rely on the busy timeout; correctness never depends on this lock.
PostgreSQL and in-memory SQLite databases need none.
"""

from __future__ import annotations

import fcntl
import logging
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection

WAIT_SECONDS = 20  # as SQLite's busy timeout (harken.lib.env)
logger = logging.getLogger(__name__)
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


_turns = threading.local()  # how many turns this thread holds (a transaction inside ``one_writer`` is one more)


def take_turn() -> None:
    """Wait for and take the writers' turn (reentrant within a thread); pair with ``end_turn``."""
    path = lock_path()
    depth = getattr(_turns, "depth", 0)
    if depth == 0 and path is not None:
        if not _thread_lock.acquire(timeout=WAIT_SECONDS):
            # Another thread of this process held its turn too long (waiting on us?): go on without one and
            # let SQLite's busy timeout decide, as it would without the queue.
            logger.warning("Waited %s s for the SQLite writers' turn; going on without it", WAIT_SECONDS)
            _turns.depth = depth + 1
            _turns.path = None
            return
        try:
            fcntl.flock(_descriptor(path), fcntl.LOCK_EX)
        except BaseException:
            _thread_lock.release()
            raise
        _turns.path = path
    _turns.depth = depth + 1


def end_turn() -> None:
    """Give back a turn taken with ``take_turn``; the last one wakes the next writer."""
    depth = getattr(_turns, "depth", 0) - 1
    if depth < 0:
        return
    _turns.depth = depth
    path = getattr(_turns, "path", None)
    if depth == 0 and path is not None:
        _turns.path = None
        fcntl.flock(_descriptor(path), fcntl.LOCK_UN)
        _thread_lock.release()


@contextmanager
def one_writer() -> Iterator[None]:
    """Hold the writers' queue for the enclosed transaction (including its on-commit work)."""
    take_turn()
    try:
        yield
    finally:
        end_turn()
