"""Rate limits for the public endpoints, counted in the database so that every process shares them.

DESIGN.md §7 forbids in-memory state that several processes must share, so the counters live in one
table (``RateLimit``): a fixed window per key.  One statement counts every key of a request and returns
the new counts — ``INSERT … ON CONFLICT DO UPDATE … RETURNING`` (SQLite ≥ 3.35, PostgreSQL ≥ 9.5) — so a
request costs one small write, which shares the transaction of the answer it protects.

A fixed window lets a client send up to twice the limit across a window boundary; for abuse control that is
good enough and much cheaper than a sliding log.  Rows of past windows are deleted now and then.
"""

from __future__ import annotations

import functools
import ipaddress
import random
import time
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.http import HttpRequest
from django.utils.translation import gettext_noop

from harken.collect.models import RateLimit

TOO_MANY = gettext_noop("Too many answers from here in a short time. Please wait a minute and try again.")
WINDOW_SECONDS = 60
PRUNE_PROBABILITY = 0.002  # one request in 500 deletes the rows of finished windows


@dataclass(frozen=True)
class Limit:
    """At most ``allowed`` requests per window for ``key``."""

    key: str
    allowed: int


class RateLimited(Exception):
    """Too many requests; ``retry_after`` is in seconds."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(
            gettext_noop("Too many answers from here in a short time. Please wait a minute and try again.")
        )
        self.retry_after = retry_after


def client_ip(request: HttpRequest) -> str:
    """The client's address, as the rate limits see it.

    Behind a reverse proxy (``HARKEN_BEHIND_PROXY=true``) it is the last address in X-Forwarded-For, the one
    the proxy itself appended; earlier ones are client-supplied and could be forged.  IPv6 clients are
    counted per /64 network, since one host usually owns a whole /64.
    """
    raw = request.META.get("REMOTE_ADDR", "")
    if getattr(settings, "BEHIND_PROXY", False):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded.strip():
            raw = forwarded.split(",")[-1].strip()
    return _normalised(raw)


@functools.lru_cache(maxsize=4096)
def _normalised(raw: str) -> str:
    try:
        address = ipaddress.ip_address(raw)
    except ValueError:
        return "unknown"
    if address.version == 6:
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


def per_ip(scope: str, request: HttpRequest) -> Limit:
    """The per-address limit of a public endpoint group (``answer``, ``widget-event`` …)."""
    return Limit(f"{scope}:ip:{client_ip(request)}", int(getattr(settings, "RATE_LIMIT_PER_IP", 120)))


def per_token(scope: str, token: str) -> Limit:
    """The per-link limit: an invitation token, an anonymous submission or a widget visitor."""
    return Limit(f"{scope}:token:{token[:120]}", int(getattr(settings, "RATE_LIMIT_PER_TOKEN", 30)))


def check_rate(*limits: Limit, now: float | None = None) -> None:
    """Count one request against each limit; raise ``RateLimited`` if any is now over its allowance."""
    if not limits:
        return
    moment = time.time() if now is None else now
    window = int(moment) // WINDOW_SECONDS * WINDOW_SECONDS
    quote = connection.ops.quote_name
    table, key, start, count = (quote(name) for name in (RateLimit._meta.db_table, "key", "window_start", "count"))
    rows = ", ".join(["(%s, %s, 1)"] * len(limits))
    params: list[str | int] = []
    for limit in limits:
        params += [limit.key, window]
    # Only quoted identifiers are interpolated; every value is a parameter.
    sql = (
        f"INSERT INTO {table} ({key}, {start}, {count}) VALUES {rows} "  # noqa: S608
        f"ON CONFLICT ({key}) DO UPDATE SET "
        f"{count} = CASE WHEN {table}.{start} = excluded.{start} THEN {table}.{count} + 1 ELSE 1 END, "
        f"{start} = excluded.{start} RETURNING {key}, {count}"
    )
    # No savepoint: inside a caller's transaction the count shares its commit (one write lock per request).
    # If the caller then fails, the count is rolled back with it, which still keeps an over-limit key limited.
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        cursor.execute(sql, params)
        counts = dict(cursor.fetchall())
        if random.random() < PRUNE_PROBABILITY:
            RateLimit.objects.filter(window_start__lt=window).delete()
    if any(counts.get(limit.key, 0) > limit.allowed for limit in limits):
        raise RateLimited(retry_after=window + WINDOW_SECONDS - int(moment))
