"""``harken worker``: run background tasks (emails, webhooks, schedules) from the database queue."""

from __future__ import annotations

from django_tasks_db.management.commands.db_worker import Command as DatabaseWorkerCommand


class Command(DatabaseWorkerCommand):
    help = (
        "Run a background task worker. It takes tasks from the database queue (email invitations, "
        "reminders, webhooks, digests) and runs them; start as many as you need — two workers never take "
        "the same task. 'harken serve' already starts one, so single-machine installs need not run this."
    )
