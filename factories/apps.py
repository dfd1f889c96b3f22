from django.apps import AppConfig


class FactoriesConfig(AppConfig):
    name = "factories"
    verbose_name = "Catalogue"

    def ready(self) -> None:
        from . import signals  # noqa: F401  (cache invalidation on catalogue edits)
