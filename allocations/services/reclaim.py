"""Reclaim: the site returns unused GPU-hours of a live allocation to its system's capacity.

First a notice (how many, why), with a deadline of RECLAIM_NOTICE_WORKING_DAYS working days
at the site, on the timeline and by email; the holder may answer it with a text. Once answered
or past its deadline, the site's approver reclaims (at most what is still unused then) or
withdraws it. The reclaim is written to the ledger (`Allocation.reclaimed_gpu_hours`) under the
lock on the system's row that decisions and change requests take, and on the timeline."""

from __future__ import annotations

import datetime
import math
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext

from allocations.models import Allocation, ReclaimNotice
from allocations.selectors import allocation_is_held_by, allocation_may_manage
from allocations.services import allocation_lock
from applications.models import ApplicationEvent
from applications.services import event_record
from factories.models import System
from notifications.services import notification_queue, notification_recipients
from portal.workdays import add_working_days

if TYPE_CHECKING:
    from accounts.models import User

RECLAIM_NOTICE_WORKING_DAYS = 10
MAX_TEXT = 5000
ST = ReclaimNotice.Status


def unused_gpu_hours(allocation: Allocation) -> int:
    """Whole GPU-hours not used yet: what may be reclaimed (a started hour counts as used)."""
    return max(allocation.total_gpu_hours - math.ceil(allocation.used_gpu_hours), 0)


def _text(value: str, field: str, missing: str, errors: dict[str, list[str]]) -> str:
    value = (value or "").strip()
    if not value:
        errors[field] = [missing]
    elif len(value) > MAX_TEXT:
        errors[field] = [
            gettext("At most %(limit)s characters.")
            % {"limit": number_format(MAX_TEXT, force_grouping=True)}
        ]
    return value


def _event(allocation: Allocation, *, actor: User, message: str, notice: ReclaimNotice) -> None:
    application = allocation.application
    event_record(
        application,
        actor=actor,
        kind=ApplicationEvent.Kind.ALLOCATION,
        from_status=application.status,
        message=message[:500],
        allocation=allocation.pk,
        reclaim_notice=notice.pk,
    )


def _tell_holder(allocation: Allocation, notice: ReclaimNotice, *, key: str, template: str) -> None:
    application = allocation.application
    applicant = application.applicant
    notification_queue(
        key=key,
        recipient=applicant.email,
        recipient_name=applicant.get_full_name(),
        template=template,
        context={"notice": notice, "allocation": allocation, "application": application},
        application=application,
    )


def reclaim_notice_create(
    allocation: Allocation,
    *,
    approver: User,
    gpu_hours: int | None,
    reason: str,
    today: datetime.date | None = None,
) -> ReclaimNotice:
    """The site's approver gives notice of reclaiming `gpu_hours` unused GPU-hours. Refused
    (ValidationError, by field) unless the allocation is live, without a reason, for more than
    is unused, or with a notice still open; for anybody but its site's approvers,
    Allocation.DoesNotExist."""
    today = today or timezone.localdate()
    with transaction.atomic():
        allocation = allocation_lock(allocation)
        if not allocation_may_manage(approver, allocation):
            raise Allocation.DoesNotExist
        if not allocation.is_live:
            raise ValidationError(
                gettext("This allocation is %(status)s: nothing can be reclaimed from it.")
                % {"status": allocation.get_status_display().lower()}
            )
        errors: dict[str, list[str]] = {}
        reason = _text(reason, "reason", gettext("Say why the GPU-hours are reclaimed."), errors)
        unused = unused_gpu_hours(allocation)
        if not gpu_hours or gpu_hours <= 0:
            errors["gpu_hours"] = [gettext("Reclaim more than 0 GPU-hours.")]
        elif gpu_hours > unused:
            errors["gpu_hours"] = [
                gettext("Only %(unused)s GPU-hours of this allocation are unused.")
                % {"unused": number_format(unused, force_grouping=True)}
            ]
        if errors:
            raise ValidationError(errors)
        assert gpu_hours is not None
        country = allocation.system.factory.country
        try:
            with transaction.atomic():
                notice = ReclaimNotice.objects.create(
                    allocation=allocation,
                    gpu_hours=gpu_hours,
                    reason=reason,
                    deadline=add_working_days(today, RECLAIM_NOTICE_WORKING_DAYS, country=country),
                    created_by=approver,
                )
        except IntegrityError as error:  # the one-open constraint (raced, or already open)
            raise ValidationError(
                gettext(
                    "A reclaim notice of this allocation is open already: reclaim or withdraw it "
                    "first."
                )
            ) from error
        _event(
            allocation,
            actor=approver,
            notice=notice,
            message=(
                f"Reclaim notice: {gpu_hours:,} unused GPU-hours, answer by "
                f"{notice.deadline:%d %B %Y}. {reason}"
            ),
        )
        _tell_holder(
            allocation, notice, key=f"reclaim-notice:{notice.pk}", template="reclaim_notice"
        )
    return notice


