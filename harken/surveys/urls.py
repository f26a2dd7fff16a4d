"""The survey editor (administrators and managers)."""

from django.urls import path

from harken.surveys import views

app_name = "surveys"

urlpatterns = [
    path("surveys/", views.survey_list, name="list"),
    path("surveys/<int:pk>/", views.editor, name="editor"),
    path("surveys/<int:pk>/preview/", views.preview, name="preview"),
]
