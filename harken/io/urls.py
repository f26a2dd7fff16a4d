"""The Import and Export pages."""

from django.urls import path

from harken.io import views

app_name = "io"

urlpatterns = [
    path("import/", views.import_page, name="import"),
    path("export/", views.export_page, name="export"),
]
