from django.apps import AppConfig


class AccessRequestsConfig(AppConfig):
    name = "access_requests"
    verbose_name = "Applications"

    def ready(self) -> None:
        from . import signals

        signals.connect()  # invalidates the cached signed-in lists
