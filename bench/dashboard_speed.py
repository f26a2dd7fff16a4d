"""How fast the dashboard panels answer at N responses, warm, as median and p95.

    HARKEN_DATA_DIR=$(mktemp -d) .venv/bin/python bench/dashboard_speed.py --responses 1000000
    DATABASE_URL=postgres://harken@127.0.0.1:5432/bench .venv/bin/python bench/dashboard_speed.py -n 10000000

It migrates the configured database (it must be empty: a throwaway one), builds an organisation of ~500
units (company → 10 regions → 489 stores), 8 touchpoints in journey order, 3 surveys, 200,000 contacts with
attributes, then N responses over 3 years with one INSERT … SELECT in the database (SQLite: a recursive CTE,
PostgreSQL: generate_series) — the survey follows from the touchpoint, the language mostly from the region,
the channel is one of four, each store has its own score mix.  The score-count triggers and the
response indexes are dropped for the load; then the indexes are built again and the score-count tables
rebuilt (``harken.analytics.cube.rebuild``), as an import of history would.  Data loading should run under
``nice -n 10`` on a shared machine.

Then each overview panel and the unit leaderboard is timed through the same functions the pages use
(``harken.dashboards.panels``), with several filter combinations, ``--repeat`` times after one warm-up.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "harken.settings")

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.http import QueryDict  # noqa: E402

from harken.analytics import cube, queries  # noqa: E402
from harken.collect.models import Response  # noqa: E402
from harken.contacts.models import Contact  # noqa: E402
from harken.dashboards import panels, selection  # noqa: E402
from harken.org.models import Unit  # noqa: E402
from harken.surveys.models import Survey, Touchpoint  # noqa: E402

TOUCHPOINTS = ["Discovery", "Onboarding", "Purchase", "Delivery", "Installation", "Support", "Billing", "Renewal"]
REGIONS = 10
STORES = 489
CONTACTS = 200_000
DAYS = 3 * 365


def build_org() -> tuple[list[int], list[int], list[int]]:
    company = Unit.objects.create(name="Benchmark Co", kind=Unit.Kind.COMPANY)
    regions = [
        Unit.objects.create(name=f"Region {i + 1}", kind=Unit.Kind.REGION, parent=company) for i in range(REGIONS)
    ]
    stores = [
        Unit.objects.create(name=f"Store {i + 1:03d}", kind=Unit.Kind.STORE, parent=regions[i % REGIONS])
        for i in range(STORES)
    ]
    tps = [
        Touchpoint.objects.create(name=name, slug=name.lower(), position=i + 1) for i, name in enumerate(TOUCHPOINTS)
    ]
    surveys = [Survey.objects.create(name=name, slug=name.lower()) for name in ("Relationship", "Purchase", "Service")]
    # Through the ORM (not raw SQL) so that every column of Contact gets its default, whatever is added later.
    plans, segments = ("basic", "pro", "enterprise"), ("smb", "mid", "large", "public")
    for first in range(1, CONTACTS + 1, 10_000):
        Contact.objects.bulk_create(
            Contact(email=f"c{i}@example.com", attributes={"plan": plans[i % 3], "segment": segments[i % 4]})
            for i in range(first, min(first + 10_000, CONTACTS + 1))
        )
    return [s.pk for s in stores], [t.pk for t in tps], [s.pk for s in surveys]


def load(n: int, stores: list[int], tps: list[int], surveys: list[int]) -> None:
    """N responses in one INSERT … SELECT; deterministic functions of a random number per row."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT min(id), max(id) FROM contacts_contact")
        first_contact, _ = cursor.fetchone()
    end = dt.datetime.now(dt.UTC).replace(microsecond=0)
    start_epoch = int(end.timestamp()) - DAYS * 86400
    s0, t0, v0 = stores[0], tps[0], surveys[0]
    pg = connection.vendor == "postgresql"
    r = "(random() * 2147483647)::bigint" if pg else "abs(random())"
    # u: store index, t: touchpoint index, x: seconds into the 3 years, k: score noise, c: channel, z: contact
    chunk = 1_000_000
    chunks = max(1, -(-n // chunk))
    span = DAYS * 86400 // chunks  # each chunk covers its own slice of time, inserted in time order as in life
    inner = (
        f"SELECT {r} %% {len(stores)} AS u, {r} %% 8 AS t, %s + {r} %% {span} AS x, {r} %% 1000 AS k, "
        f"{r} %% 4 AS c, {r} %% {CONTACTS} AS z"
    )
    score = "LEAST(10, GREATEST(0, (k %% 11 + (u %% 7) + 3) / 2 + (CASE WHEN k > 900 THEN -4 ELSE 0 END)))"
    if not pg:
        score = score.replace("LEAST", "min").replace("GREATEST", "max")
    when = "to_timestamp(%s + x)" if pg else "datetime(%s + x, 'unixepoch')"
    columns = (
        "survey_id, contact_id, unit_id, touchpoint_id, score, comment, answers, channel, language, external_id, "
        "submission_key, submitted_at, created_at, updated_at"
    )
    values = (
        f"{v0} + CASE WHEN t = 0 THEN 0 WHEN t < 4 THEN 1 ELSE 2 END, {first_contact} + z, {s0} + u, {t0} + t, "
        f"{score}, CASE WHEN k < 30 THEN 'Comment number ' || k ELSE '' END, '{{}}', "
        "CASE c WHEN 0 THEN 'email' WHEN 1 THEN 'sms' WHEN 2 THEN 'link' ELSE 'widget' END, "
        "CASE WHEN k < 50 THEN 'en' WHEN u %% 10 < 3 THEN 'fr' WHEN u %% 10 < 5 THEN 'de' ELSE 'en' END, "
        f"'', '', {when}, {when}, {when}"
    )
    done = 0
    while done < n:
        size = min(chunk, n - done)
        if pg:
            series = "generate_series(1, %s)"
            sql = (
                f"INSERT INTO collect_response ({columns}) SELECT {values} FROM ({inner} FROM {series}) AS g ORDER BY x"
            )
        else:
            # MATERIALIZED: each random number is drawn once per row (a flattened subquery would draw it again
            # for every use, and the survey would no longer follow from the touchpoint).
            sql = (
                f"WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < %s), "
                f"g AS MATERIALIZED ({inner} FROM s) "
                f"INSERT INTO collect_response ({columns}) SELECT {values} FROM g ORDER BY x"
            )
        with transaction.atomic(), connection.cursor() as cursor:
            offset = done // chunk * span
            params = [start_epoch] * 3 + [offset] + [size] if pg else [size, offset, *[start_epoch] * 3]
            cursor.execute(sql, params)
        done += size
        print(f"  {done:,} responses", flush=True)


def drop_indexes() -> list[str]:
    """Drop the non-unique indexes of collect_response (a bulk load is far faster without them); return
    the statements that create them again."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'collect_response' "
                "AND indexdef NOT LIKE 'CREATE UNIQUE%%'"
            )
        else:
            cursor.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'collect_response' "
                "AND sql IS NOT NULL AND sql NOT LIKE 'CREATE UNIQUE%%'"
            )
        found = cursor.fetchall()
        for name, _ in found:
            cursor.execute(f'DROP INDEX "{name}"')
    return [definition for _, definition in found]


def create_indexes(statements: list[str]) -> None:
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def cpu_seconds() -> float:
    """CPU time used so far by this process and, on PostgreSQL, by its server process.

    On a shared machine the wall-clock figures include waiting for a core; the CPU time is what the panel
    itself costs (PostgreSQL's parallel workers, if any, are not included).
    """
    used = time.process_time()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            backend = cursor.fetchone()[0]
        try:
            fields = Path(f"/proc/{backend}/stat").read_text().rsplit(")", 1)[1].split()
            used += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except OSError:  # the server runs on another machine: only this process counts
            pass
    return used


def timed(function: Callable[[], object], repeat: int) -> tuple[float, float, float]:
    """(median ms, p95 ms, mean CPU ms) of ``repeat`` warm runs."""
    function()  # warm-up
    samples = []
    cpu_before = cpu_seconds()
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        samples.append((time.perf_counter() - started) * 1000)
    cpu = (cpu_seconds() - cpu_before) * 1000 / repeat
    samples.sort()
    return statistics.median(samples), samples[min(len(samples) - 1, round(0.95 * (len(samples) - 1)))], cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", "--responses", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument("--reuse", action="store_true", help="Time an already loaded benchmark database.")
    parser.add_argument("--only", help="Time only the filter combinations whose name contains this.")
    parser.add_argument("--no-raw", action="store_true", help="Skip the filters only raw rows answer (slow at 10M).")
    args = parser.parse_args()
    print(f"database: {connection.vendor} {connection.settings_dict['NAME']}", flush=True)
    call_command("migrate", verbosity=0)
    if not args.reuse:
        if Response.objects.exists():
            sys.exit("The database already holds responses: use an empty, throwaway database (or --reuse).")
        started = time.perf_counter()
        stores, tps, surveys = build_org()
        cube.drop_triggers()
        indexes = drop_indexes()
        load(args.responses, stores, tps, surveys)
        print(f"loaded in {time.perf_counter() - started:.0f} s; building {len(indexes)} indexes …", flush=True)
        started = time.perf_counter()
        create_indexes(indexes)
        print(f"indexed in {time.perf_counter() - started:.0f} s; rebuilding the score-count tables …", flush=True)
        started = time.perf_counter()
        cube.rebuild()
        with connection.cursor() as cursor:  # as autovacuum would: statistics, and visibility for index-only scans
            cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
        print(f"rebuilt in {time.perf_counter() - started:.0f} s", flush=True)
    total = Response.objects.count()
    with connection.cursor() as cursor:
        rows = []
        for table in cube.TABLES:
            cursor.execute(f"SELECT count(*) FROM {table.name}")
            rows.append(f"{table.name.removeprefix('analytics_')} {cursor.fetchone()[0]:,}")
    sizes = ", ".join(rows)
    print(f"responses: {total:,}; score-count rows: {sizes}")
    print(f"load average before timing: {os.getloadavg()[0]:.2f} (1 min), {os.getloadavg()[1]:.2f} (5 min)")
    region = Unit.objects.filter(kind=Unit.Kind.REGION).order_by("pk").first()
    store = Unit.objects.filter(kind=Unit.Kind.STORE).order_by("pk").first()
    tp = Touchpoint.objects.order_by("position")[2]
    assert region and store
    combos = {
        "12 months, everything": "period=12m",
        "12 months, one region": f"period=12m&unit={region.pk}",
        "90 days, one touchpoint": f"period=90d&touchpoint={tp.pk}",
        "this quarter, one store": f"period=qtd&unit={store.pk}",
        "last year, sms + french": "period=last_year&channel=sms&language=fr",
        "12 months, detractors, region+tp": f"period=12m&category=detractor&unit={region.pk}&touchpoint={tp.pk}",
        "custom 2 years": f"period=custom&from={dt.date.today() - dt.timedelta(days=730)}&to={dt.date.today()}",
        "all time": "period=all",
        "30 days, email": "period=30d&channel=email",
        "12m, sms, one touchpoint (detail+raw)": f"period=12m&channel=sms&touchpoint={tp.pk}",
        "12 months, German, region": f"period=12m&language=de&unit={region.pk}",
        "12 months, weekly trend": "period=12m&trend=week",
        "12 months, attribute plan=pro (raw)": "period=12m&attribute=plan:pro",
        "90 days, customer NPS (raw)": "period=90d&count=customers",
        "12 months, customer NPS, store (raw)": f"period=12m&count=customers&unit={store.pk}",
    }
    if args.only:
        combos = {name: query for name, query in combos.items() if args.only in name}
    if args.no_raw:
        combos = {name: query for name, query in combos.items() if "(raw)" not in name}
    print(f"\n{'filters':38} {'panel':22} {'median ms':>10} {'p95 ms':>8} {'CPU ms':>8}")
    worst: dict[str, float] = {}
    for name, query in combos.items():
        chosen = selection.read(QueryDict(query), _Everyone())
        filters = chosen.filters()
        checks: dict[str, Callable[[], object]] = {
            "headline (NPS, n, CI)": lambda f=filters: queries.total(f),
            "vs previous period": lambda c=chosen: panels.headline(c, _Everyone()),
            "distribution 0-10": lambda f=filters: queries.distribution(f),
            "trend": lambda c=chosen: queries.nps_by(c.trend, c.filters()),
            "journey (touchpoints)": lambda f=filters: queries.nps_by("touchpoint", f),
            "by unit": lambda f=filters: queries.nps_by("unit", f),
            "response rate": lambda f=filters: queries.invitations_answered(f),
            "latest comments": lambda f=filters: queries.comments(f),
            "leaderboard (stores)": lambda c=chosen: panels.rank(
                list(Unit.objects.filter(kind="store")), queries.unit_totals(c.filters(unit=None))
            ),
        }
        for panel, function in checks.items():
            median, p95, cpu = timed(function, args.repeat)
            worst[name] = max(worst.get(name, 0), p95)
            print(f"{name:38} {panel:22} {median:10.1f} {p95:8.1f} {cpu:8.1f}", flush=True)
    print("\nslowest panel (p95 ms) per filter combination:")
    for name, value in worst.items():
        print(f"  {name:38} {value:8.1f}")


class _Everyone:
    """An analyst-like viewer for ``selection.read``: sees every unit (no scoping cost in the figures)."""

    is_authenticated = True
    is_superuser = True
    pk = 0


if __name__ == "__main__":
    main()
