from django.apps import AppConfig


class OrgConfig(AppConfig):
    name = "harken.org"
    label = "org"
    verbose_name = "Organisation"
