"""Goals and benchmarks in the admin."""

from django.contrib import admin

from harken.dashboards.models import Benchmark, Goal


@admin.register(Goal)
class GoalAdmin(admin.ModelAdmin):
    list_display = ("unit", "start", "end", "target", "note", "created_by")
    list_filter = ("start",)
    search_fields = ("unit__name", "note")
    autocomplete_fields = ("unit",)
    readonly_fields = ("created_by", "created_at")

    def save_model(self, request, obj, form, change):  # type: ignore[no-untyped-def]
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(Benchmark)
class BenchmarkAdmin(admin.ModelAdmin):
    list_display = ("name", "value", "touchpoint", "source", "is_active")
    list_filter = ("is_active", "touchpoint")
