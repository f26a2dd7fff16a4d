"""Staff pages about contacts."""

from django.urls import path

from harken.contacts import views

app_name = "contacts"

urlpatterns = [
    path("contacts/import/", views.import_contacts, name="import"),
    path("contacts/<int:contact_id>/", views.contact_page, name="contact"),
    path("contacts/<int:contact_id>/erase/", views.erase_contact, name="erase"),
]
