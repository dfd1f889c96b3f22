"""Every write to allocations: their creation from a decision, each move of their life
(activate, suspend, resume, end, close early), the usage the site reports, and the reports they
owe. Each status change goes through `allocation_transition` and writes an event on the
application's timeline in the same transaction."""

from __future__ import annotations

import datetime
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from allocations.models import Allocation, AllocationStatus, allocation_can_transition
from allocations.services.reports import reports_schedule
from allocations.services.usage_alerts import usage_alerts_send
from applications.models import Application, ApplicationEvent
from applications.services import event_record
from factories.models import System

if TYPE_CHECKING:
    from accounts.models import User

S = AllocationStatus


# --- Creation ------------------------------------------------------------------------------------


def allocation_create(
    *,
    application: Application,
    system: System,
    gpu_hours: int,
    start: datetime.date,
    end: datetime.date,
    conditions: str = "",
) -> Allocation:
    """The allocation of an approved application (called by the decision, inside its
    transaction and its lock on the system): awarded, with its reports scheduled."""
    allocation = Allocation(
        application=application,
        system=system,
        gpu_hours=gpu_hours,
        start=start,
        end=end,
        period_year=start.year,
        conditions=(conditions or "").strip(),
        status=S.AWARDED,
        status_changed_at=timezone.now(),
    )
    allocation.full_clean(exclude=["application"])
    allocation.save()
    reports_schedule(allocation)
    return allocation


# --- Life ----------------------------------------------------------------------------------------


def allocation_lock(allocation: Allocation) -> Allocation:
    """The allocation's row, locked for the caller's transaction, with what events need."""
    return (
        Allocation.objects.select_for_update(of=("self",))
        .select_related("application__access_mode", "system__factory")
        .get(pk=allocation.pk)
    )


def allocation_transition(
    allocation: Allocation,
    *,
    to_status: str,
    actor: User | None,
    reason: str,
    fields: tuple[str, ...] = (),
    **extra: Any,
) -> ApplicationEvent:
    """Move `allocation` (locked by the caller) to `to_status` and write the event on its
    application's timeline, in the caller's transaction: the one way an allocation's status
    changes. Refused with ValidationError unless the transition map allows it or without a
    reason. Saves the status, `fields` (others the caller changed) and `updated_at`."""
    from_status = allocation.status
    if not allocation_can_transition(from_status, to_status):
        raise ValidationError(
            gettext("An allocation that is %(from_status)s cannot become %(to_status)s.")
            % {"from_status": S(from_status).label.lower(), "to_status": S(to_status).label.lower()}
        )
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [gettext("Give the reason for this change.")]})
    allocation.status = to_status
    allocation.status_changed_at = timezone.now()
    allocation.save(update_fields=["status", "status_changed_at", *fields, "updated_at"])
    return event_record(
        allocation.application,
        actor=actor,
        kind=ApplicationEvent.Kind.ALLOCATION,
        from_status=allocation.application.status,
        message=f"{S(to_status).label}: {reason}"[:500],
        allocation=allocation.pk,
        allocation_from=from_status,
        allocation_to=to_status,
        **extra,
    )


def allocation_activate(allocation: Allocation, *, actor: User | None, reason: str) -> Allocation:
    """The site has the project set up (the hand-off completed) or the approver resumes a
    suspended allocation: it becomes active. Calling it on an active allocation does nothing
    (safe to run twice); on an ended or closed one it is refused."""
    with transaction.atomic():
        allocation = allocation_lock(allocation)
        if allocation.status == S.ACTIVE:
            return allocation
        allocation_transition(allocation, to_status=S.ACTIVE, actor=actor, reason=reason)
    return allocation


def allocation_suspend(allocation: Allocation, *, actor: User | None, reason: str) -> Allocation:
    """The site stops the allocation for a while (a breach of the conditions, an overdue
    report): no usage until it is resumed."""
    with transaction.atomic():
        allocation = allocation_lock(allocation)
        allocation_transition(allocation, to_status=S.SUSPENDED, actor=actor, reason=reason)
    return allocation


