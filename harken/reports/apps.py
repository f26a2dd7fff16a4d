from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "harken.reports"
    label = "reports"
    verbose_name = "Reports"
