"""``harken file_answers``: file the answers received by the widget endpoint as responses, continuously."""

from __future__ import annotations

import signal
import threading
from typing import Any

from harken.collect import intake
from harken.management.base import HarkenCommand


class Command(HarkenCommand):
    help = (
        "File widget answers as responses as they arrive, in batches (harken/collect/intake.py). 'harken serve' "
        "runs one; run one yourself only beside web servers started another way. Stop it with Ctrl+C."
    )

    requires_system_checks = []

    def handle(self, *args: Any, **options: Any) -> None:
        stop = threading.Event()
        for number in (signal.SIGINT, signal.SIGTERM):
            signal.signal(number, lambda *_: stop.set())
        intake.run_filer(stop)
        # Whatever arrived in the last moment is filed before leaving.
        intake.file_waiting(budget=5.0)
