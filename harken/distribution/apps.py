from django.apps import AppConfig


class DistributionConfig(AppConfig):
    name = "harken.distribution"
    label = "distribution"
