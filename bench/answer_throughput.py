"""Throughput of the public answer endpoint (the widget's ``POST /w/<key>/answer``), with nothing lost.

    .venv/bin/python bench/answer_throughput.py [--seconds 30] [--connections 32] [--processes 2] [--threads 4]
                                                [--with-worker]

What it does: makes a fresh data directory with an SQLite database, runs ``harken migrate``, creates a unit, a
survey and a widget, starts ``harken serve --no-worker`` (Granian web processes and the answer filer, production
settings: DEBUG off, no access log; ``--with-worker`` adds the task worker, which then runs the alert rules of
every filed batch during the load), and drives it with Debian's ``wrk`` (``apt-get install wrk``) for the given
time.  Every
request carries a new submission id, so each accepted request must become exactly one stored response.  Answers
are received at once and filed as responses in batches (``harken.collect.intake``): after the load it waits
until every received answer is filed, then counts the responses in the database and prints both numbers, how
many answers were still waiting when the load stopped and how long filing them took.  The run fails (exit 1)
if any request was refused or failed, if stored != accepted, or if an answer is left unfiled.

The per-address rate limit is raised for the run (``HARKEN_RATE_LIMIT_PER_IP``), because all load comes from
one address; the limiter itself still runs — one upsert per request — so its cost is in the figure.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import textwrap
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HARKEN = ROOT / ".venv" / "bin" / "harken"
PYTHON = ROOT / ".venv" / "bin" / "python"
ORIGIN = "https://shop.example.com"

LUA = textwrap.dedent(
    """
    -- Globals (not locals), so that done() can read each thread's counts with thread:get().
    counter = 0
    accepted = 0
    refused = 0
    statuses = {}
    local threads = {}
    local thread_id = 0

    function setup(thread)
      thread_id = thread_id + 1
      thread:set("id", thread_id)
      table.insert(threads, thread)
    end

    function init(args)
      wrk.method = "POST"
      wrk.headers["Origin"] = "%(origin)s"
      wrk.headers["Content-Type"] = "text/plain;charset=UTF-8"
    end

    function request()
      counter = counter + 1
      local body = string.format('{"submission":"bench%%03d%%016d","score":%%d}', id, counter, counter %% 11)
      return wrk.format(nil, nil, nil, body)
    end

    function response(status, headers, body)
      if status == 200 then accepted = accepted + 1 else
        refused = refused + 1
        if refused <= 3 then io.write(string.format("refused: %%d %%s\\n", status, body)) end
      end
    end

    function done(summary, latency, requests)
      local total_accepted, total_refused, total_sent = 0, 0, 0
      for _, thread in ipairs(threads) do
        total_accepted = total_accepted + thread:get("accepted")
        total_refused = total_refused + thread:get("refused")
        total_sent = total_sent + thread:get("counter")
      end
      io.write(string.format("RESULT sent=%%d accepted=%%d refused=%%d socket_errors=%%d\\n", total_sent,
        total_accepted, total_refused,
        summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
    end
    """
)

SETUP = textwrap.dedent(
    """
    import django, json
    django.setup()
    from harken.collect.models import Widget
    from harken.org.models import Unit
    from harken.surveys.models import Survey
    unit = Unit.objects.create(name="Bench store")
    survey = Survey.objects.create(name="Bench survey", slug="bench")
    widget = Widget.objects.create(survey=survey, unit=unit, name="Bench", allowed_origins="%s")
    print(json.dumps({"key": widget.key}))
    """
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_up(url: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=1)
            return
        except Exception:
            time.sleep(0.2)
    raise SystemExit(f"the server did not answer {url} within {timeout} s")


def waiting_answers(data: Path) -> int:
    """Answers received but not yet filed as responses."""
    with sqlite3.connect(data / "harken.sqlite3", timeout=30) as db:
        return int(db.execute("SELECT count(*) FROM collect_receivedanswer").fetchone()[0])


def tree_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process and all its descendants (Linux /proc), to report CPU per answer."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    pending = [pid]
    while pending:
        current = pending.pop()
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / ticks
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except (FileNotFoundError, ProcessLookupError, IndexError):
            continue
        pending += [int(child) for child in children]
    return total


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--wrk-threads", type=int, default=2)
    parser.add_argument("--processes", type=int, default=2, help="web server processes")
    parser.add_argument("--threads", type=int, default=4, help="threads per web server process")
    parser.add_argument("--keep", action="store_true", help="keep the data directory")
    parser.add_argument(
        "--with-worker",
        action="store_true",
        help="also run the task worker (alert rules and comment analysis of each filed batch), as 'harken serve' does",
    )
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is missing: apt-get install -y wrk")

    data = Path(tempfile.mkdtemp(prefix="harken-bench-"))
    port = free_port()
    env = {
        **os.environ,
        "HARKEN_DATA_DIR": str(data),
        "DEBUG": "false",
        "BASE_URL": f"http://127.0.0.1:{port}",
        "HARKEN_RATE_LIMIT_PER_IP": "1000000000",
        "DJANGO_SETTINGS_MODULE": "harken.settings",
        "LOG_LEVEL": "WARNING",
    }
    subprocess.run([str(HARKEN), "migrate", "-v", "0"], env=env, check=True)
    made = subprocess.run([str(PYTHON), "-c", SETUP % ORIGIN], env=env, check=True, capture_output=True, text=True)
    key = json.loads(made.stdout.strip().splitlines()[-1])["key"]
    script = data / "answer.lua"
    script.write_text(LUA % {"origin": ORIGIN})

    server = subprocess.Popen(
        [
            str(HARKEN),
            "serve",
            *([] if args.with_worker else ["--no-worker"]),
            "--port",
            str(port),
            "--processes",
            str(args.processes),
            "--threads",
            str(args.threads),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        wait_until_up(f"http://127.0.0.1:{port}/w/{key}/config")
        url = f"http://127.0.0.1:{port}/w/{key}/answer"
        command = [
            "wrk",
            "-t",
            str(args.wrk_threads),
            "-c",
            str(args.connections),
            "-d",
            f"{args.seconds}s",
            "--latency",
            "-s",
            str(script),
            url,
        ]
        print("$", " ".join(command), flush=True)
        print(f"load average before: {os.getloadavg()[0]:.2f}", flush=True)
        cpu_before = tree_cpu_seconds(server.pid)
        run = subprocess.run(command, capture_output=True, text=True, check=False)
        server_cpu = tree_cpu_seconds(server.pid) - cpu_before
        load_after = os.getloadavg()[0]
        print(run.stdout, run.stderr)
        if run.returncode != 0:
            raise SystemExit(f"wrk failed ({run.returncode})")
        # Received answers are filed as responses in batches (harken.collect.intake); wait for the last ones.
        waiting_at_end = waiting_answers(data)
        drain_started = time.monotonic()
        while waiting_answers(data) and time.monotonic() - drain_started < 120:
            time.sleep(0.2)
        drain_seconds = time.monotonic() - drain_started
        drain_cpu = tree_cpu_seconds(server.pid) - cpu_before - server_cpu
    finally:
        server.terminate()
        server.wait(timeout=30)

    result = next(line for line in run.stdout.splitlines() if line.startswith("RESULT"))
    numbers = dict(part.split("=") for part in result.split()[1:])
    accepted, refused, errors = int(numbers["accepted"]), int(numbers["refused"]), int(numbers["socket_errors"])
    sent = int(numbers["sent"])
    with sqlite3.connect(data / "harken.sqlite3") as db:
        stored = db.execute("SELECT count(*) FROM collect_response WHERE channel = 'widget'").fetchone()[0]
        distinct = db.execute("SELECT count(DISTINCT submission_key) FROM collect_response").fetchone()[0]
    per_second = accepted / args.seconds
    # wrk stops counting at the deadline while up to one request per connection is still in flight; the server
    # finishes those, so stored may exceed accepted by at most the number of connections, never fall below it.
    in_flight = sent - accepted - refused
    print(
        f"sent {sent}; accepted {accepted} in {args.seconds} s = {per_second:,.0f} answers/s; refused {refused}; "
        f"socket errors {errors}; stored {stored} (distinct submissions {distinct}); "
        f"in flight at the deadline {in_flight}; lost {max(accepted - stored, 0)}"
    )
    still_waiting = waiting_answers(data)
    print(
        f"waiting to be filed when the load stopped: {waiting_at_end}; all filed {drain_seconds:.1f} s later; "
        f"still waiting: {still_waiting}"
    )
    total_cpu = server_cpu + drain_cpu
    print(
        f"server CPU {server_cpu:.1f} s during the load + {drain_cpu:.1f} s filing after it = "
        f"{total_cpu / max(stored, 1) * 1000:.2f} ms per stored answer (web server and Django, all processes); "
        f"load average after: {load_after:.2f}"
    )
    if not args.keep:
        shutil.rmtree(data, ignore_errors=True)
    ok = (
        refused == 0
        and errors == 0
        and distinct == stored
        and accepted <= stored <= sent
        and in_flight <= 2 * args.connections
        and still_waiting == 0
    )
    print("OK: nothing refused, nothing lost" if ok else "FAILED: see the numbers above")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
