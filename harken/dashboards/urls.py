from django.urls import path

from harken.dashboards import views

app_name = "dashboards"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("units/", views.units, name="units"),
    path("my-unit/", views.my_unit, name="my_unit"),
    path("goals/", views.goals, name="goals"),
    path("loop/", views.loop, name="loop"),
    path("export/<slug:panel>.<str:fmt>", views.export, name="export"),
]
