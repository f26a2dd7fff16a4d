from django.apps import AppConfig


class OrgConfig(AppConfig):
    name = "harken.org"
    label = "org"
    verbose_name = "Organisation"

    def ready(self) -> None:
        from harken.org import audit  # noqa: F401  (connects the audit log's signal receivers)
