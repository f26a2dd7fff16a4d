"""Public survey addresses (no login) and the staff pages for QR codes, kiosks and widgets."""

from django.urls import path

from harken.collect import qr, views, widget

app_name = "collect"

urlpatterns = [
    path("s/<str:signed>/", views.invitation, name="invitation"),
    path("s/<str:signed>/thanks/", views.invitation_thanks, name="invitation_thanks"),
    path("s/<str:signed>/<int:score>/", views.one_click, name="one_click"),
    path("a/<str:key>/", views.anonymous, name="anonymous"),
    path("a/<str:key>/thanks/", views.anonymous_thanks, name="anonymous_thanks"),
    path("a/<str:key>/<str:submission>/", views.anonymous_details, name="anonymous_details"),
    path("k/<str:key>/", views.anonymous, {"kiosk": True}, name="kiosk"),
    path("k/<str:key>/thanks/", views.anonymous_thanks, {"kiosk": True}, name="kiosk_thanks"),
    path("k/<str:key>/<str:submission>/", views.anonymous_details, {"kiosk": True}, name="kiosk_details"),
    path("w/<str:key>/config", widget.config, name="widget_config"),
    path("w/<str:key>/event", widget.event, name="widget_event"),
    path("w/<str:key>/answer", widget.answer, name="widget_answer"),
    path("collect/", qr.links_page, name="links"),
    path("collect/qr/<int:survey_id>/<int:unit_id>.<str:fmt>", qr.qr_code, name="qr"),
    path("collect/poster/<int:survey_id>/<int:unit_id>/", qr.poster, name="poster"),
]
