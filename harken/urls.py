"""URL routes of the whole project."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path

from harken.api import api

admin.site.site_header = "Harken administration"
admin.site.site_title = "Harken"

urlpatterns = [
    path("", include("harken.dashboards.urls")),
    path("", include("harken.collect.urls")),  # public survey pages (s/, a/, k/, w/) and collect/ for staff
    path("", include("harken.distribution.urls")),  # public: unsubscribe (u/), SMS short links (i/), sms/inbound
    path("", include("harken.contacts.urls")),  # contacts/import/ and contacts/<id>/ for staff
    path("", include("harken.text.urls")),  # themes/: comment themes, their impact on NPS, discovery
    path("", include("harken.loop.urls")),  # cases/ inbox and case pages
    path("", include("harken.integrations.webhooks.urls")),  # webhooks/: endpoints, secrets, delivery log
    path("", include("harken.io.urls")),  # import/ (staff) and export/ pages
    path("", include("harken.surveys.urls")),  # surveys/: the survey editor (administrators and managers)
    path("", include("harken.reports.digests.urls")),  # digests/: my digests, admins' page, public unsubscribe
    path("", include("harken.reports.metric_alerts.urls")),  # metric-alerts/: rules on aggregates, history
    path("", include("harken.org.urls")),  # login/sso/: single sign-on through OpenID Connect, when configured
    path("", include("harken.reports.urls")),  # reports/: executive report, schedules, wall links; wall/ (public)
    path(
        "login/",
        login_not_required(auth_views.LoginView.as_view(redirect_authenticated_user=True)),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
]
