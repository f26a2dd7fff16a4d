"""Public addresses of sending: the unsubscribe page, short SMS links, tracked links and the open pixel, the SMS
reply webhook; and the staff page of response rates."""

from django.urls import path

from harken.distribution import views

app_name = "distribution"

urlpatterns = [
    path("u/<str:key>/", views.unsubscribe, name="unsubscribe"),
    path("i/<str:token>/", views.short_link, name="short"),
    path("sms/inbound", views.sms_inbound, name="sms_inbound"),
    path("t/<str:signed>/open.gif", views.open_pixel, name="open"),
    path("t/<str:signed>/<str:target>/", views.click, name="click"),
    path("sending/rates/", views.rates_page, name="rates"),
]
