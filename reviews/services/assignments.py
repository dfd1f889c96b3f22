"""A reviewer's assignment: accept, decline (re-routes), and the review itself."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext

from applications.models import (
    Application,
    ApplicationEvent,
    ApplicationStatus,
)
from applications.services import event_record
from notifications.services import notification_queue, notification_recipients
from portal.tasks import enqueue
from reviews import selectors as review_selectors
from reviews import tasks as review_tasks
from reviews.models import Assignment, ConflictOfInterest, Review

if TYPE_CHECKING:
    from accounts.models import User

# --- Assignments and reviews ---------------------------------------------------------------


def _own_open_assignment(assignment_id: int, reviewer: User) -> Assignment:
    assignment = (
        Assignment.objects.select_for_update(of=("self",))
        .select_related("application__access_mode", "application__system__factory")
        .filter(pk=assignment_id, reviewer=reviewer)
        .first()
    )
    if assignment is None:
        raise Assignment.DoesNotExist
    if not assignment.is_open:
        raise ValidationError(
            gettext("This assignment is %(status)s.")
            % {"status": assignment.get_status_display().lower()}
        )
    # Reviewers already found may work while staff look for the missing ones (needs attention).
    if assignment.application.status not in (
        ApplicationStatus.UNDER_REVIEW,
        ApplicationStatus.NEEDS_ATTENTION,
    ):
        raise ValidationError(gettext("The application is no longer under review."))
    return assignment


@transaction.atomic
def assignment_accept(*, assignment: Assignment, reviewer: User) -> Assignment:
    assignment = _own_open_assignment(assignment.pk, reviewer)
    if assignment.status == Assignment.Status.PENDING:
        assignment.status = Assignment.Status.ACCEPTED
        assignment.responded_at = timezone.now()
        assignment.save(update_fields=["status", "responded_at", "updated_at"])
    return assignment


@transaction.atomic
def assignment_decline(
    *, assignment: Assignment, reviewer: User, reason: str, conflict_of_interest: bool = False
) -> Assignment:
    """Decline; for a conflict of interest the conflict is recorded and the application is
    routed again to someone else (after commit)."""
    if not reason.strip():
        raise ValidationError({"reason": [gettext("Say why you decline.")]})
    assignment = _own_open_assignment(assignment.pk, reviewer)
    assignment.status = Assignment.Status.DECLINED
    assignment.decline_reason = reason.strip()[:300]
    assignment.declined_for_conflict = conflict_of_interest
    assignment.responded_at = timezone.now()
    assignment.save()
    application = assignment.application
    if conflict_of_interest and application.organisation_id:
        ConflictOfInterest.objects.get_or_create(
            reviewer=reviewer, organisation_id=application.organisation_id,
            defaults={"reason": reason.strip()[:300]},
        )  # fmt: skip
    event_record(
        application, actor=reviewer, kind=ApplicationEvent.Kind.ROUTED,
        from_status=application.status, internal=True,
        message=(
            f"{reviewer.email} declined the {assignment.kind} review: "
            f"{assignment.decline_reason}"
        ),
    )  # fmt: skip
    transaction.on_commit(
        lambda: enqueue(review_tasks.route_application, application.pk, "decline")
    )
    return assignment


def assignments_close(*, application: Application) -> int:
    """Close the open assignments of `application`, which has ended (withdrawn or decided), in
    the caller's transaction (application_transition calls this): they leave the reviewers'
    desks and no longer count against their load, can be neither accepted nor declined, and get
    no reminder. Each reviewer is told once. Returns how many were closed."""
    closing = list(
        Assignment.objects.select_for_update(of=("self",))
        .filter(application=application, status__in=Assignment.OPEN)
        .select_related("reviewer")
    )
    if not closing:
        return 0
    Assignment.objects.filter(pk__in=[a.pk for a in closing]).update(
        status=Assignment.Status.CLOSED, updated_at=timezone.now()
    )
    for assignment in closing:
        notification_queue(
            key=f"closed:{assignment.pk}",
            recipient=assignment.reviewer.email,
            recipient_name=assignment.reviewer.get_full_name(),
            template="assignment_closed",
            context={"assignment": assignment, "application": application},
            application=application,
        )
    return len(closing)


REVIEW_FIELDS = [
    *Review.CRITERIA,
    *(f"{c}_note" for c in Review.CRITERIA),
    "comment_for_applicant", "internal_note", "recommendation", "recommended_gpu_hours",
]  # fmt: skip


@transaction.atomic
def review_record(*, assignment: Assignment, reviewer: User, **values: Any) -> Review:
    """Record a review (accepting the assignment if needed). Tells approvers when all are in."""
    assignment = _own_open_assignment(assignment.pk, reviewer)
    application = assignment.application
    unknown = set(values) - set(REVIEW_FIELDS)
    if unknown:
        raise ValidationError({f: ["Unknown field."] for f in sorted(unknown)})
    review = Review(assignment=assignment, **values)
    requested = application.gpu_hours or 0
    if review.recommendation == Review.Recommendation.APPROVE_FEWER:
        if not review.recommended_gpu_hours:
            raise ValidationError(
                {"recommended_gpu_hours": [gettext("Say how many GPU-hours you recommend.")]}
            )
        if review.recommended_gpu_hours >= requested:
            raise ValidationError(
                {
                    "recommended_gpu_hours": [
                        gettext("Recommend fewer than the %(requested)s requested.")
                        % {"requested": number_format(requested, force_grouping=True)}
                    ]
                }
            )
    elif review.recommended_gpu_hours and review.recommended_gpu_hours > requested:
        raise ValidationError(
            {
                "recommended_gpu_hours": [
                    gettext("At most the %(requested)s GPU-hours requested.")
                    % {"requested": number_format(requested, force_grouping=True)}
                ]
            }
        )
    review.full_clean()
    review.save()
    assignment.status = Assignment.Status.DONE
    assignment.responded_at = assignment.responded_at or timezone.now()
    assignment.save(update_fields=["status", "responded_at", "updated_at"])
    event_record(
        application, actor=reviewer, kind=ApplicationEvent.Kind.REVIEWED,
        from_status=application.status, message="A review was received.",
    )  # fmt: skip
    if review_selectors.reviews_complete(application):
        for recipient in notification_recipients(
            approvers_of=application.submitted_system.factory_id
        ):
            notification_queue(
                key=f"ready:{application.pk}:{recipient.email}",
                recipient=recipient.email,
                recipient_name=recipient.name,
                template="ready_for_decision",
                context={"application": application},
                application=application,
            )
    return review
