"""Emails: stored once (unique key), sent by a task after commit, in text and HTML."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from notifications import tasks as notification_tasks
from notifications.models import Notification
from portal.mail import email_context
from portal.tasks import enqueue
from reviews.models import SiteRole

User = get_user_model()

logger = logging.getLogger(__name__)


# --- Notifications -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Recipient:
    """Who an email goes to, and why: staff (superusers, ADMINS) are sent to the admin, a
    site's approvers to the site's pages (they cannot open the admin)."""

    email: str
    name: str
    staff: bool = False
    approver: bool = False


def notification_queue(
    *,
    key: str,
    recipient: str,
    template: str,
    context: dict[str, Any],
    application=None,
    recipient_name: str = "",
) -> Notification | None:
    """Store an email to send once (unique `key`) and enqueue its sending after commit."""
    built = notification_build(
        key=key,
        recipient=recipient,
        template=template,
        context=context,
        application=application,
        recipient_name=recipient_name,
    )
    values = {
        f: getattr(built, f) for f in ("recipient", "subject", "body", "html_body", "application")
    }
    notification, created = Notification.objects.get_or_create(key=built.key, defaults=values)
    if created:
        transaction.on_commit(
            lambda: enqueue(notification_tasks.send_notification, notification.pk)
        )
    return notification


def notification_build(
    *,
    key: str,
    recipient: str,
    template: str,
    context: dict[str, Any],
    application=None,
    recipient_name: str = "",
) -> Notification:
    """An email rendered from its templates (subject, text and HTML), not saved yet. The
    greeting names `recipient_name`, or the address when the person has no name."""
    context = {**email_context(), "recipient_name": recipient_name or recipient, **context}
    # One line: a title with a line break (possible through the API) would otherwise make every
    # email about the application fail (Django refuses newlines in headers).
    subject = " ".join(render_to_string(f"emails/{template}_subject.txt", context).split())
    return Notification(
        key=key[:120],
        recipient=recipient,
        subject=f"{settings.ACCOUNT_EMAIL_SUBJECT_PREFIX}{subject}"[:200],
        body=render_to_string(f"emails/{template}_body.txt", context),
        html_body=render_to_string(f"emails/{template}_body.html", context),
        application=application,
    )


def notification_send(*, notification_id: int) -> bool:
    """Send one stored email (text, and HTML when stored) unless it was sent already. Returns
    True when it sent now."""
    with transaction.atomic():
        notification = Notification.objects.select_for_update().filter(pk=notification_id).first()
        if notification is None or notification.sent_at is not None:
            return False
        notification.attempts += 1
        message = EmailMultiAlternatives(
            notification.subject,
            notification.body,
            settings.DEFAULT_FROM_EMAIL,
            [notification.recipient],
        )
        if notification.html_body:
            message.attach_alternative(notification.html_body, "text/html")
        message.send()
        notification.sent_at = timezone.now()
        notification.save(update_fields=["attempts", "sent_at"])
    return True


def _full_name(first_name: str, last_name: str) -> str:
    return f"{first_name} {last_name}".strip()  # as User.get_full_name


def user_names(user_ids) -> dict[int, str]:
    """Full names by user id (empty for a user without one): one query."""
    rows = User.objects.filter(pk__in=set(user_ids)).values_list("pk", "first_name", "last_name")
    return {pk: _full_name(first, last) for pk, first, last in rows}


def notification_recipients(
    *, staff: bool = False, approvers_of: int | None = None
) -> list[Recipient]:
    """Staff (active superusers and settings.ADMINS) and/or the active approvers of a site, one
    entry per address (someone both gets both links), sorted by address."""
    found: dict[str, Recipient] = {}

    def add(email: str, name: str, **role: bool) -> None:
        known = found.get(email)
        found[email] = Recipient(
            email=email,
            name=(known.name if known else "") or name,
            staff=role.get("staff", False) or bool(known and known.staff),
            approver=role.get("approver", False) or bool(known and known.approver),
        )

    if staff:
        for email, first, last in User.objects.filter(
            is_superuser=True, is_active=True
        ).values_list("email", "first_name", "last_name"):
            add(email, _full_name(first, last), staff=True)
        for name, email in settings.ADMINS:
            add(email, name, staff=True)
    if approvers_of is not None:
        for email, first, last in SiteRole.objects.filter(
            factory_id=approvers_of, role=SiteRole.Role.APPROVER, is_active=True
        ).values_list("user__email", "user__first_name", "user__last_name"):
            add(email, _full_name(first, last), approver=True)
    return [found[email] for email in sorted(found)]
