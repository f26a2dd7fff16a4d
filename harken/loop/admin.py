"""Admin pages for alert rules and cases."""

from django.contrib import admin

from harken.loop.models import Action, AlertRule, Case, CaseEvent, LoopEmail, Milestone, Shoutout


@admin.register(AlertRule)
class AlertRuleAdmin(admin.ModelAdmin):
    list_display = ["name", "is_active", "unit", "survey", "touchpoint", "open_case", "priority", "sla_hours"]
    list_filter = ["is_active", "open_case", "priority"]
    search_fields = ["name", "keywords"]


class CaseEventInline(admin.TabularInline):
    model = CaseEvent
    extra = 0
    readonly_fields = ["created_at", "actor", "kind", "text"]


@admin.register(Case)
class CaseAdmin(admin.ModelAdmin):
    list_display = ["pk", "title", "unit", "owner", "status", "priority", "due_at"]
    list_filter = ["status", "priority"]
    search_fields = ["title"]
    raw_id_fields = ["response", "owner", "unit", "rule"]
    inlines = [CaseEventInline]


class MilestoneInline(admin.TabularInline):
    model = Milestone
    extra = 1


@admin.register(Action)
class ActionAdmin(admin.ModelAdmin):
    list_display = ["name", "theme", "owner", "state", "started_on", "window_days"]
    list_filter = ["state"]
    filter_horizontal = ["units"]
    inlines = [MilestoneInline]


@admin.register(Shoutout)
class ShoutoutAdmin(admin.ModelAdmin):
    list_display = ["pk", "employee", "unit", "mention", "created_at"]
    raw_id_fields = ["response", "rule", "employee", "unit"]


@admin.register(LoopEmail)
class LoopEmailAdmin(admin.ModelAdmin):
    list_display = ["pk", "subject", "state", "attempts", "case", "shoutout", "sent_at"]
    list_filter = ["state"]
    readonly_fields = ["case", "shoutout", "sender", "to", "reply_to", "subject", "body", "attempts", "sent_at"]
