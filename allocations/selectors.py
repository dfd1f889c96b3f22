"""The capacity ledger: what is allocated and what is left, per system and year."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet, Sum

from allocations.models import LEDGER_GPU_HOURS, Allocation
from applications.models import Application
from factories.models import System
from portal.permissions import approver_factory_ids, visible_to_applicant

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from accounts.models import User


def allocation_list_for_user(*, user: User | AnonymousUser) -> QuerySet[Allocation]:
    """Allocations the user may see: their own applications', their sites', or all for staff."""
    if not user.is_authenticated:
        return Allocation.objects.none()
    queryset = Allocation.objects.select_related("system__factory", "application")
    if user.is_staff:
        return queryset
    own = Application.objects.filter(visible_to_applicant(user)).values("pk")
    return queryset.filter(
        Q(application_id__in=own) | Q(system__factory_id__in=approver_factory_ids(user))
    )


def system_allocated_gpu_hours_by_year(*, system_id: int) -> dict[int, int]:
    """The capacity ledger of one system: GPU-hours allocated per period year, for the years
    that have allocations, oldest first."""
    rows = (
        Allocation.objects.filter(system_id=system_id)
        .order_by("period_year")
        .values_list("period_year")
        .annotate(total=Sum(LEDGER_GPU_HOURS))
    )
    return dict(rows)


def system_capacity_check(*, system_id: int, capacity: int | None) -> None:
    """Refuse a yearly capacity below what the ledger has allocated on the system in any year,
    or an empty one while allocations exist: raises ValidationError with one message per year.

    The system's row is locked (as `application_decide` locks it) for the rest of the caller's
    transaction, so that no approval lands between this check and the caller's save."""
    with transaction.atomic():
        list(System.objects.select_for_update().filter(pk=system_id).values_list("pk"))
        allocated = system_allocated_gpu_hours_by_year(system_id=system_id)
    if not allocated:
        return
    if capacity is None:
        years = "; ".join(f"{year}: {hours:,}" for year, hours in allocated.items())
        raise ValidationError(
            f"GPU-hours are already allocated on this system ({years}); the capacity cannot be "
            "emptied."
        )
    too_low = [
        f"{year}: {hours:,} GPU-hours are already allocated on this system; the capacity "
        "cannot be lower."
        for year, hours in allocated.items()
        if hours > capacity
    ]
    if too_low:
        raise ValidationError(too_low)


def system_remaining_gpu_hours(*, system: System, year: int) -> int | None:
    """What is left to award on `system` in `year`; None when capacity is not published."""
    if system.allocatable_gpu_hours_per_year is None:
        return None
    allocated = (
        Allocation.objects.filter(system=system, period_year=year).aggregate(
            s=Sum(LEDGER_GPU_HOURS)
        )["s"]
        or 0
    )
    return system.allocatable_gpu_hours_per_year - allocated
