from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from harken.api.keys import do_revoke_key
from harken.api.models import ApiKey


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    """Keys are made by their owners (API or `harken apikey`); here they can be seen and revoked."""

    list_display = ["prefix", "name", "user", "scope", "created_at", "last_used_at", "revoked_at"]
    list_filter = ["scope"]
    search_fields = ["prefix", "name", "user__username"]
    readonly_fields = ["user", "name", "prefix", "scope", "created_at", "last_used_at", "revoked_at"]
    exclude = ["hashed_secret"]
    actions = ["revoke"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description="Revoke the selected keys")
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiKey]) -> None:
        for key in queryset:
            do_revoke_key(key)
