"""The one shared test base: a throwaway data dir, a small hand-built organisation with named users, and Chromium.

Named users (STYLE.md): ``admin`` (superuser), ``analyst`` (reads everything), ``manager`` (of North),
``frontline`` (of North 1), ``outsider`` (frontline of South 1, who must be refused North's data) and
``newcomer`` (no membership at all).  Every one of them has the password ``Org.password``.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import os
import shutil
import socket
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import Envelope

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
REQUIRE_ALL = os.environ.get("HARKEN_REQUIRE_ALL") == "1"


def _is_temporary(path: str | Path | None) -> bool:
    return bool(path) and Path(str(path)).resolve().is_relative_to(Path(tempfile.gettempdir()).resolve())


# Tests never touch a real data dir. `make test` passes a temporary HARKEN_DATA_DIR; anyone else gets one here.
_OWN_DATA_DIR = not _is_temporary(os.environ.get("HARKEN_DATA_DIR"))
if _OWN_DATA_DIR:
    os.environ["HARKEN_DATA_DIR"] = tempfile.mkdtemp(prefix="harken-test-")
# Playwright's sync API keeps an event loop running in the main thread, where the ORM calls of the tests run.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "harken.settings")
_REDIRECTED_FROM: Path | None = None


def pytest_configure(config: pytest.Config) -> None:
    """Load the settings now, and move them to the temporary data dir if pytest-django loaded them earlier.

    pytest-django imports the settings named in pyproject.toml before any conftest runs, so a data dir set
    above comes too late for that import; settings derived from DATA_DIR are pointed at the temporary one.
    """
    global _REDIRECTED_FROM
    from django.conf import settings

    data_dir = Path(os.environ["HARKEN_DATA_DIR"])
    if not _is_temporary(settings.DATA_DIR):
        _REDIRECTED_FROM = settings.DATA_DIR
        settings.DATA_DIR = data_dir
        settings.STATIC_ROOT = data_dir / "static"
        settings.STATIC_ROOT.mkdir(exist_ok=True)


def pytest_unconfigure(config: pytest.Config) -> None:
    if _OWN_DATA_DIR:
        shutil.rmtree(os.environ["HARKEN_DATA_DIR"], ignore_errors=True)


def database_description() -> str:
    """Which database engine the tests run on, for the header and the summary."""
    from django.conf import settings

    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("postgresql"):
        return f"PostgreSQL at {db['HOST'] or 'local socket'}:{db['PORT'] or 5432} (test database test_{db['NAME']})"
    return "SQLite (in-memory test database)"


def pytest_report_header(config: pytest.Config) -> list[str]:
    from django.conf import settings

    lines = [f"harken: database {database_description()}", f"harken: data dir {settings.DATA_DIR}"]
    if _REDIRECTED_FROM is not None:
        lines.append(
            f"harken: settings were loaded with the data dir {_REDIRECTED_FROM} before tests/conftest.py ran; "
            "DATA_DIR and STATIC_ROOT now point at the temporary one"
        )
    chromium = "found" if CHROMIUM.exists() else "MISSING: browser tests " + ("fail" if REQUIRE_ALL else "are skipped")
    lines.append(f"harken: chromium {CHROMIUM} {chromium}; HARKEN_REQUIRE_ALL={'1' if REQUIRE_ALL else 'unset'}")
    return lines


def pytest_terminal_summary(terminalreporter: Any) -> None:
    terminalreporter.write_line(f"harken: these tests ran on {database_description()}", bold=True)


POSTGRES_ONLY_REASON = "needs PostgreSQL: run with DATABASE_URL=postgres://… (make test does)"


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Under HARKEN_REQUIRE_ALL=1 (CI) a skipped test fails the run — except PostgreSQL-only tests in the SQLite
    pass, which the PostgreSQL pass runs."""
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if not REQUIRE_ALL or reporter is None or exitstatus != 0:
        return
    skipped = [
        report for report in reporter.stats.get("skipped", []) if POSTGRES_ONLY_REASON not in str(report.longrepr)
    ]
    if skipped:
        reporter.write_line(f"HARKEN_REQUIRE_ALL=1 but {len(skipped)} test(s) were skipped: the run fails", red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked ``postgres_only`` are skipped on SQLite (`make test` runs them in its PostgreSQL pass)."""
    from django.db import connection

    if connection.vendor == "postgresql":
        return
    skip = pytest.mark.skip(reason=POSTGRES_ONLY_REASON)
    for item in items:
        if "postgres_only" in item.keywords:
            item.add_marker(skip)


# --- The organisation -------------------------------------------------------------------------------------


@dataclass
class Org:
    """The hand-built organisation; see the ``org`` fixture for its exact responses and NPS values."""

    acme: Any
    north: Any
    south: Any
    north_1: Any
    north_2: Any
    south_1: Any
    purchase: Any
    delivery: Any
    support: Any
    survey: Any
    users: dict[str, Any]
    password: str = "correct horse battery staple"


# Scores per store and touchpoint, all submitted 3 days ago (inside every period preset).
RECENT_SCORES = {
    ("north_1", "purchase"): [10, 10, 9, 8, 4],
    ("north_1", "delivery"): [9, 7, 6, 2],
    ("north_1", "support"): [10],
    ("north_2", "purchase"): [9, 9, 7, 7, None],  # None: the customer skipped the score
    ("north_2", "delivery"): [10, 9, 3],
    ("north_2", "support"): [6, 5, 0, 8],
    ("south_1", "purchase"): [10, 10, 10, 9, 9, 9],
    ("south_1", "delivery"): [9, 9, 8, 1],
}
# Submitted 400 days ago: outside the default "Last 12 months", inside "All time".
OLD_SCORES = {("south_1", "purchase"): [0, 0, 0, 0, 0]}

_password_hash: str | None = None


@pytest.fixture
def org(db: None) -> Org:
    """Acme → North (North 1, North 2) and South (South 1); touchpoints Purchase, Delivery, Support.

    Counts as (promoters 9–10, passives 7–8, detractors 0–6); NPS = 100 · (P − D) / n, one decimal:

    =============  =========  =========  =========  ================
    last 12 months  Purchase   Delivery   Support    unit total
    =============  =========  =========  =========  ================
    North 1        (3, 1, 1)  (1, 1, 2)  (1, 0, 0)  (5, 2, 3) n=10  +20.0
    North 2        (2, 2, 0)  (2, 0, 1)  (0, 1, 3)  (4, 3, 4) n=11    0.0  (+1 skipped score, not counted)
    South 1        (6, 0, 0)  (2, 1, 1)  —          (8, 1, 1) n=10  +70.0
    touchpoint     (11, 3, 1) (5, 2, 4)  (1, 1, 3)
                   n=15 +66.7 n=11 +9.1  n=5 −40.0
    =============  =========  =========  =========  ================

    Regions: North (9, 5, 7) n=21 → 100·2/21 = +9.5; South (8, 1, 1) n=10 → +70.0.
    Everything: (17, 6, 8) n=31 → 100·9/31 = +29.0.  With ``period=all`` the five old 0s in South 1 add
    5 detractors: everything (17, 6, 13) n=36 → 100·4/36 = +11.1; South (8, 1, 6) n=15 → +13.3.

    Adjusted-Wald 95 % interval for everything (z = 1.959964): n' = 34, P' = 17.75/34 = 0.52206,
    D' = 8.75/34 = 0.25735, centre = 0.26471, σ'² = P' + D' − centre² = 0.70934,
    half-width = z · √(σ'²/n') = 0.28310 → [−1.8, +54.8].  Wald margin: σ² = 17/31 + 8/31 − (9/31)² = 0.72216,
    SE = 100 · √(σ²/31) = 15.263 → ±29.9.
    """
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import User
    from django.utils import timezone

    from harken.collect.models import Response
    from harken.org.models import Membership, Unit
    from harken.surveys.models import Survey, Touchpoint

    global _password_hash
    if _password_hash is None:  # hashing is deliberately slow: do it once per session
        _password_hash = make_password(Org.password)

    acme = Unit.objects.create(name="Acme", kind=Unit.Kind.COMPANY)
    north = Unit.objects.create(name="North", kind=Unit.Kind.REGION, parent=acme)
    south = Unit.objects.create(name="South", kind=Unit.Kind.REGION, parent=acme)
    units = {
        "north_1": Unit.objects.create(name="North 1", parent=north),
        "north_2": Unit.objects.create(name="North 2", parent=north),
        "south_1": Unit.objects.create(name="South 1", parent=south),
    }
    touchpoints = {
        "purchase": Touchpoint.objects.create(name="Purchase", slug="purchase", position=1),
        "delivery": Touchpoint.objects.create(name="Delivery", slug="delivery", position=2),
        "support": Touchpoint.objects.create(name="Support", slug="support", position=3),
    }
    survey = Survey.objects.create(name="Acme relationship survey", slug="relationship")

    now = timezone.now()
    responses = [
        Response(survey=survey, unit=units[unit], touchpoint=touchpoints[touchpoint], score=score, submitted_at=when)
        for scores, when in ((RECENT_SCORES, now - dt.timedelta(days=3)), (OLD_SCORES, now - dt.timedelta(days=400)))
        for (unit, touchpoint), values in scores.items()
        for score in values
    ]
    Response.objects.bulk_create(responses)

    def user(name: str, **extra: Any) -> Any:
        return User.objects.create(username=name, password=_password_hash, first_name=name.title(), **extra)

    users = {
        "admin": user("admin", is_superuser=True, is_staff=True),
        "analyst": user("analyst"),
        "manager": user("manager"),
        "frontline": user("frontline"),
        "outsider": user("outsider"),
        "newcomer": user("newcomer"),
    }
    Membership.objects.create(user=users["analyst"], unit=acme, role=Membership.Role.ANALYST)
    Membership.objects.create(user=users["manager"], unit=north, role=Membership.Role.MANAGER)
    Membership.objects.create(user=users["frontline"], unit=units["north_1"], role=Membership.Role.FRONTLINE)
    Membership.objects.create(user=users["outsider"], unit=units["south_1"], role=Membership.Role.FRONTLINE)
    return Org(acme=acme, north=north, south=south, survey=survey, users=users, **units, **touchpoints)


@pytest.fixture
def login(client: Any, org: Org) -> Callable[[str], Any]:
    """``login("manager")`` logs Django's test client in as that named user and returns the client."""

    def log_in(name: str) -> Any:
        client.force_login(org.users[name])
        return client

    return log_in


# --- The browser ------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's headless Chromium driven by Playwright; skipped (or failed under HARKEN_REQUIRE_ALL=1) if missing."""
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is missing: apt-get install -y chromium (.ci/run does)"
        if REQUIRE_ALL:
            pytest.fail(f"HARKEN_REQUIRE_ALL=1 but {message}", pytrace=False)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


_failed_key = pytest.StashKey[bool]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    report = yield
    if report.when == "call":
        item.stash[_failed_key] = report.failed
    return report


@pytest.fixture
def page(request: pytest.FixtureRequest, browser: Any, live_server: Any) -> Iterator[Any]:
    """A fresh 1280×800 page; ``page.base_url`` is the live server.  A failing test leaves a screenshot."""
    context = browser.new_context(viewport={"width": 1280, "height": 800}, base_url=live_server.url)
    context.set_default_timeout(10_000)
    new_page = context.new_page()
    yield new_page
    if request.node.stash.get(_failed_key, False):
        screenshot(new_page, f"FAILED-{request.node.name}")
    context.close()


@pytest.fixture
def browser_login(page: Any, org: Org) -> Callable[[str], Any]:
    """``browser_login("analyst")`` logs in through the real login form and returns the page."""

    def log_in(name: str) -> Any:
        page.goto("/login/")
        page.get_by_label("Username").fill(name)
        page.get_by_label("Password").fill(org.password)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(lambda url: "/login/" not in url)
        return page

    return log_in


def screenshot(page: Any, name: str) -> Path:
    """Save a full-page screenshot as test-artifacts/NAME.png (gitignored) and return its path."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


@pytest.fixture
def run_worker(monkeypatch: pytest.MonkeyPatch) -> Callable[[], None]:
    """``run_worker()`` runs the real ``harken worker`` until the queue is empty, inside the test's transaction.

    The worker closes "old" database connections before each task; inside a test's transaction that would
    close the test's own connection (SQLite's in-memory database ignores it, PostgreSQL does not), so it is
    kept open here — as Django's test client does for requests.
    """
    from django.core.management import call_command
    from django_tasks_db.management.commands import db_worker

    monkeypatch.setattr(db_worker, "close_old_connections", lambda: None)

    def run() -> None:
        call_command("worker", batch=True, no_startup_delay=True, verbosity=0)

    return run


# --- A real SMTP server (aiosmtpd) for everything that sends email ------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Inbox:
    """An aiosmtpd handler that keeps every message it receives, parsed."""

    def __init__(self, refuse: str = "") -> None:
        self.messages: list[EmailMessage] = []
        self.senders: list[str] = []  # the envelope sender (MAIL FROM) of each message, in order
        self.refuse = refuse

    async def handle_RCPT(self, server: Any, session: Any, envelope: Envelope, address: str, options: Any) -> str:
        if address == self.refuse:
            return "550 5.1.1 No such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        self.senders.append(str(envelope.mail_from or ""))
        self.messages.append(email.message_from_bytes(raw, policy=email.policy.default))  # type: ignore[arg-type]
        return "250 Message accepted for delivery"


class Smtp:
    """A real SMTP server on a free port; ``start``/``stop`` take it up and down."""

    def __init__(self, refuse: str = "") -> None:
        self.port = free_port()
        self.inbox = Inbox(refuse)
        self.controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp(settings: Any) -> Iterator[Smtp]:
    """A stopped SMTP server that Django's SMTP backend is configured to use."""
    server = Smtp(refuse="nobody@example.com")
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", server.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 5
    settings.QUIET_HOURS = "off"
    settings.DEFAULT_FROM_EMAIL = "Harken <surveys@acme.example>"
    yield server
    server.stop()
