"""Widget answers are received at once and filed moments later, in batches.

Filing an answer as a response is the expensive part of the answer endpoint: the response row fires the
triggers of seven score-count tables and the comment index, and its follow-up work (alert rules, comment
analysis) is a task row each — together about a millisecond of CPU and a commit that writes some twenty
database pages.  A website can send thousands of answers a second, and on SQLite every one of those commits
queues behind the one before.

So the endpoint only *receives*: it checks the answer, counts it against the rate limits and appends it to
``ReceivedAnswer`` (no triggers, no index but the key) in one small transaction, and answers the browser.
From then on the answer is stored and cannot be lost.  *Filing* (``file_waiting``) takes the waiting answers
in arrival order, a batch at a time, and records each one with ``answers.do_record`` — the same code as every
other channel, so an answer sent twice still updates one response — in one transaction per batch, queuing the
follow-up work once per batch (``harken.lib.batching``).

A filer files every ``GATHER_SECONDS`` whatever has arrived: under a burst the cost of a commit and of a
task row is shared by a whole batch.  ``harken serve`` runs the filer as a process of its own (``harken
file_answers``, ``run_filer``) and tells its web processes so (``HARKEN_ANSWER_FILER=process``): inside a web
process filing would hold SQLite's write lock while waiting for that process's interpreter lock, and the
answers of both web processes would wait with it.  An answer is then a response within about a quarter of a
second.  Without a filer process (tests, ``runserver``, another WSGI server), a request that is the only
answer in progress in its process files at once, before it replies, and one that is not wakes a filer thread
of its process.  Filers take turns (``_only_filer``).  ``bench/answer_throughput.py`` measures both
sides.
"""

from __future__ import annotations

import fcntl
import functools
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from django.db import close_old_connections, connection, transaction
from django.db.models import F
from django.utils import timezone

from harken.collect import ratelimit, writers
from harken.collect.answers import Respondent, do_record
from harken.collect.models import ReceivedAnswer
from harken.distribution.models import Channel
from harken.lib import batching
from harken.org.models import Unit
from harken.surveys.models import Survey, Touchpoint

logger = logging.getLogger(__name__)

BATCH_SIZE = 200
FILING_BUDGET_SECONDS = 0.25  # one filer files batches for at most this long, then leaves the rest to others
SWEEP_SECONDS = 2.0
GATHER_SECONDS = 0.25  # under a burst, a batch per quarter second: answers are responses within about half a second
_ADVISORY_LOCK = 0x4841524B  # PostgreSQL: one filer at a time across processes ("HARK")

_filing = threading.Lock()  # one filer per process
_wake_filer = threading.Event()
_filer_started = threading.Event()
_counting = threading.Lock()
_in_flight = 0

_COLUMNS = (
    "received_at", "survey_id", "unit_id", "touchpoint_id", "submission_key", "score", "comment", "language",
    "visitor", "attempts", "last_error",
)  # fmt: skip


@dataclass
class _Arrival:
    values: list[Any]
    limits: Sequence[ratelimit.Limit]
    done: threading.Event = field(default_factory=threading.Event)
    error: BaseException | None = None


_arrivals: list[_Arrival] = []
_arrivals_lock = threading.Lock()
_storing = threading.Lock()  # held by the thread writing a group of arrivals


def do_receive(
    *,
    survey_id: int,
    unit_id: int,
    touchpoint_id: int | None,
    submission_key: str,
    score: int | None,
    comment: str | None,
    language: str,
    visitor: dict[str, Any] | None,
    limits: Sequence[ratelimit.Limit] = (),
) -> None:
    """Count the request against ``limits`` (raising ``RateLimited``) and store the answer; returns once it
    is committed.

    Group commit: the answers arriving in this process while one group is being written wait together and
    are written by one of their threads in the next transaction, one raw ``INSERT`` each (the ORM's model
    machinery would cost as much as the rest of the request).  On SQLite, where writers take turns, this
    turns a queue of a few hundred tiny transactions a second into a few dozen.
    """
    visitor_value = ReceivedAnswer._meta.get_field("visitor").get_db_prep_value(visitor, connection)
    values = [
        connection.ops.adapt_datetimefield_value(timezone.now()), survey_id, unit_id, touchpoint_id, submission_key,
        score, comment, language, visitor_value, 0, "",
    ]  # fmt: skip
    arrival = _Arrival(values, limits)
    with _arrivals_lock:
        _arrivals.append(arrival)
    while not arrival.done.is_set():
        if _storing.acquire(blocking=False):
            try:
                _store_arrivals()
            finally:
                _storing.release()
        else:
            # Another thread is writing; it takes ours too unless ours came after it looked (then we retry).
            arrival.done.wait(0.002)
    if arrival.error is not None:
        raise arrival.error


