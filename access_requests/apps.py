from django.apps import AppConfig


class AccessRequestsConfig(AppConfig):
    name = "access_requests"
    verbose_name = "Applications"

    def ready(self) -> None:
        from . import signals  # noqa: F401  (invalidates the cached signed-in lists)
