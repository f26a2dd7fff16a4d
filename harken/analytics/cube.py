"""Install, rebuild and choose the score-count tables (``harken.analytics.models``), kept exact by triggers.

Why triggers: responses are written by survey pages, the API, imports, erasure, retention, the demo loader
and bulk inserts.  A trigger updates the counts in the same transaction as the row, whoever writes it, so
the tables can never drift from ``collect_response``.  Months and days are cut in the zone stored in
``CubeState``; when that differs from ``settings.TIME_ZONE`` (or the tables are not ready) the query path
ignores them and counts raw rows, which is always correct, only slower; ``harken migrate`` (post_migrate)
then rebuilds them.

On SQLite the buckets are computed by ``harken_local_month`` / ``harken_local_day(timestamp, zone)``, Python
functions registered on every Django connection; tools that write responses through another SQLite
connection must register them too (``register``).
"""

from __future__ import annotations

import datetime as dt
import functools
import sqlite3
import zoneinfo
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.utils import timezone

from harken.analytics.models import SCORE_COLUMNS, CubeState

TRIGGERS = ("harken_cube_insert", "harken_cube_delete", "harken_cube_update")
PG_TRIGGER = "harken_cube"
WATCHED = "score, submitted_at, unit_id, touchpoint_id, survey_id, channel, language"
ZONE = "COALESCE((SELECT zone FROM analytics_cubestate WHERE id = 1), 'UTC')"
# How each key column of a table is computed from a response row (prefix: "NEW.", "OLD." or "").
COLUMNS = {
    "unit_id": "{row}unit_id",
    "touchpoint_id": "COALESCE({row}touchpoint_id, 0)",
    "survey_id": "{row}survey_id",
    "channel": "{row}channel",
    "language": "{row}language",
}


@dataclass(frozen=True)
class Table:
    """A score-count table: its time bucket ("month" or "day"), the response columns it keeps apart, and
    the finer table it is summed from on a rebuild (None: counted from the responses)."""

    name: str
    bucket: str
    columns: tuple[str, ...]
    source: str | None = None

    @property
    def key(self) -> tuple[str, ...]:
        return (self.bucket, *self.columns)

    def answers(self, needed: set[str]) -> bool:
        """Whether this table keeps every one of ``needed`` (response columns) apart."""
        return needed <= set(self.columns)


PLACES = ("unit_id", "touchpoint_id", "survey_id")
DAYS = Table("analytics_daycount", "day", PLACES)
UNIT_DAYS = Table("analytics_unitdaycount", "day", ("unit_id",), source=DAYS.name)
MONTHS = Table("analytics_scorecount", "month", PLACES, source=DAYS.name)
UNIT_MONTHS = Table("analytics_unitmonthcount", "month", ("unit_id",), source=MONTHS.name)
SPOKEN = ("unit_id", "channel", "language")
CHANNEL_DAYS = Table("analytics_channeldaycount", "day", SPOKEN)
CHANNEL_MONTHS = Table("analytics_channelmonthcount", "month", SPOKEN, source=CHANNEL_DAYS.name)
DETAIL = Table("analytics_detailcount", "month", (*PLACES, "channel", "language"))
# In rebuild order: each after its source.
TABLES = (DAYS, UNIT_DAYS, MONTHS, UNIT_MONTHS, CHANNEL_DAYS, CHANNEL_MONTHS, DETAIL)


def month_table(needed: set[str]) -> Table | None:
    """The smallest table answering whole months for a query on ``needed`` columns (None: raw rows only)."""
    return next((t for t in (UNIT_MONTHS, MONTHS, CHANNEL_MONTHS, DETAIL) if t.answers(needed)), None)


def day_table(needed: set[str]) -> Table | None:
    """The smallest table answering single days for ``needed`` columns (None: raw rows answer the days)."""
    return next((table for table in (UNIT_DAYS, DAYS, CHANNEL_DAYS) if table.answers(needed)), None)


