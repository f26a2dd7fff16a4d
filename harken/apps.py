from django.apps import AppConfig


class HarkenConfig(AppConfig):
    name = "harken"
    label = "harken"
    verbose_name = "Harken"
