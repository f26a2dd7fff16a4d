from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "harken.analytics"
    label = "analytics"

    def ready(self) -> None:
        """Register the SQLite month function on every connection and keep the score counts in step."""
        from django.db.backends.signals import connection_created
        from django.db.models.signals import post_migrate

        from harken.analytics import cube

        connection_created.connect(cube.register_sqlite_functions, dispatch_uid="harken_cube_functions")
        post_migrate.connect(cube.ensure, sender=self, dispatch_uid="harken_cube_ensure")
