from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "harken.integrations"
    label = "integrations"
    verbose_name = "Integrations"
