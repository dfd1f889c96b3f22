"""The site approver's decision: approve (capacity-checked, an allocation) or reject."""

from __future__ import annotations

import logging
from datetime import date
from functools import partial
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext

from allocations.letters import letter_for
from allocations.models import Allocation
from allocations.selectors import system_remaining_gpu_hours
from allocations.services import allocation_create
from applications.models import (
    Application,
    ApplicationEvent,
    ApplicationStatus,
)
from applications.services import application_transition
from factories.models import System
from handoffs.tasks import hand_off
from notifications.services import notification_queue
from portal import permissions
from portal.tasks import enqueue
from portal.workdays import add_months
from portal_statistics.services import statistics_changed
from reviews import selectors as review_selectors
from reviews.models import Decision

if TYPE_CHECKING:
    from accounts.models import User

logger = logging.getLogger(__name__)


def application_decide(
    *,
    application: Application,
    approver: User,
    outcome: str,
    gpu_hours: int | None,
    comment: str,
    conditions: str = "",
) -> Decision:
    """The site approver approves (creating an Allocation) or rejects.

    The capacity check and the allocation happen in one transaction holding a lock on the
    system's row, so concurrent approvals on one system are serialised and can never award more
    than the system has left for the period.
    """
    with transaction.atomic():
        application = (
            Application.objects.select_for_update(of=("self",))
            .select_related("access_mode", "system__factory", "applicant")
            .get(pk=application.pk)
        )
        if not permissions.may_decide(approver, application):
            raise Application.DoesNotExist
        errors: dict[str, list[str]] = {}
        if application.status != ApplicationStatus.UNDER_REVIEW:
            raise ValidationError(
                gettext("This application is %(status)s: it cannot be decided now.")
                % {"status": application.get_status_display().lower()}
            )
        if not review_selectors.reviews_complete(application):
            raise ValidationError(gettext("The reviews this access mode needs are not all in yet."))
        if not (comment or "").strip():
            errors["comment"] = [gettext("Give the reasons for the decision.")]
        if outcome not in Decision.Outcome.values:
            errors["outcome"] = [gettext("Choose approve or reject.")]
        allocation: Allocation | None = None
        award: tuple[System, int, date, date] | None = None
        if outcome == Decision.Outcome.APPROVE:
            system = System.objects.select_for_update().get(pk=application.submitted_system.pk)
            requested = application.gpu_hours or 0
            start, months = application.start_date, application.duration_months
            assert start is not None and months is not None  # under review: both are set
            year = start.year
            remaining = system_remaining_gpu_hours(system=system, year=year)
            if not gpu_hours or gpu_hours <= 0:
                errors["gpu_hours"] = [gettext("Award more than 0 GPU-hours.")]
            elif gpu_hours > requested:
                errors["gpu_hours"] = [
                    gettext("At most the %(requested)s GPU-hours requested.")
                    % {"requested": number_format(requested, force_grouping=True)}
                ]
            elif remaining is None:
                errors["gpu_hours"] = [
                    gettext(
                        "The capacity of %(system)s is not published yet: an admin must set its "
                        "allocatable GPU-hours per year first."
                    )
                    % {"system": system.name}
                ]
            elif gpu_hours > remaining:
                errors["gpu_hours"] = [
                    gettext("Only %(remaining)s GPU-hours are left on %(system)s for %(year)s.")
                    % {
                        "remaining": number_format(max(remaining, 0), force_grouping=True),
                        "system": system.name,
                        "year": year,
                    }
                ]
            if not errors and gpu_hours is not None:  # no errors: gpu_hours is over 0
                award = (system, gpu_hours, start, add_months(start, months))
        if errors:
            raise ValidationError(errors)
        decision = Decision.objects.create(
            application=application, approver=approver, outcome=outcome,
            gpu_hours=gpu_hours if award else None, comment=comment.strip(),
        )  # fmt: skip
        if award is not None:
            system, hours, start, end = award
            allocation = allocation_create(
                application=application, system=system, gpu_hours=hours, start=start, end=end,
                conditions=conditions,
            )  # fmt: skip
        application.decided_at = timezone.now()
        application_transition(
            application, actor=approver,
            to_status=ApplicationStatus.APPROVED if allocation else ApplicationStatus.REJECTED,
            kind=ApplicationEvent.Kind.APPROVED if allocation else ApplicationEvent.Kind.REJECTED,
            message=(
                f"Approved: {gpu_hours:,} GPU-hours on {application.submitted_system.name}."
                if allocation else "Not approved."
            ),
            fields=("decided_at",),
        )  # fmt: skip
        statistics_changed()
        notification_queue(
            key=f"decision:{application.pk}",
            recipient=application.applicant.email,
            recipient_name=application.applicant.get_full_name(),
            template="decision",
            context={
                "application": application,
                "decision": decision,
                "allocation": allocation,
                "letter": letter_for(allocation, decision) if allocation else None,
            },
            application=application,
        )
        if allocation is not None:  # to the site, once the approval has committed
            transaction.on_commit(partial(enqueue, hand_off, allocation.pk))
    return decision
