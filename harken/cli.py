"""The ``harken`` command: Harken's own commands first, every Django management command behind them."""

from __future__ import annotations

import os
import sys

COMMANDS = {
    "serve": "Run Harken: the web server and a background task worker together.",
    "worker": "Run a background task worker only (for production set-ups with separate workers).",
    "file_answers": "File widget answers as responses as they arrive ('harken serve' runs one already).",
    "migrate": "Create or update the database tables. Run after installing or upgrading.",
    "demo": "Load the demo company (units, surveys, ~100k responses) into the configured database.",
    "createadmin": "Create an administrator who can log in and manage everything.",
    "nps": "Print NPS with n and its 95% interval, overall or per unit, touchpoint, month …",
    "import": "Import responses exported from Qualtrics, SurveyMonkey, Typeform, Google Forms, Delighted …",
    "export": "Export responses or answers as CSV, XLSX or Parquet; --incremental for a data warehouse.",
    "economics": "Churn, renewal and revenue by NPS category, and the value of moving customers up a category.",
    "apikey": "Create, list and revoke personal API keys for /api/v1/.",
    "erase": "Erase a contact's personal data (GDPR) or anonymise responses older than N months; scores kept.",
    "themes": "Load the default comment theme taxonomy; analyse (backfill) comment sentiment and themes.",
}

USAGE = """usage: harken COMMAND [options]

Harken is a self-hosted Net Promoter System. Commands:

{commands}

Run 'harken COMMAND --help' for a command's options. Configuration comes from environment
variables (DATABASE_URL, HARKEN_DATA_DIR, SECRET_KEY, BASE_URL, TIME_ZONE, EMAIL_URL, …); see
the README. Every Django management command (e.g. 'harken check', 'harken dbshell') also works.
"""


def usage() -> str:
    """The top-level help text."""
    width = max(len(name) for name in COMMANDS)
    lines = [f"  {name.ljust(width)}  {text}" for name, text in COMMANDS.items()]
    return USAGE.format(commands="\n".join(lines))


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``harken`` console script; returns the exit status."""
    args = sys.argv[1:] if argv is None else argv
    if not args or (args[0] in ("-h", "--help", "help") and len(args) == 1):
        print(usage())
        return 0
    if args[0] in ("--version", "version"):
        import harken

        print(f"harken {harken.__version__}")
        return 0
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "harken.settings")
    return _run_django(args)


def _run_django(args: list[str]) -> int:
    # Imported late so that `harken --help` works even when the configuration is broken.
    import django
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line
    from django.db import DatabaseError

    try:
        django.setup()
        execute_from_command_line(["harken", *args])
    except ImproperlyConfigured as exc:
        return _fail(f"configuration error: {exc}")
    except DatabaseError as exc:
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return _fail(f"database error (check DATABASE_URL, then run 'harken migrate'): {first_line}")
    except KeyboardInterrupt:
        return 130
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else _fail(str(exc.code)))
    return 0


def _fail(message: str) -> int:
    print(f"harken: {message}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
