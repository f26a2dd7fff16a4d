"""Themes are edited in the admin; saving a theme whose rules changed re-tags history in the background."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from harken.text.models import CommentAnalysis, Theme
from harken.text.tagging import do_rebuild_links, do_save_theme


@admin.register(Theme)
class ThemeAdmin(admin.ModelAdmin):
    list_display = ["__str__", "is_active", "count_negated", "rules_version", "updated_at"]
    list_filter = ["is_active", "parent"]
    search_fields = ["name", "any_of", "all_of"]
    readonly_fields = ["rules_version"]

    def save_model(self, request: HttpRequest, obj: Theme, form: Any, change: bool) -> None:
        do_save_theme(obj)

    def delete_model(self, request: HttpRequest, obj: Theme) -> None:
        super().delete_model(request, obj)
        do_rebuild_links()

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        super().delete_queryset(request, queryset)
        do_rebuild_links()


@admin.register(CommentAnalysis)
class CommentAnalysisAdmin(admin.ModelAdmin):
    list_display = ["response", "sentiment_label", "sentiment_score", "analysed_at"]
    list_filter = ["sentiment_label"]
    raw_id_fields = ["response"]
