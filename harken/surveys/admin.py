from django.contrib import admin

from harken.surveys.models import Question, Survey, Touchpoint


@admin.register(Touchpoint)
class TouchpointAdmin(admin.ModelAdmin):
    list_display = ["name", "position", "slug"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


class QuestionInline(admin.StackedInline):
    model = Question
    extra = 0
    fields = [
        "key",
        "kind",
        "text",
        "driver",
        "choices",
        "audience",
        "position",
        "required",
        "is_active",
        "translations",
    ]


@admin.register(Survey)
class SurveyAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "touchpoint", "default_language", "is_active", "created_at"]
    list_filter = ["kind", "is_active", "touchpoint", "default_language"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [QuestionInline]


@admin.register(Question)
class QuestionAdmin(admin.ModelAdmin):
    list_display = ["text", "survey", "key", "kind", "audience", "position", "is_active"]
    list_filter = ["kind", "audience", "is_active", "survey"]
    search_fields = ["text", "key", "driver"]
