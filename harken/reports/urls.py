"""Report pages (staff) and the public wall screen (``wall/<signed link>/``, no login)."""

from django.urls import path

from harken.reports import views

app_name = "reports"

urlpatterns = [
    path("reports/", views.report, name="executive"),
    path("reports/report.pdf", views.report_pdf, name="executive_pdf"),
    path("reports/schedules/", views.schedules, name="schedules"),
    path("reports/schedules/<int:schedule_id>/", views.schedules, name="schedule"),
    path("reports/schedules/<int:schedule_id>/send/", views.schedule_send, name="schedule_send"),
    path("reports/walls/", views.wall_links, name="walls"),
    path("reports/walls/<int:link_id>/revoke/", views.wall_revoke, name="wall_revoke"),
    path("wall/<str:signed>/", views.wall, name="wall"),
]
