"""Public addresses of sending: the unsubscribe page, short SMS links and the SMS reply webhook."""

from django.urls import path

from harken.distribution import views

app_name = "distribution"

urlpatterns = [
    path("u/<str:key>/", views.unsubscribe, name="unsubscribe"),
    path("i/<str:token>/", views.short_link, name="short"),
    path("sms/inbound", views.sms_inbound, name="sms_inbound"),
]
