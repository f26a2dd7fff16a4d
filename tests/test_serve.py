"""`harken serve` and `harken createadmin` run as a new user would run them, in real processes."""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command

from harken.org.models import Membership


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def harken(*args: str, data_dir: Path, **kwargs: object) -> subprocess.Popen[str]:
    environment = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    environment["HARKEN_DATA_DIR"] = str(data_dir)
    return subprocess.Popen(  # type: ignore[call-overload]
        [sys.executable, "-m", "harken.cli", *args], env=environment, text=True, **kwargs
    )


def wait_for(url: str, seconds: float = 30) -> bytes:
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as reply:  # noqa: S310 (a local test server)
                return reply.read()
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)


def test_serve_refuses_an_unmigrated_database_in_one_line(tmp_path: Path) -> None:
    process = harken("serve", "--port", str(free_port()), data_dir=tmp_path, stderr=subprocess.PIPE)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 1
    assert stderr.strip().endswith("run 'harken migrate' first.")


MAKE_WIDGET = """
import django, json
django.setup()
from harken.collect.models import Widget
from harken.org.models import Unit
from harken.surveys.models import Survey
unit = Unit.objects.create(name="Web shop")
survey = Survey.objects.create(name="Shop survey", slug="shop")
print(Widget.objects.create(survey=survey, unit=unit, name="Shop", allowed_origins="https://shop.example.com").key)
"""


def test_serve_runs_the_web_server_a_task_worker_and_an_answer_filer(tmp_path: Path) -> None:
    assert harken("migrate", "-v", "0", data_dir=tmp_path).wait(timeout=120) == 0
    environment = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    environment.update(HARKEN_DATA_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="harken.settings")
    made = subprocess.run(
        [sys.executable, "-c", MAKE_WIDGET], env=environment, capture_output=True, text=True, check=True
    )
    key = made.stdout.strip().splitlines()[-1]
    port = free_port()
    server = harken("serve", "--port", str(port), data_dir=tmp_path, stdout=subprocess.PIPE, start_new_session=True)
    try:
        assert b'"status": "ok"' in wait_for(f"http://127.0.0.1:{port}/api/v1/health")
        login_page = wait_for(f"http://127.0.0.1:{port}/login/")
        assert b"<h1>Log in to " in login_page, login_page[-600:]
        # The worker and the answer filer are child processes of the server, started when it is ready.
        deadline = time.monotonic() + 20
        while True:
            children = subprocess.run(
                ["ps", "-o", "args=", "--ppid", str(server.pid)], capture_output=True, text=True, check=False
            ).stdout
            if "harken.cli worker" in children and "harken.cli file_answers" in children:
                break
            assert time.monotonic() < deadline, "no task worker or answer filer was started"
            time.sleep(0.3)
        # A widget answer is received by a web process and filed as a response by the filer process.
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/w/{key}/answer",
            data=b'{"submission": "served0123456789abcdef", "score": 9}',
            headers={"Origin": "https://shop.example.com", "Content-Type": "text/plain;charset=UTF-8"},
        )
        with urllib.request.urlopen(request, timeout=10) as reply:  # noqa: S310 (a local test server)
            assert reply.status == 200
        deadline = time.monotonic() + 20
        while True:
            with sqlite3.connect(tmp_path / "harken.sqlite3", timeout=10) as db:
                stored = db.execute(
                    "SELECT score, channel FROM collect_response WHERE submission_key = 'served0123456789abcdef'"
                ).fetchall()
            if stored:
                break
            assert time.monotonic() < deadline, "the answer was not filed"
            time.sleep(0.2)
        assert stored == [(9, "widget")]
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    assert server.returncode == 0


@pytest.mark.django_db
def test_createadmin_makes_a_superuser_who_administers_the_top_units(org, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HARKEN_ADMIN_PASSWORD", "a long and unusual passphrase")
    call_command("createadmin", "--username", "olivia", "--email", "olivia@example.com", "--no-input")
    olivia = User.objects.get(username="olivia")
    assert olivia.is_superuser and olivia.check_password("a long and unusual passphrase")
    assert list(Membership.objects.filter(user=olivia).values_list("unit__name", "role")) == [("Acme", "admin")]


@pytest.mark.django_db
def test_createadmin_refuses_a_taken_name_or_a_weak_password(org, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HARKEN_ADMIN_PASSWORD", "a long and unusual passphrase")
    with pytest.raises(CommandError, match="A user named 'admin' already exists"):
        call_command("createadmin", "--no-input")
    monkeypatch.setenv("HARKEN_ADMIN_PASSWORD", "12345678")
    with pytest.raises(CommandError, match="Password rejected: "):
        call_command("createadmin", "--username", "weak", "--no-input")
    monkeypatch.delenv("HARKEN_ADMIN_PASSWORD")
    with pytest.raises(CommandError, match="Set HARKEN_ADMIN_PASSWORD"):
        call_command("createadmin", "--username", "nopass", "--no-input")
