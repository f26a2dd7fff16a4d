"""``harken rebuild_scores``: recount the score-count tables from the responses."""

from __future__ import annotations

import time
from typing import Any

from django.db import connection

from harken.analytics import cube
from harken.management.base import HarkenCommand


class Command(HarkenCommand):
    help = (
        "Recount the score-count tables that keep dashboards fast (per month and per day, by unit, touchpoint, "
        "survey, channel and language), from every scored response, and reinstall the triggers that keep them exact. "
        "`harken migrate` does this by itself when TIME_ZONE changed; run it after restoring a database from a "
        "dump taken without triggers."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.perf_counter()
        cube.rebuild()
        with connection.cursor() as cursor:
            sizes = []
            for table in cube.TABLES:
                cursor.execute(f"SELECT count(*) FROM {table.name}")  # noqa: S608 (constant names)
                sizes.append(f"{cursor.fetchone()[0]:,} per {' × '.join(table.key).replace('_id', '')}")
        self.stdout.write(
            f"Rebuilt the score-count rows ({'; '.join(sizes)}) in {time.perf_counter() - started:.1f} s."
        )
