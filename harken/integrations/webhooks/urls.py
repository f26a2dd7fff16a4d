"""Webhook endpoint management pages."""

from django.urls import path

from harken.integrations.webhooks import views

app_name = "webhooks"

urlpatterns = [
    path("webhooks/", views.webhooks, name="list"),
    path("webhooks/new/", views.webhook_new, name="new"),
    path("webhooks/<int:hook_id>/", views.webhook_detail, name="detail"),
    path("webhooks/<int:hook_id>/edit/", views.webhook_edit, name="edit"),
    path("webhooks/<int:hook_id>/rotate/", views.webhook_rotate, name="rotate"),
    path("webhooks/deliveries/<int:delivery_id>/redeliver/", views.delivery_redeliver, name="redeliver"),
]
