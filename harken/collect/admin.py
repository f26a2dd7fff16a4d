from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.templatetags.static import static

from harken.collect.links import absolute
from harken.collect.models import LinkClick, ReceivedAnswer, Response, Widget


@admin.register(Response)
class ResponseAdmin(admin.ModelAdmin):
    list_display = ["submitted_at", "score", "category", "survey", "unit", "touchpoint", "channel", "short_comment"]
    list_filter = ["category", "channel", "language", "survey", "touchpoint", "unit__kind"]
    search_fields = ["comment", "contact__email", "contact__name", "unit__name", "external_id"]
    autocomplete_fields = ["contact", "unit", "employee", "invitation"]
    readonly_fields = ["category", "created_at", "updated_at"]
    date_hierarchy = "submitted_at"
    list_select_related = ["survey", "unit", "touchpoint"]
    show_full_result_count = False  # counting millions of rows on every page is slow

    @admin.display(description="Comment")
    def short_comment(self, obj: Response) -> str:
        return obj.comment[:80] + ("…" if len(obj.comment) > 80 else "")


@admin.register(Widget)
class WidgetAdmin(admin.ModelAdmin):
    list_display = ["name", "survey", "unit", "is_active", "sample_percent", "snooze_days"]
    list_filter = ["is_active", "survey"]
    autocomplete_fields = ["unit"]
    readonly_fields = ["key", "snippet"]

    @admin.display(description="Embed code")
    def snippet(self, obj: Widget) -> str:
        if not obj.pk:
            return "Save the widget to get its embed code."
        return f'<script src="{absolute(static("collect/widget.js"))}" data-survey="{obj.key}" async></script>'


@admin.register(LinkClick)
class LinkClickAdmin(admin.ModelAdmin):
    """Openings of email score links, read-only: which were recorded and which were a scanner's."""

    list_display = ["clicked_at", "invitation", "score", "previous_score", "verdict"]
    list_filter = ["verdict"]
    date_hierarchy = "clicked_at"
    list_select_related = ["invitation__survey", "invitation__contact"]
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(ReceivedAnswer)
class ReceivedAnswerAdmin(admin.ModelAdmin):
    """Widget answers not filed yet: normally none for more than a moment; one that could not be filed (its survey
    was deleted, say) stays here with the reason."""

    list_display = ["received_at", "score", "attempts", "last_error"]
    list_filter = ["attempts"]
    search_fields = ["submission_key", "last_error"]
    readonly_fields = [field.name for field in ReceivedAnswer._meta.fields]
    actions = ["file_again"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description="File the selected answers again")
    def file_again(self, request: HttpRequest, queryset: QuerySet[ReceivedAnswer]) -> None:
        """Give answers that were given up on new tries (after restoring a deleted survey, say)."""
        count = queryset.update(attempts=0, last_error="")
        self.message_user(request, f"{count} answer(s) will be filed again within a few seconds.")
