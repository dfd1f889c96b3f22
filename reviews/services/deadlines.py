"""Deadlines: reminders to reviewers before they are due, escalations once overdue."""

from __future__ import annotations

import logging
from datetime import date

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from factories.models import AIFactory
from notifications.models import Notification
from notifications.services import notification_queue, notification_recipients
from portal.workdays import add_working_days
from reviews import selectors as review_selectors
from reviews.models import Assignment

logger = logging.getLogger(__name__)


# --- Deadlines -----------------------------------------------------------------------------


def review_due_by(*, expected_decision_by: date | None, today: date, country: str | None) -> date:
    """A reviewer's due date, in working days of the factory's `country`: the setting's
    REVIEW_DUE_WORKING_DAYS_BEFORE_DECISION before the expected decision date, so that the
    approver has time to decide, but never before the next working day; five working days from
    today when no decision date is expected."""
    if expected_decision_by is None:
        return add_working_days(today, 5, country=country)
    before = settings.REVIEW_DUE_WORKING_DAYS_BEFORE_DECISION
    due = add_working_days(expected_decision_by, -before, country=country)
    return max(due, add_working_days(today, 1, country=country))


def _due_by_next_working_day(today: date) -> Q:
    """Assignments due by the next working day after `today` in their factory's country (one
    query for the countries; the sites' public holidays differ)."""
    countries = AIFactory.objects.order_by("country").values_list("country", flat=True).distinct()
    due = Q(pk__in=[])
    for country in countries:
        soon = add_working_days(today, 1, country=country)
        due |= Q(application__system__factory__country=country, due_by__lte=soon)
    return due


def deadlines_check(*, today: date | None = None) -> dict[str, int]:
    """Remind reviewers one working day before an assignment is due, and escalate overdue
    applications to the site approvers and admins. Each email is sent once (unique keys)."""
    today = today or timezone.localdate()
    reminders = 0
    with transaction.atomic():
        due = (
            Assignment.objects.select_for_update(of=("self",))
            .filter(_due_by_next_working_day(today))
            .filter(status__in=Assignment.OPEN, reminder_sent_at__isnull=True)
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
                staff=True, approvers_of=application.submitted_system.factory_id
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
