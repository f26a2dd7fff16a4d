"""``harken serve``: the production web server (Granian, a Rust HTTP server running our WSGI application in
threaded worker processes) with a task worker beside it.

Granian rather than gunicorn: with the HTTP parsing and connection handling in Rust, a request costs the Python
side only the application itself.  Measured on the widget's answer endpoint (2 cores, SQLite), gunicorn's gthread
workers spent 0.5 ms of CPU per request on their own work against Granian's 0.1 ms; see
``bench/answer_throughput.py`` and DESIGN.md §8.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.management.base import CommandError
from django.db import connection, connections
from django.db.migrations.executor import MigrationExecutor
from granian import Granian
from granian.constants import Interfaces
from granian.log import LogLevels

from harken.management.base import HarkenCommand


class Supervisor:
    """Keeps one ``harken <command>`` process alive next to the web server, restarting it if it dies."""

    def __init__(self, command: str, label: str) -> None:
        self.command = command
        self.label = label
        self.process: subprocess.Popen[bytes] | None = None
        self.stopping = threading.Event()

    def start(self) -> None:
        """Start the process and a thread that restarts it (with a pause) whenever it exits."""
        self._spawn()
        threading.Thread(target=self._watch, name=f"{self.command}-supervisor", daemon=True).start()

    def _spawn(self) -> None:
        self.process = subprocess.Popen([sys.executable, "-m", "harken.cli", self.command])

    def _watch(self) -> None:
        while not self.stopping.wait(2):
            if self.process is not None and self.process.poll() is not None:
                # Ctrl+C reaches the worker too; wait a moment so a shutdown is not mistaken for a crash.
                time.sleep(3)
                if not self.stopping.is_set():
                    print(f"harken: {self.label} exited ({self.process.returncode}); restarting", file=sys.stderr)
                    self._spawn()

    def stop(self) -> None:
        """Ask the process to finish what it is doing and exit."""
        self.stopping.set()
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()


class Command(HarkenCommand):
    help = (
        "Run Harken: a production web server (Granian, threaded worker processes) and a background task worker "
        "in one command. Stop it with Ctrl+C. Behind a proxy, set BASE_URL and ALLOWED_HOSTS."
    )

    requires_system_checks = []

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--host", default="127.0.0.1", help="Address to listen on (default 127.0.0.1; 0.0.0.0 for all)."
        )
        parser.add_argument("--port", type=int, default=8000, help="Port to listen on (default 8000).")
        parser.add_argument("--processes", type=int, default=2, help="Web server processes (default 2).")
        parser.add_argument("--threads", type=int, default=4, help="Threads per web process (default 4).")
        parser.add_argument("--no-worker", action="store_true", help="Do not start a task worker alongside.")
        parser.add_argument(
            "--access-log", action="store_true", help="Log every request on standard output (off: the proxy logs them)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not 0 < options["port"] < 65536:
            raise CommandError(f"--port must be between 1 and 65535, got {options['port']}.")
        if options["processes"] < 1 or options["threads"] < 1:
            raise CommandError("--processes and --threads must be at least 1.")
        self._check_migrations()
        worker = Supervisor("worker", "task worker")
        # Widget answers are filed by a process of their own (harken/collect/intake.py); the web processes,
        # forked from this one, inherit the setting that tells them so.
        filer = Supervisor("file_answers", "answer filer")
        os.environ["HARKEN_ANSWER_FILER"] = "process"
        start_worker = not options["no_worker"]
        server = Granian(
            "harken.wsgi:application",
            address=options["host"],
            port=options["port"],
            interface=Interfaces.WSGI,
            workers=options["processes"],
            blocking_threads=options["threads"],
            # Writing a line per request costs CPU on every answer; a proxy usually logs anyway.
            log_access=options["access_log"],
            log_level=LogLevels.warning,
            respawn_failed_workers=True,
            workers_kill_timeout=20,
        )
        server.on_startup(lambda: self._ready(options, worker, filer, start_worker))
        server.on_shutdown(filer.stop)
        server.on_shutdown(worker.stop)
        # The web processes are forked from this one: they must not inherit its database connection.
        connections.close_all()
        server.serve()

    def _ready(self, options: dict[str, Any], worker: Supervisor, filer: Supervisor, start_worker: bool) -> None:
        filer.start()
        if start_worker:
            worker.start()
        worker_note = "with a task worker" if start_worker else "without a task worker"
        host = f"[{options['host']}]" if ":" in options["host"] else options["host"]
        print(
            f"Harken is running on http://{host}:{options['port']} ({worker_note}). "
            f"Public URL: {settings.BASE_URL}. Press Ctrl+C to stop.",
            flush=True,
        )

    def _check_migrations(self) -> None:
        executor = MigrationExecutor(connection)
        pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
        if pending:
            raise CommandError(f"The database needs {len(pending)} migration(s); run 'harken migrate' first.")
