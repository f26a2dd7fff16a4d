"""The demo app exists only so that Django finds the ``demo`` management command."""

from __future__ import annotations

from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "harken.demo"
    label = "demo"
    verbose_name = "Demo company"
