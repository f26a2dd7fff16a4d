"""Digest pages."""

from django.urls import path

from harken.reports.digests import views

app_name = "digests"

urlpatterns = [
    path("digests/", views.my_digests, name="mine"),
    path("digests/manage/", views.manage, name="manage"),
    path("digests/<int:subscription_id>/change/", views.change, name="change"),
    path("digests/<int:subscription_id>/preview/", views.preview, name="preview"),
    path("digests/unsubscribe/<str:key>/", views.unsubscribe, name="unsubscribe"),
]
