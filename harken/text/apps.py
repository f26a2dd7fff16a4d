from django.apps import AppConfig


class TextConfig(AppConfig):
    name = "harken.text"
    label = "text"

    def ready(self) -> None:
        """Analyse each comment in the worker when a response is saved with one (see ``harken.text.signals``)."""
        from django.db.models.signals import post_save

        from harken.collect.models import Response
        from harken.text import signals

        post_save.connect(signals.response_saved, sender=Response, dispatch_uid="harken_text_response_saved")
