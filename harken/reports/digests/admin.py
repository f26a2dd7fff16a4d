"""Digest subscriptions and the send log in the Django admin (the pages at /digests/ are the main way in)."""

from django.contrib import admin

from harken.reports.digests.models import DigestSend, Subscription


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    list_display = ["__str__", "frequency", "time_zone", "send_hour", "is_active", "next_run_at"]
    list_filter = ["frequency", "is_active"]
    filter_horizontal = ["units"]
    readonly_fields = ["next_period_start", "next_run_at", "created_at"]


@admin.register(DigestSend)
class DigestSendAdmin(admin.ModelAdmin):
    list_display = ["subscription", "period_start", "period_end", "status", "responses", "sent_at", "note"]
    list_filter = ["status"]
    readonly_fields = [field.name for field in DigestSend._meta.fields]
