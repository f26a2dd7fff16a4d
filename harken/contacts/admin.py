from django.contrib import admin

from harken.contacts.models import Contact


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    list_display = ["name", "email", "phone", "language", "home_unit", "email_consent", "last_surveyed_at"]
    list_filter = ["language", "email_consent", "sms_consent", "home_unit__kind"]
    search_fields = ["name", "email", "phone", "external_id"]
    autocomplete_fields = ["home_unit"]
    date_hierarchy = "created_at"
