"""Theme pages under /themes/."""

from django.urls import path

from harken.text import views

app_name = "text"
urlpatterns = [
    path("themes/", views.themes, name="themes"),
    path("themes/discover/", views.discover, name="discover"),
    path("themes/drivers/", views.key_drivers, name="drivers"),
    path("themes/search/", views.search, name="search"),
    path("themes/discover/create/", views.create_from_suggestion, name="create"),
    path("themes/<int:theme_id>/", views.theme, name="theme"),
    path("themes/<int:theme_id>/preview/", views.preview, name="preview"),
    path("themes/responses/<int:response_id>/", views.correct, name="correct"),
]
