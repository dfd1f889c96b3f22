from __future__ import annotations

from django.apps import AppConfig
from django.db.models.signals import post_migrate


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = "Portal"

    def ready(self) -> None:
        post_migrate.connect(_create_missing_periodic_tasks, sender=self)
        from allauth.account.signals import user_logged_in

        from portal.languages import on_user_logged_in

        user_logged_in.connect(on_user_logged_in, dispatch_uid="portal.languages.user_logged_in")


def _create_missing_periodic_tasks(*, using: str = "default", **kwargs) -> None:
    """Create the portal's missing periodic jobs; leave existing ones as admins set them."""
    from django.conf import settings
    from django_celery_beat.models import IntervalSchedule, PeriodicTask

    for name, job in settings.PORTAL_PERIODIC_TASKS.items():
        if PeriodicTask.objects.using(using).filter(name=name).exists():
            continue
        every, _ = IntervalSchedule.objects.using(using).get_or_create(
            every=job["every_seconds"], period=IntervalSchedule.SECONDS
        )
        PeriodicTask.objects.using(using).create(name=name, task=job["task"], interval=every)
