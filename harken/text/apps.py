from django.apps import AppConfig


class TextConfig(AppConfig):
    name = "harken.text"
    label = "text"

    def ready(self) -> None:
        """Analyse each comment in the worker when a response is saved with one (see ``harken.text.signals``);
        keep the comment search index installed after every migration (see ``harken.text.search``)."""
        from django.db.models.signals import post_migrate, post_save

        from harken.collect.models import Response
        from harken.text import search, signals

        post_save.connect(signals.response_saved, sender=Response, dispatch_uid="harken_text_response_saved")
        post_migrate.connect(search.ensure, sender=self, dispatch_uid="harken_text_search_ensure")
