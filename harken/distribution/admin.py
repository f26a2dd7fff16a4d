from django.contrib import admin

from harken.distribution.models import EligibilityEntry, FatigueRule, Invitation, JourneyTrigger, SurveyTracking, Wave


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = [
        "survey",
        "contact",
        "channel",
        "unit",
        "status",
        "attempts",
        "scheduled_at",
        "sent_at",
        "delivered_at",
        "clicked_at",
        "answered_at",
        "bounce",
        "last_error",
    ]
    list_filter = ["status", "channel", "bounce", "survey", "touchpoint"]
    search_fields = ["contact__email", "contact__name", "token", "unit__name"]
    autocomplete_fields = ["contact", "unit", "employee"]
    readonly_fields = ["token", "created_at"]
    date_hierarchy = "scheduled_at"
    list_select_related = ["survey", "contact", "unit"]


@admin.register(FatigueRule)
class FatigueRuleAdmin(admin.ModelAdmin):
    list_display = ["attribute", "value", "days"]
    search_fields = ["attribute", "value"]


@admin.register(EligibilityEntry)
class EligibilityEntryAdmin(admin.ModelAdmin):
    list_display = ["contact", "survey", "channel", "reason", "next_eligible_at", "decided_at"]
    list_filter = ["reason", "channel", "survey"]
    search_fields = ["contact__email", "contact__name"]
    raw_id_fields = ["contact", "invitation"]
    list_select_related = ["contact", "survey"]


@admin.register(JourneyTrigger)
class JourneyTriggerAdmin(admin.ModelAdmin):
    list_display = ["touchpoint", "survey", "delay_minutes", "channel", "is_active"]
    list_filter = ["is_active", "channel"]


@admin.register(Wave)
class WaveAdmin(admin.ModelAdmin):
    list_display = ["name", "survey", "unit", "every_days", "sample_percent", "spread_days", "next_run_at", "is_active"]
    list_filter = ["is_active", "survey"]


@admin.register(SurveyTracking)
class SurveyTrackingAdmin(admin.ModelAdmin):
    list_display = ["survey", "open_pixel"]