def _store_arrivals() -> None:
    """Write every waiting arrival, a group per transaction, until none is left."""
    quote = connection.ops.quote_name
    table = quote(ReceivedAnswer._meta.db_table)
    # Only quoted identifiers are interpolated; every value is a parameter.
    sql = (
        f"INSERT INTO {table} ({', '.join(quote(column) for column in _COLUMNS)}) "  # noqa: S608
        f"VALUES ({', '.join(['%s'] * len(_COLUMNS))})"
    )
    while True:
        with _arrivals_lock:
            group = _arrivals[:]
            _arrivals.clear()
        if not group:
            return
        try:
            with writers.one_writer(), transaction.atomic(), connection.cursor() as cursor:
                for arrival in group:
                    try:
                        ratelimit.check_rate(*arrival.limits)
                    except ratelimit.RateLimited as exc:
                        arrival.error = exc
                        continue
                    cursor.execute(sql, arrival.values)
        except BaseException as exc:  # nothing of the group was stored: every request of it fails
            for arrival in group:
                arrival.error = exc
        for arrival in group:
            arrival.done.set()


@contextmanager
def answering() -> Iterator[Callable[[], bool]]:
    """Count an answer request in progress in this process; yields a function telling whether others are."""
    global _in_flight
    with _counting:
        _in_flight += 1
    try:
        yield lambda: _in_flight > 1
    finally:
        with _counting:
            _in_flight -= 1


def file_soon(busy: bool) -> None:
    """Leave the answers to the filer process if there is one; else file them now if this process is not
    ``busy`` with other answers, or wake its filer thread (started if need be) to file them in a batch."""
    if os.environ.get("HARKEN_ANSWER_FILER") == "process":
        return  # the filer process files everything, a batch every GATHER_SECONDS
    if not busy and not _filing.locked():
        file_waiting()
    else:
        start_filer()
        _wake_filer.set()


def file_waiting(budget: float = FILING_BUDGET_SECONDS) -> int:
    """File waiting answers, a batch at a time, for up to ``budget`` seconds; the number filed.

    Returns 0 at once when another thread or process is filing (it files what is waiting, including ours).
    Never raises: the answers are stored, and a failure here is logged and retried by the next filer.
    """
    if not _filing.acquire(blocking=False):
        return 0
    filed = 0
    try:
        with _only_filer() as alone:
            if not alone:
                return 0
            deadline = time.monotonic() + budget
            while True:
                count = do_file_batch()
                filed += count
                if count < BATCH_SIZE or time.monotonic() > deadline:
                    break
    except Exception:
        logger.exception("Filing received answers failed; they stay waiting for the next try")
    finally:
        _filing.release()
    return filed


def do_file_batch(limit: int = BATCH_SIZE) -> int:
    """File the oldest ``limit`` waiting answers in one transaction; the number filed.

    If the batch fails as a whole, each answer is tried on its own, so one bad answer (its survey deleted in
    the meantime, say) holds up no other; it stays waiting with the error, for at most ``MAX_ATTEMPTS`` tries.
    """
    with writers.one_writer(), transaction.atomic():
        if not _locked_for_filing():
            return 0
        # Plain tuples, not model instances: this runs for every answer.
        rows = [
            _Waiting(*values)
            for values in ReceivedAnswer.objects.filter(attempts__lt=ReceivedAnswer.MAX_ATTEMPTS)
            .order_by("pk")
            .values_list(*_Waiting._fields)[:limit]
        ]
        if not rows:
            return 0
        rows = _set_aside_orphans(rows)
        try:
            with transaction.atomic(), batching.tasks_per_batch():
                for row in rows:
                    _file(row)
                ReceivedAnswer.objects.filter(pk__in=[row.pk for row in rows]).delete()
            return len(rows)
        except Exception:
            logger.warning("A batch of %d received answers failed; filing them one by one", len(rows), exc_info=True)
        return _file_one_by_one(rows)


class _Waiting(NamedTuple):
    pk: int
    survey_id: int
    unit_id: int
    touchpoint_id: int | None
    submission_key: str
    score: int | None
    comment: str | None
    language: str
    visitor: dict[str, Any] | None


