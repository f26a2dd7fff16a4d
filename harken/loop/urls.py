"""Case pages."""

from django.urls import path

from harken.loop import views

app_name = "loop"

urlpatterns = [
    path("cases/", views.inbox, name="inbox"),
    path("cases/<int:case_id>/", views.case_page, name="case"),
    path("cases/<int:case_id>/status/", views.change_status, name="status"),
    path("cases/<int:case_id>/note/", views.add_note, name="note"),
    path("actions/", views.actions, name="actions"),
]
