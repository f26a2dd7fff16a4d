"""Read settings from environment variables, failing loudly on bad values.

Every variable read through these helpers is recorded in ``KNOWN_VARIABLES`` so that a test can check
that the README documents each one (docs that cannot drift).
"""

from __future__ import annotations

import os
import secrets
import zoneinfo
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

KNOWN_VARIABLES: set[str] = set()

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def envstr(name: str, default: str = "") -> str:
    """The variable's value, or ``NAME_FILE``'s contents for secrets kept in files."""
    KNOWN_VARIABLES.add(name)
    file_name = os.environ.get(f"{name}_FILE")
    if file_name:
        try:
            return Path(file_name).read_text().strip()
        except OSError as exc:
            raise ImproperlyConfigured(f"{name}_FILE: cannot read {file_name!r}: {exc.strerror}") from exc
    return os.environ.get(name, default)


def envbool(name: str, default: bool) -> bool:
    """A yes/no variable: 1/true/yes/on or 0/false/no/off."""
    raw = envstr(name, "1" if default else "0").strip().lower()
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}: expected true or false, got {raw!r}")


def envint(name: str, default: int, *, minimum: int | None = None, maximum: int | None = None) -> int:
    """A whole-number variable, optionally bounded."""
    raw = envstr(name, str(default)).strip()
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}: expected a whole number, got {raw!r}") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name}: must be at least {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise ImproperlyConfigured(f"{name}: must be at most {maximum}, got {value}")
    return value


def envlist(name: str, default: list[str]) -> list[str]:
    """A comma-separated list variable."""
    raw = envstr(name, ",".join(default))
    return [item.strip() for item in raw.split(",") if item.strip()]


def envtimezone(name: str, default: str) -> str:
    """An IANA time-zone name such as ``Europe/Paris``."""
    value = envstr(name, default).strip()
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ImproperlyConfigured(f"{name}: unknown time zone {value!r} (use a name like Europe/Paris)") from None
    return value


def envurl(name: str, default: str) -> str:
    """An absolute http(s) URL, without a trailing slash."""
    value = envstr(name, default).strip().rstrip("/")
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ImproperlyConfigured(f"{name}: expected an absolute http(s) URL, got {value!r}")
    return value


def data_dir(name: str, default: Path) -> Path:
    """The directory where Harken keeps its SQLite database and generated secret; created if missing."""
    path = Path(envstr(name, str(default))).expanduser()
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ImproperlyConfigured(f"{name}: cannot create directory {str(path)!r}: {exc.strerror}") from exc
    return path


def secret_key(name: str, directory: Path) -> str:
    """The configured secret key, or one generated once and kept in ``directory/secret_key``."""
    value = envstr(name)
    if value:
        if len(value) < 32:
            raise ImproperlyConfigured(f"{name}: must be at least 32 characters long")
        return value
    path = directory / "secret_key"
    if not path.exists():
        # Write with owner-only permissions before the secret is in it.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(50))
    return path.read_text().strip()


def database(name: str, sqlite_path: Path) -> dict[str, object]:
    """A Django ``DATABASES['default']`` entry from ``sqlite:///path`` or ``postgres://…`` URLs."""
    raw = envstr(name).strip()
    if not raw:
        return _sqlite(sqlite_path)
    parts = urlsplit(raw)
    if parts.scheme == "sqlite":
        # sqlite:///relative.db and sqlite:////absolute/path.db, as in dj-database-url.
        path = unquote(parts.path[1:]) if parts.path.startswith("/") else unquote(parts.path)
        if not path:
            raise ImproperlyConfigured(f"{name}: sqlite URL needs a file path, e.g. sqlite:////var/harken/db.sqlite3")
        return _sqlite(Path(path))
    if parts.scheme in ("postgres", "postgresql", "pgsql"):
        db_name = unquote(parts.path.lstrip("/"))
        if not db_name:
            raise ImproperlyConfigured(f"{name}: PostgreSQL URL needs a database name, e.g. postgres://host/harken")
        try:
            port = parts.port
        except ValueError:
            raise ImproperlyConfigured(f"{name}: the port is not a number") from None
        options = {key: values[-1] for key, values in parse_qs(parts.query).items()}
        conn_max_age = int(options.pop("conn_max_age", "60"))
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": db_name,
            "USER": unquote(parts.username or ""),
            "PASSWORD": unquote(parts.password or ""),
            "HOST": parts.hostname or "",
            "PORT": str(port or ""),
            "CONN_MAX_AGE": conn_max_age,
            "CONN_HEALTH_CHECKS": True,
            "OPTIONS": options,
        }
    raise ImproperlyConfigured(
        f"{name}: unsupported scheme {parts.scheme!r}; use sqlite:///path or postgres://user:password@host:port/name"
    )


def _sqlite(path: Path) -> dict[str, object]:
    return {
        "ENGINE": "harken.lib.sqlite",  # Django's, with a fair queue of writers (harken/lib/sqlite/base.py)
        "NAME": str(path),
        "OPTIONS": {
            # IMMEDIATE takes the write lock at BEGIN, so concurrent writers wait (busy timeout) instead of
            # failing with "database is locked" halfway through a transaction.
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
        },
    }


@dataclass(frozen=True)
class EmailSettings:
    """Django email settings parsed from one URL."""

    backend: str
    host: str = ""
    port: int = 0
    user: str = ""
    password: str = ""
    use_tls: bool = False
    use_ssl: bool = False
    file_path: str = ""


def email(name: str, default: str) -> EmailSettings:
    """Parse ``smtp://user:pass@host:587?tls=1``, ``smtps://…``, ``console:`` or ``file:///dir``."""
    raw = envstr(name, default).strip()
    parts = urlsplit(raw)
    options = {key: values[-1].lower() for key, values in parse_qs(parts.query).items()}
    if parts.scheme in ("smtp", "smtps"):
        if not parts.hostname:
            raise ImproperlyConfigured(f"{name}: SMTP URL needs a host, e.g. smtp://user:password@mail.example.com:587")
        try:
            port = parts.port
        except ValueError:
            raise ImproperlyConfigured(f"{name}: the port is not a number") from None
        ssl = parts.scheme == "smtps"
        return EmailSettings(
            backend="django.core.mail.backends.smtp.EmailBackend",
            host=parts.hostname,
            port=port or (465 if ssl else 25),
            user=unquote(parts.username or ""),
            password=unquote(parts.password or ""),
            use_tls=options.get("tls") in _TRUE,
            use_ssl=ssl,
        )
    if parts.scheme == "console":
        return EmailSettings(backend="django.core.mail.backends.console.EmailBackend")
    if parts.scheme == "file":
        return EmailSettings(backend="django.core.mail.backends.filebased.EmailBackend", file_path=parts.path)
    raise ImproperlyConfigured(
        f"{name}: unsupported scheme {parts.scheme!r}; use smtp://, smtps://, console: or file:///dir"
    )
