"""Install, rebuild and read the monthly score-count table (``ScoreCount``), kept exact by database triggers.

Why triggers: responses are written by survey pages, the API, imports, the demo loader and bulk inserts.
A trigger updates the counts in the same transaction as the row, whoever writes it, so the table can never
drift from ``collect_response``.  Months are cut in the zone stored in ``CubeState``; when that differs from
``settings.TIME_ZONE`` (or the table is not ready) the query path ignores the table and counts raw rows,
which is always correct, only slower; ``harken migrate`` (post_migrate) then rebuilds it.

On SQLite the month is computed by ``harken_local_month(timestamp, zone)``, a Python function registered on
every Django connection; tools that write responses through another SQLite connection must register it too.
"""

from __future__ import annotations

import datetime as dt
import functools
import zoneinfo
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.utils import timezone

from harken.analytics.models import SCORE_COLUMNS, CubeState

KEY = ("month", "unit_id", "touchpoint_id", "survey_id")
TRIGGERS = ("harken_cube_insert", "harken_cube_delete", "harken_cube_update")
PG_TRIGGER = "harken_cube"
WATCHED = "score, submitted_at, unit_id, touchpoint_id, survey_id"
ZONE = "(SELECT zone FROM analytics_cubestate WHERE id = 1)"


@functools.lru_cache(maxsize=65_536)
def _local_month(minute: str, zone: str) -> str:
    moment = dt.datetime.fromisoformat(minute).replace(tzinfo=dt.UTC).astimezone(zoneinfo.ZoneInfo(zone))
    return f"{moment:%Y-%m}-01"


def local_month(stamp: str | None, zone: str | None) -> str | None:
    """SQLite function: 'YYYY-MM-01' of a UTC timestamp text in ``zone`` (UTC when unset); None for None."""
    if stamp is None:
        return None
    return _local_month(stamp[:16], zone or "UTC")  # zone offsets are whole minutes: the minute decides


def register_sqlite_functions(sender: Any, connection: BaseDatabaseWrapper, **kwargs: Any) -> None:
    """``connection_created`` receiver: make ``harken_local_month`` available to the triggers."""
    if connection.vendor == "sqlite":
        connection.connection.create_function("harken_local_month", 2, local_month, deterministic=True)


def _month_sql(prefix: str, zone: str) -> str:
    if connection.vendor == "postgresql":
        return f"(date_trunc('month', {prefix}submitted_at AT TIME ZONE {zone}))::date"
    return f"harken_local_month({prefix}submitted_at, {zone})"


def _is(expression: str, score: int) -> str:
    return f"({expression} = {score})::int" if connection.vendor == "postgresql" else f"({expression} = {score})"


def _upsert(row: str, where: str = "") -> str:
    """INSERT … SELECT one response's cell, adding its score to an existing cell."""
    zone = f"COALESCE({ZONE}, 'UTC')"
    values = ", ".join(
        [
            _month_sql(row, zone),
            f"{row}unit_id",
            f"COALESCE({row}touchpoint_id, 0)",
            f"{row}survey_id",
            *(_is(f"{row}score", score) for score in range(11)),
        ]
    )
    add = ", ".join(f"{c} = analytics_scorecount.{c} + excluded.{c}" for c in SCORE_COLUMNS)
    return (
        f"INSERT INTO analytics_scorecount ({', '.join(KEY)}, {', '.join(SCORE_COLUMNS)}) "
        f"SELECT {values} WHERE {where or 'TRUE'} ON CONFLICT ({', '.join(KEY)}) DO UPDATE SET {add}"
    )


def _subtract(row: str) -> str:
    """UPDATE one response's cell, taking its score away."""
    zone = f"COALESCE({ZONE}, 'UTC')"
    take = ", ".join(f"{c} = {c} - {_is(f'{row}score', score)}" for score, c in enumerate(SCORE_COLUMNS))
    return (
        f"UPDATE analytics_scorecount SET {take} WHERE {row}score IS NOT NULL "  # noqa: S608 (constants only)
        f"AND month = {_month_sql(row, zone)} AND unit_id = {row}unit_id "
        f"AND touchpoint_id = COALESCE({row}touchpoint_id, 0) AND survey_id = {row}survey_id"
    )


