"""Metric alert pages."""

from django.urls import path

from harken.reports.metric_alerts import views

app_name = "metric_alerts"

urlpatterns = [
    path("metric-alerts/", views.rules, name="rules"),
    path("metric-alerts/new/", views.edit, name="new"),
    path("metric-alerts/<int:rule_id>/", views.rule_page, name="rule"),
    path("metric-alerts/<int:rule_id>/edit/", views.edit, name="edit"),
    path("metric-alerts/<int:rule_id>/evaluate/", views.evaluate, name="evaluate"),
    path("metric-alerts/<int:rule_id>/delete/", views.delete, name="delete"),
]
