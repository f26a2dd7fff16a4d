from django.apps import AppConfig


class CollectConfig(AppConfig):
    name = "harken.collect"
    label = "collect"

    def ready(self) -> None:
        """Forget remembered widget lookups when a widget or survey changes (see ``widget._lookup``)."""
        from django.db.models.signals import post_delete, post_save

        from harken.collect import widget
        from harken.collect.models import Widget
        from harken.surveys.models import Survey

        for model in (Widget, Survey):
            for signal in (post_save, post_delete):
                signal.connect(widget.forget_widgets, sender=model, dispatch_uid=f"collect_forget_{model.__name__}")