def _trigger_statements() -> list[str]:
    if connection.vendor == "postgresql":
        return [
            f"""CREATE OR REPLACE FUNCTION harken_cube_apply() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
              IF TG_OP IN ('DELETE', 'UPDATE') THEN {_subtract("OLD.")}; END IF;
              IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.score IS NOT NULL THEN {_upsert("NEW.")}; END IF;
              RETURN NULL;
            END $$""",
            f"DROP TRIGGER IF EXISTS {PG_TRIGGER} ON collect_response",
            f"CREATE TRIGGER {PG_TRIGGER} AFTER INSERT OR DELETE OR UPDATE OF {WATCHED} ON collect_response "
            "FOR EACH ROW EXECUTE FUNCTION harken_cube_apply()",
        ]
    return [
        f"CREATE TRIGGER IF NOT EXISTS harken_cube_insert AFTER INSERT ON collect_response "
        f"WHEN NEW.score IS NOT NULL BEGIN {_upsert('NEW.')}; END",
        f"CREATE TRIGGER IF NOT EXISTS harken_cube_delete AFTER DELETE ON collect_response "
        f"WHEN OLD.score IS NOT NULL BEGIN {_subtract('OLD.')}; END",
        f"CREATE TRIGGER IF NOT EXISTS harken_cube_update AFTER UPDATE OF {WATCHED} ON collect_response "
        f"BEGIN {_subtract('OLD.')}; {_upsert('NEW.', 'NEW.score IS NOT NULL')}; END",
    ]


def triggers_installed() -> bool:
    """Whether the triggers exist (SQLite drops them when a migration rebuilds collect_response)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT count(*) FROM pg_trigger WHERE tgname = %s", [PG_TRIGGER])
            return bool(cursor.fetchone()[0])
        cursor.execute(
            "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name IN (%s, %s, %s)", list(TRIGGERS)
        )
        return cursor.fetchone()[0] == len(TRIGGERS)


def install_triggers() -> None:
    """Create (or re-create) the triggers that keep ``ScoreCount`` exact."""
    with connection.cursor() as cursor:
        for statement in _trigger_statements():
            cursor.execute(statement)


def drop_triggers() -> None:
    """Remove the triggers (bulk loads do this, then ``rebuild``); marks the table not ready."""
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"DROP TRIGGER IF EXISTS {PG_TRIGGER} ON collect_response")
        else:
            for name in TRIGGERS:
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
        CubeState.objects.filter(pk=1).update(ready=False)


def rebuild(zone: str | None = None) -> None:
    """Recount ``ScoreCount`` from every scored response in one grouped query, then install the triggers.

    Runs in one transaction, so readers see the old table or the new one, never half of it.
    """
    zone = zone or settings.TIME_ZONE
    zoneinfo.ZoneInfo(zone)  # a bad name fails here, not inside SQL
    sums = ", ".join(
        f"COUNT(*) FILTER (WHERE score = {s})" if connection.vendor == "postgresql" else f"SUM(score = {s})"
        for s in range(11)
    )
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM analytics_scorecount")
        CubeState.objects.update_or_create(pk=1, defaults={"zone": zone, "ready": False})
        cursor.execute(
            f"INSERT INTO analytics_scorecount ({', '.join(KEY)}, {', '.join(SCORE_COLUMNS)}) "  # noqa: S608
            f"SELECT {_month_sql('', '%s')}, unit_id, COALESCE(touchpoint_id, 0), survey_id, "
            f"{sums} FROM collect_response WHERE score IS NOT NULL GROUP BY 1, 2, 3, 4",
            [zone],
        )
        install_triggers()
        CubeState.objects.filter(pk=1).update(ready=True, rebuilt_at=timezone.now())


def ensure(**kwargs: Any) -> None:
    """``post_migrate`` receiver: make sure the triggers exist and the table matches ``TIME_ZONE``."""
    if kwargs.get("app_config") is not None and kwargs["app_config"].label != "analytics":
        return
    state = CubeState.objects.filter(pk=1).first()
    if state is None or not state.ready or state.zone != settings.TIME_ZONE or not triggers_installed():
        rebuild()
    elif connection.vendor == "postgresql":
        install_triggers()  # CREATE OR REPLACE: picks up a changed trigger body after an upgrade


def usable() -> bool:
    """Whether the table may answer a query now: complete, and cut in the installation's time zone."""
    return CubeState.objects.filter(pk=1, ready=True, zone=settings.TIME_ZONE).exists()


def full_months(start: dt.date | None, end: dt.date | None) -> tuple[dt.date | None, dt.date | None] | None:
    """The whole calendar months inside [start, end] as (first month, month after the last), open ends None.

    None when the period holds no whole month: then everything is counted from raw responses.
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