def _set_aside_orphans(rows: list[_Waiting]) -> list[_Waiting]:
    """The rows whose survey, unit and touchpoint still exist; the others are kept, marked with the reason.

    Checked up front because foreign keys are checked only at commit (they are deferred on both databases):
    one answer to a survey deleted since it arrived would otherwise fail every batch it is in.
    """
    surveys = set(Survey.objects.filter(pk__in={row.survey_id for row in rows}).values_list("pk", flat=True))
    units = set(Unit.objects.filter(pk__in={row.unit_id for row in rows}).values_list("pk", flat=True))
    wanted_touchpoints = {row.touchpoint_id for row in rows if row.touchpoint_id is not None}
    touchpoints = set(Touchpoint.objects.filter(pk__in=wanted_touchpoints).values_list("pk", flat=True))
    kept = []
    for row in rows:
        if row.survey_id not in surveys:
            reason = f"Survey {row.survey_id} no longer exists."
        elif row.unit_id not in units:
            reason = f"Unit {row.unit_id} no longer exists."
        elif row.touchpoint_id is not None and row.touchpoint_id not in touchpoints:
            reason = f"Touchpoint {row.touchpoint_id} no longer exists."
        else:
            kept.append(row)
            continue
        logger.warning("Received answer %s cannot be filed: %s", row.pk, reason)
        ReceivedAnswer.objects.filter(pk=row.pk).update(attempts=ReceivedAnswer.MAX_ATTEMPTS, last_error=reason)
    return kept


def _file_one_by_one(rows: list[_Waiting]) -> int:
    done = 0
    for row in rows:
        try:
            with transaction.atomic(), batching.tasks_per_batch():
                _file(row)
                ReceivedAnswer.objects.filter(pk=row.pk).delete()
        except Exception as exc:
            logger.exception("Received answer %s could not be filed", row.pk)
            ReceivedAnswer.objects.filter(pk=row.pk).update(
                attempts=F("attempts") + 1, last_error=f"{type(exc).__name__}: {exc}"[:2000]
            )
        else:
            done += 1
    return done


@functools.lru_cache(maxsize=256)
def _survey(pk: int) -> Survey:
    """A reference by primary key: all that filing needs of the survey (no query, one instance per survey)."""
    return Survey(pk=pk)


def _file(row: _Waiting) -> None:
    from harken.collect.widget import do_find_or_add_contact

    respondent = Respondent(
        survey=_survey(row.survey_id),
        unit_id=row.unit_id,
        channel=Channel.WIDGET,
        language=row.language,
        touchpoint_id=row.touchpoint_id,
        submission_key=row.submission_key,
    )
    if row.visitor:
        respondent.contact_id = do_find_or_add_contact(row.visitor, row.unit_id, row.language)
    do_record(respondent, score=row.score, comment=row.comment)


def waiting() -> int:
    """How many received answers wait to be filed (including ones that failed and are still to be retried)."""
    return ReceivedAnswer.objects.filter(attempts__lt=ReceivedAnswer.MAX_ATTEMPTS).count()


@contextmanager
def _only_filer() -> Iterator[bool]:
    """Across processes, one filer at a time on an SQLite file (``flock`` beside the database, not waited
    for); PostgreSQL uses an advisory lock inside each batch instead, and an in-memory database has one
    process."""
    path = writers.lock_path()
    if path is None:
        yield True
        return
    descriptor = os.open(f"{path[: -len('.writers')]}.filing", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        yield True
    finally:
        os.close(descriptor)  # closing releases the lock


def _locked_for_filing() -> bool:
    if connection.vendor != "postgresql":
        return True
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [_ADVISORY_LOCK])
        return bool(cursor.fetchone()[0])


def start_filer() -> None:
    """Start this process's filer thread (once per process)."""
    if _filer_started.is_set():
        return
    _filer_started.set()
    threading.Thread(target=_filer, name="harken-answer-filer", daemon=True).start()


def _filer() -> None:
    while True:
        if _wake_filer.wait(timeout=SWEEP_SECONDS):
            time.sleep(GATHER_SECONDS)  # let the burst that woke us add to the batch
        _wake_filer.clear()
        close_old_connections()
        file_waiting(budget=SWEEP_SECONDS)


def run_filer(stop: threading.Event) -> None:
    """File received answers until ``stop`` is set: whatever has arrived, every ``GATHER_SECONDS`` (at once
    again while full batches keep coming).  The loop of ``harken file_answers``."""
    while not stop.is_set():
        close_old_connections()
        filed = file_waiting(budget=1.0)
        if filed < BATCH_SIZE:
            stop.wait(GATHER_SECONDS)
