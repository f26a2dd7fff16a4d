from django.apps import AppConfig


class LoopConfig(AppConfig):
    name = "harken.loop"
    label = "loop"
    verbose_name = "Close the loop"

    def ready(self) -> None:
        """Queue the alert rules of each newly created response (see ``harken.loop.signals``)."""
        from harken.loop import signals

        signals.connect()
