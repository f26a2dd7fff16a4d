from django.contrib import admin

from harken.distribution.models import Invitation


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ["survey", "contact", "channel", "unit", "status", "scheduled_at", "sent_at", "answered_at"]
    list_filter = ["status", "channel", "survey", "touchpoint"]
    search_fields = ["contact__email", "contact__name", "token", "unit__name"]
    autocomplete_fields = ["contact", "unit", "employee"]
    readonly_fields = ["token", "created_at"]
    date_hierarchy = "scheduled_at"
    list_select_related = ["survey", "contact", "unit"]
