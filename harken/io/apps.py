from django.apps import AppConfig


class IoConfig(AppConfig):
    name = "harken.io"
    label = "io"
    verbose_name = "Imports and exports"