@functools.lru_cache(maxsize=262_144)
def _local_day(minute: str, zone: str) -> str:
    moment = dt.datetime.fromisoformat(minute).replace(tzinfo=dt.UTC).astimezone(zoneinfo.ZoneInfo(zone))
    return f"{moment:%Y-%m-%d}"


def local_day(stamp: str | None, zone: str | None) -> str | None:
    """SQLite function: 'YYYY-MM-DD' of a UTC timestamp text in ``zone`` (UTC when unset); None for None."""
    if stamp is None:
        return None
    return _local_day(stamp[:16], zone or "UTC")  # zone offsets are whole minutes: the minute decides


def local_month(stamp: str | None, zone: str | None) -> str | None:
    """SQLite function: 'YYYY-MM-01' of a UTC timestamp text in ``zone`` (UTC when unset); None for None."""
    day = local_day(stamp, zone)
    return None if day is None else f"{day[:7]}-01"


def register(sqlite_connection: sqlite3.Connection) -> None:
    """Make the bucket functions available on a raw SQLite connection."""
    sqlite_connection.create_function("harken_local_month", 2, local_month, deterministic=True)
    sqlite_connection.create_function("harken_local_day", 2, local_day, deterministic=True)


def register_sqlite_functions(sender: Any, connection: BaseDatabaseWrapper, **kwargs: Any) -> None:
    """``connection_created`` receiver: make the bucket functions available to the triggers."""
    if connection.vendor == "sqlite":
        register(connection.connection)


def _bucket_sql(bucket: str, prefix: str, zone: str) -> str:
    if connection.vendor == "postgresql":
        if bucket == "day":
            return f"({prefix}submitted_at AT TIME ZONE {zone})::date"
        return f"(date_trunc('month', {prefix}submitted_at AT TIME ZONE {zone}))::date"
    return f"harken_local_{bucket}({prefix}submitted_at, {zone})"


def _is(expression: str, score: int) -> str:
    return f"({expression} = {score})::int" if connection.vendor == "postgresql" else f"({expression} = {score})"


def _key_values(table: Table, row: str, zone: str) -> list[str]:
    return [_bucket_sql(table.bucket, row, zone), *(COLUMNS[c].format(row=row) for c in table.columns)]


def _upsert(table: Table, row: str, where: str = "") -> str:
    """INSERT … SELECT one response's cell, adding its score to an existing cell."""
    values = ", ".join([*_key_values(table, row, ZONE), *(_is(f"{row}score", score) for score in range(11))])
    add = ", ".join(f"{c} = {table.name}.{c} + excluded.{c}" for c in SCORE_COLUMNS)
    key = ", ".join(table.key)
    return (
        f"INSERT INTO {table.name} ({key}, {', '.join(SCORE_COLUMNS)}) "
        f"SELECT {values} WHERE {where or 'TRUE'} ON CONFLICT ({key}) DO UPDATE SET {add}"
    )


def _subtract(table: Table, row: str) -> str:
    """UPDATE one response's cell, taking its score away."""
    take = ", ".join(f"{c} = {c} - {_is(f'{row}score', score)}" for score, c in enumerate(SCORE_COLUMNS))
    match = " AND ".join(f"{c} = {v}" for c, v in zip(table.key, _key_values(table, row, ZONE), strict=True))
    return f"UPDATE {table.name} SET {take} WHERE {row}score IS NOT NULL AND {match}"  # noqa: S608 (constants)


