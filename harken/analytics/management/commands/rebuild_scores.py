"""``harken rebuild_scores``: recount the monthly score-count table from the responses."""

from __future__ import annotations

import time
from typing import Any

from harken.analytics import cube
from harken.analytics.models import ScoreCount
from harken.management.base import HarkenCommand


class Command(HarkenCommand):
    help = (
        "Recount the monthly score-count table that keeps dashboards fast, from every scored response, and "
        "reinstall the triggers that keep it exact. `harken migrate` does this by itself when TIME_ZONE "
        "changed; run it after restoring a database from a dump taken without triggers."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.perf_counter()
        cube.rebuild()
        cells = ScoreCount.objects.count()
        self.stdout.write(f"Rebuilt {cells:,} score-count rows in {time.perf_counter() - started:.1f} s.")
