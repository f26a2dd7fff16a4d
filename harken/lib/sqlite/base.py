"""Django's SQLite backend, with each transaction queuing for the write lock in ``harken.collect.writers``.

With ``transaction_mode="IMMEDIATE"`` every transaction takes SQLite's write lock at ``BEGIN``.  A connection
that finds it taken sleeps in SQLite's busy handler (1, 2, 5 … 100 ms) and tries again, and a process that
writes in quick succession — the task worker running the alert rules of a batch of answers, say — can take
the lock again and again while the others sleep: ``bench/answer_throughput.py --with-worker`` saw web
requests wait over two seconds.  Here a transaction first takes its turn on the writers' queue (a thread lock,
then ``flock`` beside the database), which wakes the next writer as soon as the lock is free, in every
process that uses Django.  Writes outside a transaction (autocommit statements) still rely on the busy
timeout; correctness never depends on the queue.
"""

from __future__ import annotations

from typing import Any

from django.db.backends.sqlite3 import base

from harken.collect import writers


class DatabaseWrapper(base.DatabaseWrapper):
    """SQLite, each transaction holding a turn on the writers' queue from ``BEGIN`` to its end."""

    _holds_turn = False

    def _start_transaction_under_autocommit(self) -> None:
        writers.take_turn()
        self._holds_turn = True
        try:
            super()._start_transaction_under_autocommit()  # type: ignore[misc]  # private in the stubs
        except BaseException:
            self._end_turn()
            raise

    def _commit(self) -> Any:
        try:
            return super()._commit()  # type: ignore[misc]
        finally:
            self._end_turn()

    def _rollback(self) -> Any:
        try:
            return super()._rollback()  # type: ignore[misc]
        finally:
            self._end_turn()

    def _close(self) -> Any:
        try:
            return super()._close()  # type: ignore[misc]
        finally:
            self._end_turn()

    def _end_turn(self) -> None:
        if self._holds_turn:
            self._holds_turn = False
            writers.end_turn()
