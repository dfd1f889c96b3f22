"""Deadlines: reminders to reviewers before they are due, escalations once overdue."""

from __future__ import annotations

import logging
from datetime import date

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from notifications.models import Notification
from notifications.services import notification_queue, notification_recipients
from portal.workdays import add_working_days
from reviews import selectors as review_selectors
from reviews.models import Assignment

User = get_user_model()

logger = logging.getLogger(__name__)


# --- Deadlines -----------------------------------------------------------------------------


def deadlines_check(*, today: date | None = None) -> dict[str, int]:
    """Remind reviewers one working day before an assignment is due, and escalate overdue
    applications to the site approvers and admins. Each email is sent once (unique keys)."""
    today = today or timezone.localdate()
    soon = add_working_days(today, 1)
    reminders = 0
    with transaction.atomic():
        due = (
            Assignment.objects.select_for_update(of=("self",))
            .filter(status__in=Assignment.OPEN, due_by__lte=soon, reminder_sent_at__isnull=True)
            .select_related("reviewer", "application")
        )
        for assignment in due:
            notification_queue(
                key=f"reminder:{assignment.pk}",
                recipient=assignment.reviewer.email,
                recipient_name=assignment.reviewer.get_full_name(),
                template="assignment_reminder",
                context={"assignment": assignment, "application": assignment.application},
                application=assignment.application,
            )
            assignment.reminder_sent_at = timezone.now()
            assignment.save(update_fields=["reminder_sent_at"])
            reminders += 1
        escalations = 0
        for application in review_selectors.applications_overdue(today=today):
            recipients = notification_recipients(
                staff=True, approvers_of=application.system.factory_id
            )
            for recipient in recipients:
                key = f"overdue:{application.pk}:{recipient.email}"
                before = Notification.objects.filter(key=key).exists()
                notification_queue(
                    key=key,
                    recipient=recipient.email,
                    recipient_name=recipient.name,
                    template="overdue",
                    context={
                        "application": application,
                        "for_staff": recipient.staff,
                        "for_approver": recipient.approver,
                    },
                    application=application,
                )
                escalations += not before
    return {"reminders": reminders, "escalations": escalations}
