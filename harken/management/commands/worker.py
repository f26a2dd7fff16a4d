"""``harken worker``: run background tasks (emails, webhooks, schedules) from the database queue."""

from __future__ import annotations

from typing import Any

from django_tasks_db.management.commands.db_worker import Command as DatabaseWorkerCommand

from harken import heartbeat


class Command(DatabaseWorkerCommand):
    help = (
        "Run a background task worker. It takes tasks from the database queue (email invitations, "
        "reminders, webhooks, digests, escalations) and runs them; start as many as you need — two workers never "
        "take the same task. 'harken serve' already starts one, so single-machine installs need not run this."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        # Periodic work lives in heartbeat tasks that queue their own next run; make sure each one is queued.
        heartbeat.ensure_all()
        super().handle(*args, **options)