def _trigger_statements() -> list[str]:
    subtract = "; ".join(_subtract(table, "OLD.") for table in TABLES)
    if connection.vendor == "postgresql":
        upsert = "; ".join(_upsert(table, "NEW.") for table in TABLES)
        return [
            f"""CREATE OR REPLACE FUNCTION harken_cube_apply() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
              IF TG_OP IN ('DELETE', 'UPDATE') THEN {subtract}; END IF;
              IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.score IS NOT NULL THEN {upsert}; END IF;
              RETURN NULL;
            END $$""",
            f"DROP TRIGGER IF EXISTS {PG_TRIGGER} ON collect_response",
            f"CREATE TRIGGER {PG_TRIGGER} AFTER INSERT OR DELETE OR UPDATE OF {WATCHED} ON collect_response "
            "FOR EACH ROW EXECUTE FUNCTION harken_cube_apply()",
        ]
    insert = "; ".join(_upsert(table, "NEW.") for table in TABLES)
    update = "; ".join(_upsert(table, "NEW.", "NEW.score IS NOT NULL") for table in TABLES)
    return [
        *(f"DROP TRIGGER IF EXISTS {name}" for name in TRIGGERS),  # SQLite cannot replace a trigger's body
        f"CREATE TRIGGER harken_cube_insert AFTER INSERT ON collect_response "
        f"WHEN NEW.score IS NOT NULL BEGIN {insert}; END",
        f"CREATE TRIGGER harken_cube_delete AFTER DELETE ON collect_response "
        f"WHEN OLD.score IS NOT NULL BEGIN {subtract}; END",
        f"CREATE TRIGGER harken_cube_update AFTER UPDATE OF {WATCHED} ON collect_response "
        f"BEGIN {subtract}; {update}; END",
    ]