def allocation_resume(allocation: Allocation, *, actor: User | None, reason: str) -> Allocation:
    """A suspended allocation becomes active again."""
    with transaction.atomic():
        allocation = allocation_lock(allocation)
        if allocation.status != S.SUSPENDED:
            raise ValidationError(
                gettext("This allocation is %(status)s, not suspended: there is nothing to resume.")
                % {"status": allocation.get_status_display().lower()}
            )
        allocation_transition(allocation, to_status=S.ACTIVE, actor=actor, reason=reason)
    return allocation


def allocation_end(
    allocation: Allocation,
    *,
    actor: User | None,
    reason: str,
    today: datetime.date | None = None,
) -> Allocation:
    """An active or suspended allocation reaches its end date: ended; the final report's clock
    starts."""
    with transaction.atomic():
        allocation = allocation_lock(allocation)
        allocation.ended_on = today or timezone.localdate()
        allocation_transition(
            allocation, to_status=S.ENDED, actor=actor, reason=reason, fields=("ended_on",)
        )
        reports_schedule(allocation)
    return allocation


def allocation_close(
    allocation: Allocation,
    *,
    actor: User | None,
    reason: str,
    today: datetime.date | None = None,
) -> Allocation:
    """The allocation is closed before its end date (the project stops, a serious breach): no
    more usage; the final report falls due from today."""
    with transaction.atomic():
        allocation = allocation_lock(allocation)
        allocation.ended_on = today or timezone.localdate()
        allocation_transition(
            allocation, to_status=S.CLOSED, actor=actor, reason=reason, fields=("ended_on",)
        )
        reports_schedule(allocation)
    return allocation


def allocations_end_due(*, today: datetime.date | None = None) -> int:
    """The periodic sweep: every active or suspended allocation whose end date has passed is
    ended. Safe to run twice (each is locked and re-checked). Returns how many ended."""
    today = today or timezone.localdate()
    ended = 0
    due = Allocation.objects.filter(status__in=(S.ACTIVE, S.SUSPENDED), end__lt=today)
    for pk in due.values_list("pk", flat=True):
        with transaction.atomic():
            allocation = allocation_lock(Allocation(pk=pk))
            if allocation.status not in (S.ACTIVE, S.SUSPENDED) or allocation.end >= today:
                continue
            allocation.ended_on = allocation.end
            allocation_transition(
                allocation,
                to_status=S.ENDED,
                actor=None,
                reason=f"the end date, {allocation.end:%d %B %Y}, has passed",
                fields=("ended_on",),
            )
            reports_schedule(allocation)
            ended += 1
    return ended


# --- Usage ---------------------------------------------------------------------------------------


def allocation_record_usage(
    allocation: Allocation, total: Decimal | int | str, *, at: datetime.datetime | None = None
) -> Allocation:
    """The site's usage import reports the GPU-hours used so far (a running total, not an
    increment): stored on the allocation. Refused below 0 or not a number. Safe to repeat; no
    timeline event (an import runs daily). Crossing 75 % or 100 % of the award sends its alert
    (once: allocations.services.usage_alerts)."""
    try:
        value = Decimal(str(total)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError) as error:
        raise ValidationError(
            {"used_gpu_hours": [gettext("Give the GPU-hours used as a number.")]}
        ) from error
    if not value.is_finite() or value < 0:
        raise ValidationError(
            {"used_gpu_hours": [gettext("The GPU-hours used cannot be below 0.")]}
        )
    at = at or timezone.now()
    Allocation.objects.filter(pk=allocation.pk).update(
        used_gpu_hours=value, usage_updated_at=at, updated_at=timezone.now()
    )
    allocation.used_gpu_hours = value
    allocation.usage_updated_at = at
    usage_alerts_send(allocation)
    return allocation
