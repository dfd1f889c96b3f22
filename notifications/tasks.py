"""Celery tasks of emails: thin adapters with bounded retries."""

from __future__ import annotations

from celery import shared_task

from portal.tasks import RETRY


@shared_task(bind=True, **RETRY)
def send_notification(self, notification_id: int) -> bool:
    from notifications.services import notification_send

    return notification_send(notification_id=notification_id)


@shared_task(bind=True, **RETRY)
def send_digests(self) -> int:
    """Periodic (PORTAL_PERIODIC_TASKS "send-digests", daily): each held email in a digest."""
    from notifications.services import notifications_digest_send

    return notifications_digest_send()
