"""Queue and send N email invitations to a local SMTP sink; report invitations per second and exactly-once delivery.

    .venv/bin/python bench/send_invitations.py [--count 100000] [--senders 2] [--sink lean|aiosmtpd]

What it does: makes a fresh data directory with an SQLite database (or uses ``DATABASE_URL``), migrates it,
creates a unit, a survey and ``--count`` contacts, then

1. queues one invitation per contact with ``do_queue_invitation`` — the same code path as the API, waves and
   journey triggers (fatigue check, quiet hours, insert) — and reports invitations queued per second;
2. sends them with ``--senders`` processes, each running the worker's ``send_due`` sweep on its own shard
   (claim by conditional update, render the HTML and text parts, one SMTP connection per process) to an
   SMTP sink running in its own process (``--sink``: a lean asyncio server, or aiosmtpd), and reports
   invitations sent per second and the CPU time per invitation of the senders and of the sink;
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
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
HEADER = re.compile(rb"^X-Harken-Invitation: (\d+)", re.MULTILINE)


def sink(port: int, ready: Connection, results: Connection, kind: str = "lean") -> None:
    """An SMTP server that counts invitation ids until told to stop, then sends the counts back.

    ``lean``: a minimal asyncio SMTP server (EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT; PIPELINING) standing
    in for a production relay such as Postfix, which costs little per message.  ``aiosmtpd``: the full-featured
    aiosmtpd server the tests use, which costs about as much CPU per message as Harken's sender itself.
    """
    import asyncio
    import threading

    received: Counter[int] = Counter()

    def count(content: bytes) -> None:
        match = HEADER.search(content)
        received[int(match.group(1)) if match else -1] += 1

    if kind == "aiosmtpd":
        import logging

        from aiosmtpd.controller import Controller

        class Handler:
            async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
                count(getattr(envelope, "original_content", b"") or b"")
                return "250 OK"

        logging.getLogger("mail.log").setLevel(logging.WARNING)
        controller = Controller(Handler(), hostname="127.0.0.1", port=port)
        controller.start()
        ready.send("ready")
        results.recv()  # wait for "stop"
        controller.stop()
    else:
        loop = asyncio.new_event_loop()
        server = loop.run_until_complete(asyncio.start_server(_lean_session(count), "127.0.0.1", port, limit=2**22))
        thread = threading.Thread(target=loop.run_forever, daemon=True)
        thread.start()
        ready.send("ready")
        results.recv()
        loop.call_soon_threadsafe(server.close)
        loop.call_soon_threadsafe(loop.stop)
        thread.join()
    results.send((dict(received), time.process_time()))


def _lean_session(count: Any) -> Any:
    """One SMTP session of the lean sink: replies to each command, hands each message's bytes to ``count``."""
    import asyncio

    replies = {
        b"EHLO": b"250-sink\r\n250-8BITMIME\r\n250-PIPELINING\r\n250 SIZE 10485760\r\n",
        b"HELO": b"250 sink\r\n",
    }

    async def session(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"220 sink ESMTP\r\n")
        while line := await reader.readline():
            verb = line[:4].upper()
            if verb == b"DATA":
                writer.write(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                count(await reader.readuntil(b"\r\n.\r\n"))
                writer.write(b"250 OK\r\n")
            elif verb == b"QUIT":
                writer.write(b"221 Bye\r\n")
                break
            else:
                writer.write(replies.get(verb, b"250 OK\r\n"))
            await writer.drain()
        await writer.drain()
        writer.close()

    return session


def sender(index: int, count: int, cpu: Connection) -> None:
    """One sending process: run the send sweep on its shard until nothing is due; report its CPU seconds."""
    import django

    django.setup()
    from django.urls import get_resolver

    from harken.distribution import sending

    get_resolver().url_patterns  # noqa: B018 (load the URL configuration before the clock starts, as a worker has)
    started = time.process_time()
    while sending.do_send_due(limit=500, shard=(index, count)):
        pass
    cpu.send(time.process_time() - started)


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


def load() -> str:
    """The 1-, 5- and 15-minute load averages (other processes share the cores)."""
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--senders", type=int, default=2)
    parser.add_argument("--sink", choices=["lean", "aiosmtpd"], default="lean", help="the SMTP server receiving")
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
    smtp = multiprocessing.Process(target=sink, args=(port, ready_send, remote, args.sink))
    smtp.start()
    ready_recv.recv()

    cpu_recv, cpu_send = multiprocessing.Pipe(duplex=False)
    started = time.perf_counter()
    senders = [multiprocessing.Process(target=sender, args=(i, args.senders, cpu_send)) for i in range(args.senders)]
    for process in senders:
        process.start()
    for process in senders:
        process.join()
    elapsed = time.perf_counter() - started
    if any(process.exitcode != 0 for process in senders):
        control.send("stop")
        print("FAILED: a sending process crashed (see above)")
        return 1
    sender_cpu = sum(cpu_recv.recv() for _ in senders)
    control.send("stop")
    received, sink_cpu = control.recv()
    smtp.join()

    from harken.distribution.models import Invitation

    sent = Invitation.objects.filter(status=Invitation.Status.SENT).count()
    ids = set(Invitation.objects.values_list("pk", flat=True))
    missing = len(ids - set(received))
    duplicated = sum(1 for n in received.values() if n > 1)
    strangers = len(set(received) - ids)
    rate = args.count / elapsed
    print(f"sent {sent} invitations with {args.senders} processes ({args.sink} sink) in {elapsed:.1f} s: {rate:,.0f}/s")
    per = 1000 / args.count
    print(f"CPU per invitation: senders {sender_cpu * per:.2f} ms, SMTP sink {sink_cpu * per:.2f} ms; load {load()}")
    print(
        f"sink received {sum(received.values())} messages: {missing} missing, {duplicated} twice or more, "
        f"{strangers} unknown"
    )
    ok = sent == args.count and missing == 0 and duplicated == 0 and strangers == 0
    print("OK: every invitation arrived exactly once" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