def triggers_installed() -> bool:
    """Whether the triggers exist and keep every table (SQLite drops them when a migration rebuilds
    collect_response; an older version kept fewer tables)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT count(*) FROM pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid "
                "WHERE t.tgname = %s AND p.prosrc LIKE %s",
                [PG_TRIGGER, f"%{TABLES[-1].name}%"],
            )
            return bool(cursor.fetchone()[0])
        cursor.execute(
            "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name IN (%s, %s, %s) AND sql LIKE %s",
            [*TRIGGERS, f"%{TABLES[-1].name}%"],
        )
        return cursor.fetchone()[0] == len(TRIGGERS)


def install_triggers() -> None:
    """Create (or re-create) the triggers that keep the score-count tables exact."""
    with connection.cursor() as cursor:
        for statement in _trigger_statements():
            cursor.execute(statement)


def drop_triggers() -> None:
    """Remove the triggers (bulk loads do this, then ``rebuild``); marks the tables not ready."""
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"DROP TRIGGER IF EXISTS {PG_TRIGGER} ON collect_response")
        else:
            for name in TRIGGERS:
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
        CubeState.objects.filter(pk=1).update(ready=False)


def rebuild(zone: str | None = None) -> None:
    """Recount every score-count table from the scored responses, one grouped query each, then install the
    triggers.

    Runs in one transaction, so readers see the old tables or the new ones, never half of them.  Only the
    finest tables are counted from the responses; coarser ones are summed from them (a day lies in one
    month), which reads the millions of responses twice instead of five times.
    """
    zone = zone or settings.TIME_ZONE
    zoneinfo.ZoneInfo(zone)  # a bad name fails here, not inside SQL
    pg = connection.vendor == "postgresql"
    sums = ", ".join(f"COUNT(*) FILTER (WHERE score = {s})" if pg else f"SUM(score = {s})" for s in range(11))
    scores = ", ".join(SCORE_COLUMNS)
    with transaction.atomic(), connection.cursor() as cursor:
        CubeState.objects.update_or_create(pk=1, defaults={"zone": zone, "ready": False})
        for table in TABLES:
            cursor.execute(f"DELETE FROM {table.name}")  # noqa: S608 (constants only)
            if table.source is not None:
                source = next(t for t in TABLES if t.name == table.source)
                bucket = table.bucket
                if source.bucket != table.bucket:  # months summed from days
                    bucket = "(date_trunc('month', day))::date" if pg else "substr(day, 1, 8) || '01'"
                groups = ", ".join(str(i + 1) for i in range(len(table.key)))
                cursor.execute(
                    f"INSERT INTO {table.name} ({', '.join(table.key)}, {scores}) "  # noqa: S608
                    f"SELECT {bucket}, {', '.join(table.columns)}, {', '.join(f'SUM({c})' for c in SCORE_COLUMNS)} "
                    f"FROM {source.name} GROUP BY {groups}"
                )
                continue
            keys = ", ".join(_rebuild_keys(table, cursor, zone))
            groups = ", ".join(str(i + 1) for i in range(len(table.key)))
            cursor.execute(
                f"INSERT INTO {table.name} ({', '.join(table.key)}, {scores}) "  # noqa: S608
                f"SELECT {keys}, {sums} FROM collect_response WHERE score IS NOT NULL GROUP BY {groups}",
                [zone] * keys.count("%s"),
            )
        install_triggers()
        CubeState.objects.filter(pk=1).update(ready=True, rebuilt_at=timezone.now())


def _rebuild_keys(table: Table, cursor: Any, zone: str) -> list[str]:
    """The key expressions of a rebuild.  On SQLite the local time is computed in SQL from the zone's UTC
    offsets over the responses' years (a CASE over its transitions) instead of calling Python per row:
    the same buckets, many times faster for millions of rows."""
    keys = _key_values(table, "", "%s")
    if connection.vendor == "postgresql":
        return keys
    cursor.execute("SELECT min(submitted_at), max(submitted_at) FROM collect_response")
    first, last = cursor.fetchone()
    if first is None:
        return keys
    local = f"datetime(submitted_at, {offset_case('submitted_at', zone, int(first[:4]), int(last[:4]))})"
    keys[0] = f"substr({local}, 1, 10)" if table.bucket == "day" else f"substr({local}, 1, 8) || '01'"
    return keys


def offset_case(stamp: str, zone: str, first_year: int, last_year: int) -> str:
    """SQL: the modifier ('+60 minutes' …) that turns UTC text ``stamp`` into local time in ``zone``, for
    moments from ``first_year`` to ``last_year`` (one CASE branch per offset change)."""
    tz = zoneinfo.ZoneInfo(zone)
    moment = dt.datetime(first_year - 1, 12, 31, tzinfo=dt.UTC)
    end = dt.datetime(last_year + 1, 1, 2, tzinfo=dt.UTC)
    current = moment.astimezone(tz).utcoffset()
    branches = []
    while moment < end:
        step = moment + dt.timedelta(hours=1)
        if step.astimezone(tz).utcoffset() != current:
            change = moment
            while change.astimezone(tz).utcoffset() == current:  # the minute it changed
                change += dt.timedelta(minutes=1)
            branches.append((change, current))
            current = change.astimezone(tz).utcoffset()
        moment = step

    def modifier(offset: dt.timedelta | None) -> str:
        return f"'{int((offset or dt.timedelta()).total_seconds() // 60):+d} minutes'"

    whens = " ".join(f"WHEN {stamp} < '{change:%Y-%m-%d %H:%M:%S}' THEN {modifier(off)}" for change, off in branches)
    return f"CASE {whens} ELSE {modifier(current)} END" if whens else modifier(current)


def ensure(**kwargs: Any) -> None:
    """``post_migrate`` receiver: make sure the triggers exist and the tables match ``TIME_ZONE``."""
    if kwargs.get("app_config") is not None and kwargs["app_config"].label != "analytics":
        return
    state = CubeState.objects.filter(pk=1).first()
    if state is None or not state.ready or state.zone != settings.TIME_ZONE or not triggers_installed():
        rebuild()
    elif connection.vendor == "postgresql":
        install_triggers()  # CREATE OR REPLACE: picks up a changed trigger body after an upgrade


def usable() -> bool:
    """Whether the tables may answer a query now: complete, and cut in the installation's time zone."""
    return CubeState.objects.filter(pk=1, ready=True, zone=settings.TIME_ZONE).exists()


def full_months(start: dt.date | None, end: dt.date | None) -> tuple[dt.date | None, dt.date | None] | None:
    """The whole calendar months inside [start, end] as (first month, month after the last), open ends None.

    None when the period holds no whole month: then its days are counted from the day table or raw rows.
    """
    first = start if start is None or start.day == 1 else _next_month(start)
    after = None
    if end is not None:
        next_day = end + dt.timedelta(days=1)
        after = next_day if next_day.day == 1 else end.replace(day=1)
    if first is not None and after is not None and first >= after:
        return None
    return first, after


def _next_month(day: dt.date) -> dt.date:
    return (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
