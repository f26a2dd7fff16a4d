"""Admin pages for webhook endpoints and their delivery log, with manual redelivery."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from harken.integrations.webhooks.delivery import do_redeliver
from harken.integrations.webhooks.models import Delivery, Webhook


@admin.register(Webhook)
class WebhookAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "url", "is_active", "unit"]
    list_filter = ["kind", "is_active"]


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ["created_at", "webhook", "event", "state", "attempts", "last_status", "last_error"]
    list_filter = ["state", "event", "webhook"]
    readonly_fields = [field.name for field in Delivery._meta.get_fields() if field.concrete]
    actions = ["redeliver"]

    @admin.action(description="Deliver the selected events again")
    def redeliver(self, request: HttpRequest, queryset: QuerySet[Delivery]) -> None:
        count = sum(do_redeliver(delivery.pk) for delivery in queryset)
        self.message_user(request, f"{count} queued again (queued or sending ones were left alone).", messages.INFO)
