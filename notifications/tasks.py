"""Celery task that sends a stored email: a thin adapter with bounded retries."""

from __future__ import annotations

from celery import shared_task

from portal.tasks import RETRY


@shared_task(bind=True, **RETRY)
def send_notification(self, notification_id: int) -> bool:
    from notifications.services import notification_send

    return notification_send(notification_id=notification_id)
