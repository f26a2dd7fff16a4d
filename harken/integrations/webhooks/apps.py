from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "harken.integrations.webhooks"
    label = "webhooks"
    verbose_name = "Webhooks"
