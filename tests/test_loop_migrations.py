"""Migration 0003 maps the old fixed root causes and free-text action themes to themes by name."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("loop", "0002_themes_recognition_email"), ("text", "0001_initial")]
AFTER = [("loop", "0003_root_causes_to_themes")]


@pytest.mark.django_db(transaction=True)
def test_old_root_causes_become_themes_matched_by_name_or_created() -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    apps = executor.loader.project_state(BEFORE).apps
    # Units, surveys and responses from the current models: other apps' tables are at their latest state.
    from harken.collect.models import Response
    from harken.org.models import Unit
    from harken.surveys.models import Survey

    Case = apps.get_model("loop", "Case")
    Action = apps.get_model("loop", "Action")
    Theme = apps.get_model("text", "Theme")
    unit = Unit.objects.create(name="Store")
    survey = Survey.objects.create(name="S", slug="s")
    price = Theme.objects.create(name="Price")  # an existing theme named like an old value
    waiting = Theme.objects.create(name="Waiting")
    Theme.objects.create(name="Queue", parent=waiting)
    values = ["price", "delivery", "delivery", "staff", ""]
    for value in values:
        response = Response.objects.create(survey=survey, unit=unit, score=2)
        Case.objects.create(response_id=response.pk, unit_id=unit.pk, title="t", root_cause_name=value)
    Action.objects.create(name="Queue busting", theme_name="queue", started_on=dt.date(2026, 1, 1))
    Action.objects.create(name="Training", theme_name="Complaint handling", started_on=dt.date(2026, 1, 1))

    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)
    apps = executor.loader.project_state(AFTER).apps
    Case = apps.get_model("loop", "Case")
    Action = apps.get_model("loop", "Action")
    Theme = apps.get_model("text", "Theme")
    causes = list(Case.objects.order_by("pk").values_list("root_cause_name", "root_cause__name"))
    assert causes == [
        ("price", "Price"),
        ("delivery", "Delivery or logistics"),
        ("delivery", "Delivery or logistics"),
        ("staff", "Staff behaviour"),
        ("", None),
    ]
    assert Case.objects.get(root_cause_name="price").root_cause_id == price.pk
    assert dict(Action.objects.values_list("name", "theme__name")) == {
        "Queue busting": "Queue",
        "Training": "Complaint handling",
    }
    created = Theme.objects.filter(description="Created from a former root cause.").values_list("name", flat=True)
    assert sorted(created) == ["Complaint handling", "Delivery or logistics", "Staff behaviour"]
    ThemeLink = apps.get_model("text", "ThemeLink")
    assert ThemeLink.objects.filter(ancestor__name="Staff behaviour", descendant__name="Staff behaviour").exists()
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())  # leave the database as the other tests expect
