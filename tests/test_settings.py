"""Configuration: environment variables only, with bad values stopping start-up and naming the variable."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from harken.lib import env

ROOT = Path(__file__).resolve().parent.parent


def run_harken(*args: str, extra_env: dict[str, str], data_dir: Path) -> subprocess.CompletedProcess[str]:
    """Run the real `harken` command in a fresh process with a clean configuration."""
    environment = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    environment.update({"HARKEN_DATA_DIR": str(data_dir), **extra_env})
    environment.pop("DJANGO_SETTINGS_MODULE", None)
    return subprocess.run(
        [sys.executable, "-m", "harken.cli", *args], env=environment, capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("TIME_ZONE", "Mars/Olympus", "TIME_ZONE: unknown time zone 'Mars/Olympus'"),
        ("DATABASE_URL", "mysql://db/harken", "DATABASE_URL: unsupported scheme 'mysql'"),
        ("DATABASE_URL", "postgres://db:port/harken", "DATABASE_URL: the port is not a number"),
        ("BASE_URL", "example.com", "BASE_URL: expected an absolute http(s) URL"),
        ("EMAIL_URL", "pigeon://coop", "EMAIL_URL: unsupported scheme 'pigeon'"),
        ("DEBUG", "maybe", "DEBUG: expected true or false, got 'maybe'"),
        ("SECRET_KEY", "short", "SECRET_KEY: must be at least 32 characters long"),
        ("HARKEN_MIN_SAMPLE", "ten", "HARKEN_MIN_SAMPLE: expected a whole number, got 'ten'"),
    ],
)
def test_a_bad_value_stops_start_up_naming_the_variable(
    tmp_path: Path, variable: str, value: str, message: str
) -> None:
    result = run_harken("check", extra_env={variable: value}, data_dir=tmp_path)
    assert result.returncode == 1
    assert result.stderr.strip() == f"harken: configuration error: {message}" or message in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_with_nothing_set_it_runs_on_sqlite_and_keeps_its_own_secret_key(tmp_path: Path) -> None:
    first = run_harken("check", extra_env={}, data_dir=tmp_path)
    assert first.returncode == 0, first.stderr
    key_file = tmp_path / "secret_key"
    assert key_file.stat().st_mode & 0o777 == 0o600
    key = key_file.read_text()
    assert len(key) >= 50
    second = run_harken("check", extra_env={}, data_dir=tmp_path)
    assert second.returncode == 0 and key_file.read_text() == key


def test_an_unreachable_database_is_one_line_without_traceback(tmp_path: Path) -> None:
    result = run_harken("nps", extra_env={"DATABASE_URL": "postgres://nobody@127.0.0.1:9/harken"}, data_dir=tmp_path)
    assert result.returncode == 1
    assert result.stderr.startswith("harken: database error")
    assert "Traceback" not in result.stderr


def test_database_urls() -> None:
    os.environ["HARKEN_TEST_URL"] = "postgres://ann:p%40ss@db.example:6543/harken?sslmode=require"
    try:
        config = env.database("HARKEN_TEST_URL", Path("/unused"))
    finally:
        del os.environ["HARKEN_TEST_URL"]
    assert config["ENGINE"] == "django.db.backends.postgresql"
    assert (config["NAME"], config["USER"], config["PASSWORD"]) == ("harken", "ann", "p@ss")
    assert (config["HOST"], config["PORT"], config["OPTIONS"]) == ("db.example", "6543", {"sslmode": "require"})
    sqlite = env.database("HARKEN_UNSET_URL", Path("/data/harken.sqlite3"))
    assert sqlite["ENGINE"] == "harken.lib.sqlite" and sqlite["NAME"] == "/data/harken.sqlite3"


def test_email_urls(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EMAIL_TEST", "smtp://mailer:secret@mail.example:587?tls=1")
    smtp = env.email("EMAIL_TEST", "console:")
    assert (smtp.host, smtp.port, smtp.user, smtp.password, smtp.use_tls) == (
        "mail.example",
        587,
        "mailer",
        "secret",
        True,
    )
    monkeypatch.setenv("EMAIL_TEST", "smtps://mail.example")
    assert env.email("EMAIL_TEST", "console:").port == 465
    monkeypatch.setenv("EMAIL_TEST", "smtp://")
    with pytest.raises(ImproperlyConfigured, match="EMAIL_TEST: SMTP URL needs a host"):
        env.email("EMAIL_TEST", "console:")


def test_secrets_can_come_from_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    secret = tmp_path / "key"
    secret.write_text("x" * 40 + "\n")
    monkeypatch.setenv("SECRET_KEY_FILE", str(secret))
    assert env.secret_key("SECRET_KEY", tmp_path) == "x" * 40
    monkeypatch.setenv("SECRET_KEY_FILE", str(tmp_path / "missing"))
    with pytest.raises(ImproperlyConfigured, match="SECRET_KEY_FILE: cannot read"):
        env.secret_key("SECRET_KEY", tmp_path)


def test_allowed_hosts_follow_base_url(tmp_path: Path) -> None:
    result = run_harken(
        "shell",
        "-c",
        "from django.conf import settings; print(settings.ALLOWED_HOSTS)",
        extra_env={"BASE_URL": "https://nps.example.com/"},
        data_dir=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "['nps.example.com', '127.0.0.1', 'localhost']"
