from django.urls import path

from harken.dashboards import views

app_name = "dashboards"

urlpatterns = [
    path("", views.overview, name="overview"),
]
