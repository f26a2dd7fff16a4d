"""The incremental warehouse export: Parquet files partitioned by month, and a watermark.

Each run writes the rows changed since the last run's watermark (``updated_at``) into
``DIR/<dataset>/submitted_month=YYYY-MM/part-<run>.parquet`` (Hive-style partitions that Spark, DuckDB,
BigQuery, Snowflake and Athena read as they are), then moves the watermark in ``DIR/<dataset>/_watermark.json``.
A response changed after it was exported appears again in a later part: load by ``response_id``, keeping
the row with the latest ``updated_at``.  Files are written under temporary names and renamed at the end, so
a failed run leaves the previous state; the watermark moves last.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db.models import Max, QuerySet
from django.utils import timezone

from harken.collect.models import Response
from harken.io.exports import DATASETS, parquet_schema, rows_of

# Rows changed in the last moments may belong to transactions still open; leave them for the next run.
SETTLE = dt.timedelta(seconds=2)
WATERMARK = "_watermark.json"


@dataclass
class IncrementalReport:
    """What one run wrote."""

    dataset: str
    rows: int = 0
    files: list[Path] = field(default_factory=list)
    previous: dt.datetime | None = None
    watermark: dt.datetime | None = None


def read_watermark(directory: Path, dataset: str) -> dt.datetime | None:
    """The ``updated_at`` up to which ``dataset`` has been exported, or None before the first run."""
    path = directory / dataset / WATERMARK
    if not path.exists():
        return None
    try:
        return dt.datetime.fromisoformat(json.loads(path.read_text())["updated_at"])
    except (ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"{path} is damaged ({exc}); delete it to export everything again") from None


def do_incremental_export(
    directory: Path, dataset: str, queryset: QuerySet[Response], now: dt.datetime | None = None
) -> IncrementalReport:
    """Write what changed since the watermark, partitioned by month, then move the watermark."""
    previous = read_watermark(directory, dataset)
    report = IncrementalReport(dataset=dataset, previous=previous, watermark=previous)
    selected = queryset.filter(updated_at__lte=(now or timezone.now()) - SETTLE)
    if previous is not None:
        selected = selected.filter(updated_at__gt=previous)
    newest = selected.aggregate(newest=Max("updated_at"))["newest"]
    if newest is None:
        return report
    selected = selected.filter(updated_at__lte=newest)
    run = newest.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
    temporary = _write_partitions(directory / dataset, dataset, rows_of(dataset, selected), run, report)
    for temp, final in temporary:
        os.replace(temp, final)
        report.files.append(final)
    _write_watermark(directory / dataset, newest, report.rows)
    report.watermark = newest
    return report


def _write_partitions(
    root: Path, dataset: str, rows: Iterable[dict[str, Any]], run: str, report: IncrementalReport
) -> list[tuple[Path, Path]]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = parquet_schema(DATASETS[dataset])
    writers: dict[str, Any] = {}
    buffers: dict[str, list[dict[str, Any]]] = {}
    paths: list[tuple[Path, Path]] = []
    try:
        for row in rows:
            month = row["submitted_month"]
            if month not in writers:
                folder = root / f"submitted_month={month}"
                folder.mkdir(parents=True, exist_ok=True)
                final = folder / f"part-{run}.parquet"
                temp = folder / f".part-{run}.parquet.tmp"
                writers[month] = pq.ParquetWriter(temp, schema)
                buffers[month] = []
                paths.append((temp, final))
            buffers[month].append(row)
            report.rows += 1
            if len(buffers[month]) >= 20_000:
                writers[month].write_table(pa.Table.from_pylist(buffers[month], schema=schema))
                buffers[month] = []
        for month, writer in writers.items():
            if buffers[month]:
                writer.write_table(pa.Table.from_pylist(buffers[month], schema=schema))
    finally:
        for writer in writers.values():
            writer.close()
    return paths


def _write_watermark(folder: Path, newest: dt.datetime, rows: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    temp = folder / f".{WATERMARK}.tmp"
    body = {
        "updated_at": newest.astimezone(dt.UTC).isoformat(),
        "rows_last_run": rows,
        "exported_at": timezone.now().astimezone(dt.UTC).isoformat(),
    }
    temp.write_text(json.dumps(body, indent=2) + "\n")
    os.replace(temp, folder / WATERMARK)