def reclaim_notice_answer(notice: ReclaimNotice, *, user: User, text: str) -> ReclaimNotice:
    """The holder answers an open notice (once). For anybody but its holders,
    ReclaimNotice.DoesNotExist."""
    with transaction.atomic():
        allocation = allocation_lock(notice.allocation)
        notice = ReclaimNotice.objects.select_for_update().get(pk=notice.pk)
        if notice.allocation_id != allocation.pk or not allocation_is_held_by(user, allocation):
            raise ReclaimNotice.DoesNotExist
        if notice.status != ST.OPEN:
            raise ValidationError(
                gettext("This notice is %(status)s: it cannot be answered.")
                % {"status": notice.get_status_display().lower()}
            )
        if notice.answered_at is not None:
            raise ValidationError(gettext("This notice is answered already."))
        errors: dict[str, list[str]] = {}
        text = _text(text, "answer", gettext("Write your answer."), errors)
        if errors:
            raise ValidationError(errors)
        notice.answer = text
        notice.answered_by = user
        notice.answered_at = timezone.now()
        notice.save(update_fields=["answer", "answered_by", "answered_at", "updated_at"])
        _event(allocation, actor=user, notice=notice, message=f"Reclaim notice answered: {text}")
        for recipient in notification_recipients(approvers_of=allocation.system.factory_id):
            notification_queue(
                key=f"reclaim-answered:{notice.pk}:{recipient.email}",
                recipient=recipient.email,
                recipient_name=recipient.name,
                template="reclaim_answered",
                context={
                    "notice": notice,
                    "allocation": allocation,
                    "application": allocation.application,
                },
                application=allocation.application,
            )
    return notice


def reclaim_decide(
    notice: ReclaimNotice,
    *,
    approver: User,
    outcome: str,
    comment: str,
    gpu_hours: int | None = None,
    today: datetime.date | None = None,
) -> ReclaimNotice:
    """The site's approver closes an open notice: `reclaim` returns `gpu_hours` (default: the
    notice's) to the system's capacity, once the holder answered or the deadline passed, never
    more than the notice said nor than is unused now; `withdraw` keeps them. For anybody but
    its site's approvers, ReclaimNotice.DoesNotExist."""
    today = today or timezone.localdate()
    with transaction.atomic():
        allocation = allocation_lock(notice.allocation)
        notice = ReclaimNotice.objects.select_for_update().get(pk=notice.pk)
        if notice.allocation_id != allocation.pk or not allocation_may_manage(approver, allocation):
            raise ReclaimNotice.DoesNotExist
        if notice.status != ST.OPEN:
            raise ValidationError(
                gettext("This notice is %(status)s already: it cannot be decided again.")
                % {"status": notice.get_status_display().lower()}
            )
        errors: dict[str, list[str]] = {}
        comment = _text(comment, "comment", gettext("Give the reasons."), errors)
        if outcome not in ("reclaim", "withdraw"):
            errors["outcome"] = [gettext("Choose reclaim or withdraw.")]
        if outcome == "reclaim" and not errors:
            # The lock decisions and change requests take: the ledger moves under it.
            System.objects.select_for_update().filter(pk=allocation.system_id).exists()
            amount = notice.gpu_hours if gpu_hours is None else gpu_hours
            unused = unused_gpu_hours(allocation)
            if not allocation.is_live:
                raise ValidationError(
                    gettext("This allocation is %(status)s: nothing can be reclaimed from it.")
                    % {"status": allocation.get_status_display().lower()}
                )
            if notice.answered_at is None and today <= notice.deadline:
                raise ValidationError(
                    gettext(
                        "The holder may answer until %(date)s: reclaim after that day, or once "
                        "they answered."
                    )
                    % {"date": date_format(notice.deadline, "j F Y")}
                )
            if amount <= 0:
                errors["gpu_hours"] = [gettext("Reclaim more than 0 GPU-hours.")]
            elif amount > notice.gpu_hours:
                errors["gpu_hours"] = [
                    gettext("The notice was for %(gpu_hours)s GPU-hours: reclaim at most those.")
                    % {"gpu_hours": number_format(notice.gpu_hours, force_grouping=True)}
                ]
            elif amount > unused:
                errors["gpu_hours"] = [
                    gettext("Only %(unused)s GPU-hours of this allocation are unused.")
                    % {"unused": number_format(unused, force_grouping=True)}
                ]
        if errors:
            raise ValidationError(errors)
        if outcome == "reclaim":
            allocation.reclaimed_gpu_hours += amount
            allocation.save(update_fields=["reclaimed_gpu_hours", "updated_at"])
            notice.reclaimed_gpu_hours = amount
            notice.status = ST.RECLAIMED
            message = f"Reclaimed: {amount:,} unused GPU-hours returned to {allocation.system}."
        else:
            notice.status = ST.WITHDRAWN
            message = "Reclaim notice withdrawn."
        notice.decided_by = approver
        notice.decided_at = timezone.now()
        notice.decision_comment = comment
        notice.save(
            update_fields=[
                "status", "reclaimed_gpu_hours", "decided_by", "decided_at",
                "decision_comment", "updated_at",
            ]
        )  # fmt: skip
        _event(allocation, actor=approver, notice=notice, message=f"{message} {comment}")
        _tell_holder(
            allocation, notice, key=f"reclaim-decided:{notice.pk}", template="reclaim_decided"
        )
    return notice
