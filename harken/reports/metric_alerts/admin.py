"""Metric alert rules and their history in the Django admin (the pages at /metric-alerts/ are the main way in)."""

from django.contrib import admin

from harken.reports.metric_alerts.models import MetricAlertEvent, MetricAlertRule


@admin.register(MetricAlertRule)
class MetricAlertRuleAdmin(admin.ModelAdmin):
    list_display = ["name", "unit", "kind", "state", "is_active", "last_fired_at"]
    list_filter = ["kind", "state", "is_active"]
    filter_horizontal = ["webhooks"]
    readonly_fields = ["state", "last_checked_at", "last_fired_at", "created_at"]


@admin.register(MetricAlertEvent)
class MetricAlertEventAdmin(admin.ModelAdmin):
    list_display = ["rule", "kind", "window", "at", "message"]
    list_filter = ["kind"]
    readonly_fields = [field.name for field in MetricAlertEvent._meta.fields]
