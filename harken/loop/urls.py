"""Case pages, improvement actions and alert-rule management."""

from django.urls import path

from harken.loop import rule_views, views

app_name = "loop"

urlpatterns = [
    path("cases/", views.inbox, name="inbox"),
    path("cases/<int:case_id>/", views.case_page, name="case"),
    path("cases/<int:case_id>/status/", views.change_status, name="status"),
    path("cases/<int:case_id>/note/", views.add_note, name="note"),
    path("cases/<int:case_id>/email/", views.email_customer, name="email"),
    path("actions/", views.actions, name="actions"),
    path("alert-rules/", rule_views.rules, name="rules"),
    path("alert-rules/new/", rule_views.rule_new, name="rule_new"),
    path("alert-rules/<int:rule_id>/", rule_views.rule_edit, name="rule_edit"),
    path("alert-rules/<int:rule_id>/toggle/", rule_views.rule_toggle, name="rule_toggle"),
    path("alert-rules/<int:rule_id>/try/", rule_views.rule_test, name="rule_test"),
]
