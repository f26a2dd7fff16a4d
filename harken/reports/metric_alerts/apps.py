from django.apps import AppConfig


class MetricAlertsConfig(AppConfig):
    name = "harken.reports.metric_alerts"
    label = "metric_alerts"
    verbose_name = "Metric alerts"
