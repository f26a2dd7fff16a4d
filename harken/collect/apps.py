from django.apps import AppConfig


class CollectConfig(AppConfig):
    name = "harken.collect"
    label = "collect"
