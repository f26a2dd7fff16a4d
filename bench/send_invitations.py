"""Queue and send N email invitations to a local SMTP sink; report invitations per second and exactly-once delivery.

    .venv/bin/python bench/send_invitations.py [--count 100000] [--senders 2]

What it does: makes a fresh data directory with an SQLite database (or uses ``DATABASE_URL``), migrates it,
creates a unit, a survey and ``--count`` contacts, then

1. queues one invitation per contact with ``do_queue_invitation`` — the same code path as the API, waves and
   journey triggers (fatigue check, quiet hours, insert) — and reports invitations queued per second;
2. sends them with ``--senders`` processes, each running the worker's ``send_due`` sweep on its own shard
   (claim by conditional update, render the HTML and text parts, one SMTP connection per process) to an
   aiosmtpd sink running in its own process, and reports invitations sent per second;
3. counts what the sink received by the ``X-Harken-Invitation`` header and fails (exit 1) unless every
   invitation arrived exactly once and every invitation is marked sent.

The per-invitation ``send_invitation`` tasks that queueing would put on the task queue are not run here (the
task backend is django-tasks' dummy backend): they would find the invitations already sent and skip them.
The target on 2 cores is ≥ 300 invitations per second.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import re
import sys
import tempfile
import time
from collections import Counter
from multiprocessing.connection import Connection
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HEADER = re.compile(rb"^X-Harken-Invitation: (\d+)", re.MULTILINE)


def sink(port: int, ready: Connection, results: Connection) -> None:
    """An SMTP server that counts invitation ids until told to stop, then sends the counts back."""
    from aiosmtpd.controller import Controller

    received: Counter[int] = Counter()

    class Handler:
        async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
            content = getattr(envelope, "original_content", b"") or b""
            match = HEADER.search(content)
            received[int(match.group(1)) if match else -1] += 1
            return "250 OK"

    import logging

    logging.getLogger("mail.log").setLevel(logging.WARNING)
    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    ready.send("ready")
    results.recv()  # wait for "stop"
    controller.stop()
    results.send(dict(received))


def sender(index: int, count: int) -> None:
    """One sending process: run the send sweep on its shard until nothing is due."""
    import django

    django.setup()
    from harken.distribution import sending

    while sending.do_send_due(limit=500, shard=(index, count)):
        pass


def setup(count: int) -> float:
    """Migrate, create the organisation and contacts, queue the invitations; returns the queueing rate."""
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    from django.db import transaction

    from harken.contacts.models import Contact
    from harken.distribution import sending
    from harken.org.models import Unit
    from harken.surveys.models import Survey

    unit = Unit.objects.create(name="Bench store", kind=Unit.Kind.COMPANY)
    survey = Survey.objects.create(name="Bench", slug="bench", company_name="Bench Co", max_reminders=0)
    Contact.objects.bulk_create(
        [Contact(email=f"c{n}@bench.example", name=f"Customer {n}", home_unit=unit) for n in range(count)],
        batch_size=2000,
    )
    contacts = list(Contact.objects.order_by("pk"))
    started = time.perf_counter()
    for start in range(0, count, 1000):
        with transaction.atomic():
            for contact in contacts[start : start + 1000]:
                sending.do_queue_invitation(survey, contact, unit)
    return count / (time.perf_counter() - started)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--senders", type=int, default=2)
    args = parser.parse_args()

    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    data_dir = tempfile.mkdtemp(prefix="harken-bench-")
    os.environ.update(
        {
            "HARKEN_DATA_DIR": data_dir,
            "EMAIL_URL": f"smtp://127.0.0.1:{port}",
            "HARKEN_QUIET_HOURS": "off",
            "LOG_LEVEL": "WARNING",
        }
    )
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "harken.settings")
    sys.path.insert(0, str(ROOT))
    from django.conf import settings

    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}

    queue_rate = setup(args.count)
    print(f"queued {args.count} invitations: {queue_rate:,.0f}/s")

    from django.db import connections

    connections.close_all()  # no SQLite connection may cross a fork
    ready_recv, ready_send = multiprocessing.Pipe(duplex=False)
    control, remote = multiprocessing.Pipe()
    smtp = multiprocessing.Process(target=sink, args=(port, ready_send, remote))
    smtp.start()
    ready_recv.recv()

    started = time.perf_counter()
    senders = [multiprocessing.Process(target=sender, args=(i, args.senders)) for i in range(args.senders)]
    for process in senders:
        process.start()
    for process in senders:
        process.join()
    elapsed = time.perf_counter() - started
    control.send("stop")
    received: dict[int, int] = control.recv()
    smtp.join()

    from harken.distribution.models import Invitation

    sent = Invitation.objects.filter(status=Invitation.Status.SENT).count()
    ids = set(Invitation.objects.values_list("pk", flat=True))
    missing = len(ids - set(received))
    duplicated = sum(1 for n in received.values() if n > 1)
    strangers = len(set(received) - ids)
    print(f"sent {sent} invitations with {args.senders} processes in {elapsed:.1f} s: {args.count / elapsed:,.0f}/s")
    print(
        f"sink received {sum(received.values())} messages: {missing} missing, {duplicated} twice or more, "
        f"{strangers} unknown"
    )
    ok = sent == args.count and missing == 0 and duplicated == 0 and strangers == 0
    print("OK: every invitation arrived exactly once" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
