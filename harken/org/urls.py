"""Single sign-on through OpenID Connect (only answers when it is configured)."""

from django.urls import path

from harken.org import views

app_name = "org"

urlpatterns = [
    path("login/sso/", views.sso_start, name="sso_start"),
    path("login/sso/callback/", views.sso_callback, name="sso_callback"),
]
