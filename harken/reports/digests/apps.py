from django.apps import AppConfig


class DigestsConfig(AppConfig):
    name = "harken.reports.digests"
    label = "digests"
    verbose_name = "Digests"
