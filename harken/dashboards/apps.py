from django.apps import AppConfig


class DashboardsConfig(AppConfig):
    name = "harken.dashboards"
    label = "dashboards"
