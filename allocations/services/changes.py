"""Change requests of a live allocation: an extension of the end date, more GPU-hours, a team
change. The applicant (or a representative) asks with a reason; the site's approver decides.
More GPU-hours are checked against the system's capacity under the lock on the system's row
that decisions take, so the ledger never awards more than the capacity."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext

from allocations.models import Allocation, ChangeRequest
from allocations.selectors import (
    allocation_is_held_by,
    allocation_may_manage,
    system_remaining_gpu_hours,
)
from allocations.services import allocation_lock
from allocations.services.reports import reports_schedule
from applications.models import ApplicationEvent
from applications.services import event_record
from factories.models import System
from notifications.services import notification_queue, notification_recipients
from portal.workdays import add_months

if TYPE_CHECKING:
    from accounts.models import User

K = ChangeRequest.Kind
# An extension moves the end date by at most this many months at a time.
MAX_EXTENSION_MONTHS = 12
MAX_TEXT = 5000


def change_request_create(
    allocation: Allocation,
    *,
    user: User,
    kind: str,
    reason: str,
    new_end: datetime.date | None = None,
    extra_gpu_hours: int | None = None,
    team_change: str = "",
) -> ChangeRequest:
    """Ask for a change of `allocation`. Refused (ValidationError, by field) when the
    allocation has ended or is closed, without a reason, with a bad value for its kind, or
    with a request of the same kind still pending; for anybody but its holders,
    Allocation.DoesNotExist."""
    with transaction.atomic():
        allocation = allocation_lock(allocation)
        if not allocation_is_held_by(user, allocation):
            raise Allocation.DoesNotExist
        errors: dict[str, list[str]] = {}
        if not allocation.is_live:
            raise ValidationError(
                gettext("This allocation is %(status)s: it cannot be changed any more.")
                % {"status": allocation.get_status_display().lower()}
            )
        reason = (reason or "").strip()
        if not reason:
            errors["reason"] = [gettext("Say why you need this change.")]
        elif len(reason) > MAX_TEXT:
            errors["reason"] = [
                gettext("At most %(limit)s characters.")
                % {"limit": number_format(MAX_TEXT, force_grouping=True)}
            ]
        values: dict[str, object] = {}
        if kind == K.EXTENSION:
            latest = add_months(allocation.end, MAX_EXTENSION_MONTHS)
            if new_end is None:
                errors["new_end"] = [gettext("Give the new end date.")]
            elif new_end <= allocation.end:
                errors["new_end"] = [
                    gettext("The new end date must be after the current one, %(date)s.")
                    % {"date": date_format(allocation.end, "j F Y")}
                ]
            elif new_end > latest:
                errors["new_end"] = [
                    gettext("At most %(months)s months more at a time: %(date)s at the latest.")
                    % {
                        "months": MAX_EXTENSION_MONTHS,
                        "date": date_format(latest, "j F Y"),
                    }
                ]
            values["new_end"] = new_end
        elif kind == K.GPU_HOURS:
            if not extra_gpu_hours or extra_gpu_hours <= 0:
                errors["extra_gpu_hours"] = [gettext("Ask for more than 0 GPU-hours.")]
            values["extra_gpu_hours"] = extra_gpu_hours
        elif kind == K.TEAM:
            team_change = (team_change or "").strip()
            if not team_change:
                errors["team_change"] = [
                    gettext("Say who joins or leaves the team, with their role.")
                ]
            elif len(team_change) > MAX_TEXT:
                errors["team_change"] = [
                    gettext("At most %(limit)s characters.")
                    % {"limit": number_format(MAX_TEXT, force_grouping=True)}
                ]
            values["team_change"] = team_change
        else:
            errors["kind"] = [gettext("Choose an extension, more GPU-hours or a team change.")]
        if errors:
            raise ValidationError(errors)
        if allocation.change_requests.filter(
            kind=kind, status=ChangeRequest.Status.PENDING
        ).exists():
            raise ValidationError(
                {
                    "kind": [
                        gettext("A request for %(kind)s is already waiting for a decision.")
                        % {"kind": K(kind).label.lower()}
                    ]
                }
            )
        try:
            with transaction.atomic():
                change = ChangeRequest.objects.create(
                    allocation=allocation, kind=kind, requested_by=user, reason=reason, **values
                )
        except IntegrityError as error:  # the pending-per-kind constraint, raced
            raise ValidationError(
                {
                    "kind": [
                        gettext("A request for %(kind)s is already waiting for a decision.")
                        % {"kind": K(kind).label.lower()}
                    ]
                }
            ) from error
        application = allocation.application
        event_record(
            application,
            actor=user,
            kind=ApplicationEvent.Kind.CHANGE_REQUEST,
            from_status=application.status,
            message=f"Requested: {change_summary(change)}. {reason}"[:500],
            change_request=change.pk,
        )
        for recipient in notification_recipients(approvers_of=allocation.system.factory_id):
            notification_queue(
                key=f"change-request:{change.pk}:{recipient.email}",
                recipient=recipient.email,
                recipient_name=recipient.name,
                template="change_request_new",
                context={"change": change, "allocation": allocation, "application": application},
                application=application,
            )
    return change


def change_request_decide(
    change: ChangeRequest, *, approver: User, outcome: str, comment: str
) -> ChangeRequest:
    """The site's approver approves or rejects a pending change request, with a comment. An
    approved extension moves the end date (and the reports' due dates); approved GPU-hours are
    added to the allocation if the system has them left for the allocation's year, checked and
    written under the lock on the system's row. For anybody but an approver of the site,
    ChangeRequest.DoesNotExist."""
    with transaction.atomic():
        allocation = allocation_lock(change.allocation)
        change = ChangeRequest.objects.select_for_update().get(pk=change.pk)
        if change.allocation_id != allocation.pk or not allocation_may_manage(approver, allocation):
            raise ChangeRequest.DoesNotExist
        if change.status != ChangeRequest.Status.PENDING:
            raise ValidationError(
                gettext("This request is %(status)s already: it cannot be decided again.")
                % {"status": change.get_status_display().lower()}
            )
        errors: dict[str, list[str]] = {}
        comment = (comment or "").strip()
        if not comment:
            errors["comment"] = [gettext("Give the reasons for the decision.")]
        if outcome not in ("approve", "reject"):
            errors["outcome"] = [gettext("Choose approve or reject.")]
        if outcome == "approve" and not allocation.is_live:
            raise ValidationError(
                gettext("This allocation is %(status)s: it cannot be changed any more.")
                % {"status": allocation.get_status_display().lower()}
            )
        fields: list[str] = []
        if outcome == "approve" and not errors:
            if change.kind == K.GPU_HOURS:
                extra = change.extra_gpu_hours or 0
                system = System.objects.select_for_update().get(pk=allocation.system_id)
                year = allocation.period_year
                remaining = system_remaining_gpu_hours(system=system, year=year)
                if remaining is None:
                    errors["extra_gpu_hours"] = [
                        gettext(
                            "The capacity of %(system)s is not published yet: an admin must set "
                            "its allocatable GPU-hours per year first."
                        )
                        % {"system": system.name}
                    ]
                elif extra > remaining:
                    errors["extra_gpu_hours"] = [
                        gettext("Only %(remaining)s GPU-hours are left on %(system)s for %(year)s.")
                        % {
                            "remaining": number_format(max(remaining, 0), force_grouping=True),
                            "system": system.name,
                            "year": year,
                        }
                    ]
                else:
                    allocation.extra_gpu_hours += extra
                    fields.append("extra_gpu_hours")
            elif change.kind == K.EXTENSION:
                assert change.new_end is not None  # the extension_has_date constraint
                if change.new_end <= allocation.end:
                    errors["new_end"] = [
                        gettext("The allocation ends on %(date)s already: nothing to extend.")
                        % {"date": date_format(allocation.end, "j F Y")}
                    ]
                else:
                    allocation.end = change.new_end
                    fields.append("end")
        if errors:
            raise ValidationError(errors)
        if fields:
            allocation.save(update_fields=[*fields, "updated_at"])
        if "end" in fields:
            reports_schedule(allocation)
        change.status = (
            ChangeRequest.Status.APPROVED if outcome == "approve" else ChangeRequest.Status.REJECTED
        )
        change.decided_by = approver
        change.decided_at = timezone.now()
        change.decision_comment = comment
        change.save(
            update_fields=["status", "decided_by", "decided_at", "decision_comment", "updated_at"]
        )
        application = allocation.application
        event_record(
            application,
            actor=approver,
            kind=ApplicationEvent.Kind.CHANGE_REQUEST,
            from_status=application.status,
            message=f"{change.get_status_display()}: {change_summary(change)}. {comment}"[:500],
            change_request=change.pk,
        )
        requester = change.requested_by
        notification_queue(
            key=f"change-request-decided:{change.pk}",
            recipient=requester.email,
            recipient_name=requester.get_full_name(),
            template="change_request_decided",
            context={"change": change, "allocation": allocation, "application": application},
            application=application,
        )
    return change


def change_summary(change: ChangeRequest) -> str:
    """One line saying what a request asks for."""
    if change.kind == K.EXTENSION and change.new_end:
        return f"an extension of the end date to {change.new_end:%d %B %Y}"
    if change.kind == K.GPU_HOURS and change.extra_gpu_hours:
        return f"{change.extra_gpu_hours:,} more GPU-hours"
    return "a team change"
